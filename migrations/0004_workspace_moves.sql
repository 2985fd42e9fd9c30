-- Moving a workspace between shards (src/edge/store/relocation.rs; docs/api.md, "Moving a
-- workspace"). While a move switches a workspace over, its row on the source shard carries
-- `moving_until` (Unix ms): until then, new audit rows of that workspace are refused by the
-- trigger below, and since every write of the API appends its audit row in the same D1 batch,
-- the whole write is refused (503 WORKSPACE_MOVING with Retry-After). A mover that dies leaves
-- the freeze to lapse by itself.
ALTER TABLE workspaces ADD COLUMN moving_until INTEGER;

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
