-- AxisSynapse Edge: D1 schema. Idempotent (IF NOT EXISTS): applying it again changes nothing.
-- Every row that belongs to a tenant carries workspace_id, and every lookup path has an index
-- that starts with it (or with a globally unique key that is then checked against it).
-- Times are Unix milliseconds (INTEGER).

CREATE TABLE IF NOT EXISTS workspaces (
  id             TEXT PRIMARY KEY,                       -- ws_…
  name           TEXT NOT NULL,
  slug           TEXT NOT NULL UNIQUE,
  status         TEXT NOT NULL DEFAULT 'active'
                   CHECK (status IN ('active', 'suspended', 'cancelled')),
  sign_in_policy TEXT NOT NULL DEFAULT 'password_and_sso'
                   CHECK (sign_in_policy IN ('password_only', 'sso_only', 'password_and_sso')),
  mfa_required   INTEGER NOT NULL DEFAULT 0 CHECK (mfa_required IN (0, 1)),
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL,
  moving_until   INTEGER                                 -- a move's freeze: writes refused until then (0004)
);

CREATE TABLE IF NOT EXISTS users (
  id             TEXT PRIMARY KEY,                       -- u_…
  workspace_id   TEXT NOT NULL REFERENCES workspaces(id),
  email          TEXT NOT NULL,                          -- sign-in email, stored lower-cased
  user_name      TEXT NOT NULL COLLATE NOCASE,           -- SCIM userName (the email unless SCIM set it)
  external_id    TEXT,                                   -- SCIM externalId (case-exact)
  display_name   TEXT COLLATE NOCASE,
  given_name     TEXT COLLATE NOCASE,                    -- SCIM name.givenName
  family_name    TEXT COLLATE NOCASE,                    -- SCIM name.familyName
  scim           TEXT NOT NULL DEFAULT '{}',             -- SCIM document (src/scim/resource.rs)
  version        INTEGER NOT NULL DEFAULT 1,             -- SCIM meta.version
  role           TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
  status         TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  provisioned_by TEXT NOT NULL DEFAULT 'admin'
                   CHECK (provisioned_by IN ('admin', 'invitation', 'scim', 'saml_jit', 'seed')),
  password_hash  TEXT,                                   -- $pbkdf2-sha256$i=…$salt$hash, NULL = no password
  mfa_enrolled   INTEGER NOT NULL DEFAULT 0 CHECK (mfa_enrolled IN (0, 1)),
  -- sign-in failure counters and lockouts live in the user's Durable Object (single writer)
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL,
  UNIQUE (workspace_id, email),
  UNIQUE (workspace_id, user_name)
);
CREATE INDEX IF NOT EXISTS users_by_email ON users (email);           -- sign-in lookup
CREATE INDEX IF NOT EXISTS users_by_workspace ON users (workspace_id, created_at, id);
-- SCIM filters compile to SQL over these (src/scim/filter/sql.rs; EXPLAIN QUERY PLAN tested)
CREATE INDEX IF NOT EXISTS users_scim_external ON users (workspace_id, external_id);
CREATE INDEX IF NOT EXISTS users_scim_display ON users (workspace_id, display_name, id);
CREATE INDEX IF NOT EXISTS users_scim_given ON users (workspace_id, given_name);
CREATE INDEX IF NOT EXISTS users_scim_family ON users (workspace_id, family_name, id);
CREATE INDEX IF NOT EXISTS users_scim_updated ON users (workspace_id, updated_at, id);
-- SCIM sortBy (src/scim/sort.rs): the nullable keys with no value last, ascending
CREATE INDEX IF NOT EXISTS users_sort_family ON users (workspace_id, family_name IS NULL, family_name, id);
CREATE INDEX IF NOT EXISTS users_sort_display ON users (workspace_id, display_name IS NULL, display_name, id);

