-- The directory database (binding DIRECTORY): what must resolve before a request knows which
-- tenant shard to read. Credentials carry their shard, so the authenticated hot path never
-- reads it. Entries are added before the shard rows they point at and removed after them
-- (src/edge/store/directory.rs); readers always confirm on the shard.
CREATE TABLE IF NOT EXISTS workspace_shards (
  workspace_id TEXT PRIMARY KEY,
  slug         TEXT UNIQUE,                               -- globally unique workspace slug
  shard        INTEGER NOT NULL CHECK (shard BETWEEN 0 AND 255),
  updated_at   INTEGER NOT NULL
);

-- Sign-in is by email across workspaces: which workspaces an email belongs to.
CREATE TABLE IF NOT EXISTS email_index (
  email        TEXT NOT NULL,                             -- lower-cased, as users.email
  workspace_id TEXT NOT NULL,
  PRIMARY KEY (email, workspace_id)
) WITHOUT ROWID;

-- The public SAML routes (/api/saml/{providerId}/…) name a provider, not a workspace.
CREATE TABLE IF NOT EXISTS saml_provider_index (
  provider_id  TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL
);

-- Marks the file as the directory (scripts holding only the SQLite file tell it apart).
CREATE TABLE IF NOT EXISTS directory_meta (
  version INTEGER PRIMARY KEY
);