-- SCIM emails, one row per element, kept with the user's document in the same batch.
CREATE TABLE IF NOT EXISTS user_emails (
  workspace_id TEXT NOT NULL,
  user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  position     INTEGER NOT NULL,
  value        TEXT NOT NULL COLLATE NOCASE,
  type         TEXT COLLATE NOCASE,
  is_primary   INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (user_id, position)
);
CREATE INDEX IF NOT EXISTS user_emails_by_value ON user_emails (workspace_id, value);

CREATE TABLE IF NOT EXISTS scim_groups (
  id           TEXT PRIMARY KEY,                         -- g_…
  workspace_id TEXT NOT NULL REFERENCES workspaces(id),
  display_name TEXT NOT NULL COLLATE NOCASE,
  external_id  TEXT,
  version      INTEGER NOT NULL DEFAULT 1,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL,
  UNIQUE (workspace_id, display_name)
);
CREATE INDEX IF NOT EXISTS scim_groups_external ON scim_groups (workspace_id, external_id);
CREATE INDEX IF NOT EXISTS scim_groups_by_workspace ON scim_groups (workspace_id, created_at, id);
CREATE INDEX IF NOT EXISTS scim_groups_by_updated ON scim_groups (workspace_id, updated_at, id);

CREATE TABLE IF NOT EXISTS scim_group_members (
  workspace_id TEXT NOT NULL,
  group_id     TEXT NOT NULL REFERENCES scim_groups(id) ON DELETE CASCADE,
  user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  PRIMARY KEY (group_id, user_id)
);
CREATE INDEX IF NOT EXISTS scim_group_members_by_user ON scim_group_members (workspace_id, user_id);
CREATE INDEX IF NOT EXISTS scim_group_members_by_group ON scim_group_members (workspace_id, group_id);

-- ---------------------------------------------------------------------------------------
-- Counts (migrations/0006_workspace_counts.sql)
-- How many users and SCIM groups each workspace holds (and a stamp of the users' order), kept by triggers in the same
-- transaction as every insert and delete (a move's copies and clean-up included), so an
-- unfiltered SCIM list answers `totalResults` (RFC 7644 §3.4.2) with one point read instead
-- of counting the workspace's index: 5 ms of SQLite at 100,000 users, on every page.
-- src/edge/store/scim.rs reads it; a host test (tests/schema_migrations.rs) checks the
-- triggers against COUNT(*).
CREATE TABLE IF NOT EXISTS workspace_counts (
  workspace_id TEXT PRIMARY KEY,
  user_count   INTEGER NOT NULL DEFAULT 0,
  group_count  INTEGER NOT NULL DEFAULT 0,
  -- Moves on every change to the order of the users (insert, delete, a new created_at or id):
  -- a page anchor read at one value holds only while it stays (src/scim/anchors.rs).
  user_changes INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS users_counted_in AFTER INSERT ON users BEGIN
  INSERT INTO workspace_counts (workspace_id, user_count, user_changes) VALUES (NEW.workspace_id, 1, 1)
  ON CONFLICT (workspace_id) DO UPDATE SET user_count = user_count + 1, user_changes = user_changes + 1;
END;
CREATE TRIGGER IF NOT EXISTS users_counted_out AFTER DELETE ON users BEGIN
  UPDATE workspace_counts SET user_count = user_count - 1, user_changes = user_changes + 1
  WHERE workspace_id = OLD.workspace_id;
END;
CREATE TRIGGER IF NOT EXISTS users_reordered AFTER UPDATE OF created_at, id ON users BEGIN
  UPDATE workspace_counts SET user_changes = user_changes + 1 WHERE workspace_id = NEW.workspace_id;
END;
CREATE TRIGGER IF NOT EXISTS scim_groups_counted_in AFTER INSERT ON scim_groups BEGIN
  INSERT INTO workspace_counts (workspace_id, group_count) VALUES (NEW.workspace_id, 1)
  ON CONFLICT (workspace_id) DO UPDATE SET group_count = group_count + 1;
END;
CREATE TRIGGER IF NOT EXISTS scim_groups_counted_out AFTER DELETE ON scim_groups BEGIN
  UPDATE workspace_counts SET group_count = group_count - 1 WHERE workspace_id = OLD.workspace_id;
END;

CREATE TABLE IF NOT EXISTS invitations (
  id           TEXT PRIMARY KEY,                         -- inv_…
  workspace_id TEXT NOT NULL REFERENCES workspaces(id),
  email        TEXT NOT NULL,
  role         TEXT NOT NULL CHECK (role IN ('admin', 'member')),
  token_hash   TEXT NOT NULL UNIQUE,                     -- SHA-256 of the invitation token
  invited_by   TEXT NOT NULL,
  expires_at   INTEGER NOT NULL,
  accepted_at  INTEGER,
  created_at   INTEGER NOT NULL,
  UNIQUE (workspace_id, email)
);

-- Personal access tokens and SCIM tokens: only the SHA-256 of the token is stored.
CREATE TABLE IF NOT EXISTS api_tokens (
  id           TEXT PRIMARY KEY,                         -- the 14-hex id embedded in the token (shard + 12)
  workspace_id TEXT NOT NULL REFERENCES workspaces(id),
  kind         TEXT NOT NULL CHECK (kind IN ('pat', 'scim')),
  user_id      TEXT REFERENCES users(id),                -- owner for PATs, creator for SCIM tokens
  name         TEXT NOT NULL,
  token_hash   TEXT NOT NULL,
  hint         TEXT NOT NULL,                            -- last 4 characters, for listings
  expires_at   INTEGER,
  last_used_at INTEGER,
  revoked_at   INTEGER,
  created_at   INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS api_tokens_by_owner ON api_tokens (workspace_id, kind, user_id, created_at);
CREATE UNIQUE INDEX IF NOT EXISTS api_tokens_by_hash ON api_tokens (token_hash); -- SCIM read scope

-- Index of sessions; the live state (revocation, heartbeat) is in the UserSessions Durable Object.
CREATE TABLE IF NOT EXISTS sessions (
  id           TEXT PRIMARY KEY,                         -- sess_…
  workspace_id TEXT NOT NULL REFERENCES workspaces(id),
  user_id      TEXT NOT NULL REFERENCES users(id),
  created_at   INTEGER NOT NULL,
  expires_at   INTEGER NOT NULL,
  revoked_at   INTEGER,
  device_label TEXT,
  ip_prefix    TEXT
);
CREATE INDEX IF NOT EXISTS sessions_by_user ON sessions (workspace_id, user_id, created_at);

-- The audit ledger: append-only, hash-chained per workspace (hash covers prev_hash). A row
-- is inserted with its seq and sealed (prev_hash, hash set) right after, in seq order.
CREATE TABLE IF NOT EXISTS audit_log (
  workspace_id  TEXT NOT NULL,
  seq           INTEGER NOT NULL,                        -- 1, 2, 3… per workspace
  id            TEXT NOT NULL UNIQUE,                    -- evt_…
  at            INTEGER NOT NULL,
  action        TEXT NOT NULL,
  actor_type    TEXT NOT NULL,
  actor_id      TEXT,
  resource_type TEXT,
  resource_id   TEXT,
  ip            TEXT,
  data          TEXT NOT NULL,
  prev_hash     TEXT,                                    -- NULL until sealed
  hash          TEXT,                                    -- NULL until sealed
  PRIMARY KEY (workspace_id, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS audit_by_action ON audit_log (workspace_id, action, seq);
CREATE INDEX IF NOT EXISTS audit_by_actor ON audit_log (workspace_id, actor_id, seq);
CREATE INDEX IF NOT EXISTS audit_by_resource ON audit_log (workspace_id, resource_type, resource_id, seq);
CREATE INDEX IF NOT EXISTS audit_by_time ON audit_log (workspace_id, at);

-- Signed checkpoints of the chain head (Ed25519; src/audit/checkpoint.rs), made at every export,
-- on demand and by the hourly cron; each is also a ledger row (AUDIT_CHECKPOINT_SIGNED).
CREATE TABLE IF NOT EXISTS audit_checkpoints (
  id             TEXT PRIMARY KEY,                         -- ckp_…
  workspace_id   TEXT NOT NULL REFERENCES workspaces(id),
  seq            INTEGER NOT NULL CHECK (seq >= 0),        -- the head signed (0: empty ledger)
  hash           TEXT NOT NULL,
  at             INTEGER NOT NULL,                         -- the signed time, Unix ms
  kid            TEXT NOT NULL,
  sig            TEXT NOT NULL,                            -- Ed25519, base64url
  source         TEXT NOT NULL CHECK (source IN ('export', 'api', 'cron')),
  export_filters TEXT                                      -- JSON object, for an export's
);
CREATE INDEX IF NOT EXISTS audit_checkpoints_by_time ON audit_checkpoints (workspace_id, at);
CREATE INDEX IF NOT EXISTS audit_checkpoints_by_seq ON audit_checkpoints (workspace_id, seq);

-- WebAuthn credentials (passkeys and security keys).
CREATE TABLE IF NOT EXISTS webauthn_credentials (
  id                   TEXT PRIMARY KEY,                 -- credential id, base64url
  workspace_id         TEXT NOT NULL REFERENCES workspaces(id),
  user_id              TEXT NOT NULL REFERENCES users(id),
  public_key           TEXT NOT NULL,                    -- COSE_Key, base64url
  alg                  INTEGER NOT NULL,                 -- COSE algorithm (-7, -8, -257)
  aaguid               TEXT NOT NULL,
  transports           TEXT NOT NULL DEFAULT '[]',       -- JSON array
  backup_eligible      INTEGER NOT NULL CHECK (backup_eligible IN (0, 1)),
  backup_state         INTEGER NOT NULL CHECK (backup_state IN (0, 1)),
  sign_count           INTEGER NOT NULL DEFAULT 0,
  attestation_fmt      TEXT NOT NULL,
  attestation_verified INTEGER NOT NULL CHECK (attestation_verified IN (0, 1)),
  nickname             TEXT NOT NULL,
  created_at           INTEGER NOT NULL,
  last_used_at         INTEGER
);
CREATE INDEX IF NOT EXISTS webauthn_by_user ON webauthn_credentials (workspace_id, user_id, created_at);

-- TOTP factor: the secret is sealed (A256CBC-HS512 under a key derived from AUTH_SECRET).
CREATE TABLE IF NOT EXISTS totp_factors (
  user_id       TEXT PRIMARY KEY REFERENCES users(id),
  workspace_id  TEXT NOT NULL REFERENCES workspaces(id),
  secret_sealed TEXT NOT NULL,
  confirmed_at  INTEGER,
  created_at    INTEGER NOT NULL
);

-- One-time backup codes, stored as SHA-256.
CREATE TABLE IF NOT EXISTS backup_codes (
  workspace_id TEXT NOT NULL REFERENCES workspaces(id),
  user_id      TEXT NOT NULL REFERENCES users(id),
  code_hash    TEXT NOT NULL,
  used_at      INTEGER,
  PRIMARY KEY (user_id, code_hash)
);

-- Per-workspace WebAuthn attestation policy (JSON); absent = allow any authenticator.
CREATE TABLE IF NOT EXISTS attestation_policies (
  workspace_id TEXT PRIMARY KEY REFERENCES workspaces(id),
  policy       TEXT NOT NULL,
  updated_at   INTEGER NOT NULL,
  updated_by   TEXT NOT NULL
);

-- Per-workspace network policy (JSON) and its version; absent = mode off.
CREATE TABLE IF NOT EXISTS network_policies (
  workspace_id TEXT PRIMARY KEY REFERENCES workspaces(id),
  policy       TEXT NOT NULL,
  version      INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL,
  updated_by   TEXT NOT NULL
);

-- Webhook subscriptions. The signing secret is never stored: it is derived from AUTH_SECRET
-- and `secret_nonce` (HMAC-SHA256), and only its SHA-256 fingerprint is kept. During a
-- rotation the previous nonce signs too until `previous_expires_at`. The circuit breaker is
-- this row: `consecutive_failures` counts up atomically, `circuit_opened_at` is set once.
CREATE TABLE IF NOT EXISTS webhook_subscriptions (
  id                   TEXT PRIMARY KEY,
  workspace_id         TEXT NOT NULL REFERENCES workspaces(id),
  name                 TEXT NOT NULL,
  url                  TEXT NOT NULL,
  event_filters        TEXT NOT NULL,
  enabled              INTEGER NOT NULL DEFAULT 1,
  disabled_reason      TEXT,
  secret_nonce         TEXT NOT NULL,
  secret_fingerprint   TEXT NOT NULL,
  previous_nonce       TEXT,
  previous_expires_at  INTEGER,
  circuit_threshold    INTEGER NOT NULL DEFAULT 5,
  consecutive_failures INTEGER NOT NULL DEFAULT 0,
  circuit_opened_at    INTEGER,
  created_at           INTEGER NOT NULL,
  updated_at           INTEGER NOT NULL,
  UNIQUE (workspace_id, name)
);
CREATE INDEX IF NOT EXISTS webhook_subscriptions_by_workspace ON webhook_subscriptions (workspace_id, enabled);

-- The outbox: one message per (event, subscription), written in the same D1 batch as the
-- audit row. state: pending (due at next_attempt_at), sending (claimed until lease_until),
-- parked (circuit open or endpoint disabled), delivered, failed (attempts exhausted or 410).
CREATE TABLE IF NOT EXISTS webhook_messages (
  subscription_id  TEXT NOT NULL REFERENCES webhook_subscriptions(id) ON DELETE CASCADE,
  id               TEXT NOT NULL,
  workspace_id     TEXT NOT NULL,
  seq              INTEGER NOT NULL,
  event_type       TEXT NOT NULL,
  body             TEXT NOT NULL,
  state            TEXT NOT NULL,
  attempts         INTEGER NOT NULL DEFAULT 0,
  next_attempt_at  INTEGER NOT NULL,
  lease_until      INTEGER,
  ordered          INTEGER NOT NULL DEFAULT 0,      -- 1: only the ordered drain may send it
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL,
  PRIMARY KEY (subscription_id, id)
);
CREATE INDEX IF NOT EXISTS webhook_messages_due ON webhook_messages (state, next_attempt_at);
CREATE INDEX IF NOT EXISTS webhook_messages_by_subscription ON webhook_messages (subscription_id, state, seq);

-- The delivery log: one row per attempt. elapsed_ms: from sending the request to the end of
-- its answer (or the error); the health view's latency.
CREATE TABLE IF NOT EXISTS webhook_attempts (
  id               TEXT PRIMARY KEY,
  subscription_id  TEXT NOT NULL REFERENCES webhook_subscriptions(id) ON DELETE CASCADE,
  message_id       TEXT NOT NULL,
  workspace_id     TEXT NOT NULL,
  event_type       TEXT NOT NULL,
  attempt          INTEGER NOT NULL,
  outcome          TEXT NOT NULL,
  response_status  INTEGER,
  response_body    TEXT,
  error            TEXT,
  elapsed_ms       INTEGER NOT NULL,
  next_retry_at    INTEGER,
  created_at       INTEGER NOT NULL,
  sent_at          INTEGER                          -- when the request went out (webhook-timestamp × 1000)
);
CREATE INDEX IF NOT EXISTS webhook_attempts_by_subscription ON webhook_attempts (subscription_id, created_at DESC);

-- SAML identity providers of a workspace. `certificates` is a JSON array of one or two
-- base64 DER X.509 signing certificates (two during an IdP key rotation);
-- `attribute_mapping` is JSON {"email","givenName","familyName","groups"} of attribute names.
CREATE TABLE IF NOT EXISTS saml_providers (
  id                 TEXT PRIMARY KEY,
  workspace_id       TEXT NOT NULL REFERENCES workspaces(id),
  name               TEXT NOT NULL,
  idp_entity_id      TEXT NOT NULL,
  sso_url            TEXT NOT NULL,
  sso_binding        TEXT NOT NULL CHECK (sso_binding IN ('post', 'redirect')),
  certificates       TEXT NOT NULL,
  name_id_format     TEXT NOT NULL,
  attribute_mapping  TEXT NOT NULL,
  jit_provisioning   INTEGER NOT NULL DEFAULT 0 CHECK (jit_provisioning IN (0, 1)),
  allowed_skew_secs  INTEGER NOT NULL DEFAULT 60,
  enabled            INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
  created_at         INTEGER NOT NULL,
  updated_at         INTEGER NOT NULL,
  UNIQUE (workspace_id, name)
);
CREATE INDEX IF NOT EXISTS saml_providers_by_workspace ON saml_providers (workspace_id);

-- ---------------------------------------------------------------------------------------
-- Shard identity (migrations/0002_shard_meta.sql)
-- Which shard this database is (one row, written by scripts/migrate.sh): lets an operator or a
-- script holding only the database file tell the shards apart.
CREATE TABLE IF NOT EXISTS shard_meta (
  shard INTEGER PRIMARY KEY CHECK (shard BETWEEN 0 AND 255)
);

-- ---------------------------------------------------------------------------------------
-- Moving a workspace between shards (migrations/0004_workspace_moves.sql; workspaces.moving_until
-- above). src/edge/store/relocation.rs; docs/api.md, "Moving a workspace".

-- Forwarding, kept on the shard a workspace left: credentials minted there name this shard.
-- A session cookie names its workspace: `relocations` says where the workspace went.
CREATE TABLE IF NOT EXISTS relocations (
  workspace_id TEXT PRIMARY KEY,
  shard        INTEGER NOT NULL CHECK (shard BETWEEN 0 AND 255),
  moved_at     INTEGER NOT NULL
);

-- A token names only itself: the moved workspace's PAT and SCIM token ids (api_tokens.id) and
-- its invitations' token hashes (invitations.token_hash), with where they went.
CREATE TABLE IF NOT EXISTS relocated_tokens (
  token_key    TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  shard        INTEGER NOT NULL CHECK (shard BETWEEN 0 AND 255),
  moved_at     INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS relocated_tokens_by_workspace ON relocated_tokens (workspace_id);

-- New events (unsealed: `hash` IS NULL) of a workspace that is moving or has moved away are
-- refused. A move copies sealed rows, which pass.
CREATE TRIGGER IF NOT EXISTS audit_log_refused_while_moving
BEFORE INSERT ON audit_log
WHEN NEW.hash IS NULL AND (
  EXISTS (SELECT 1 FROM workspaces w WHERE w.id = NEW.workspace_id
          AND w.moving_until > CAST(strftime('%s', 'now') AS INTEGER) * 1000)
  OR EXISTS (SELECT 1 FROM relocations r WHERE r.workspace_id = NEW.workspace_id))
BEGIN
  SELECT RAISE(ABORT, 'WORKSPACE_MOVING');
END;

-- =======================================================================================
-- The directory database (binding DIRECTORY; migrations-directory/). Above: every tenant shard
-- (bindings DB_SHARD_0 … DB_SHARD_N-1; migrations/).
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
