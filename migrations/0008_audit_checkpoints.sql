-- Signed checkpoints of each workspace's audit chain head (schema.sql, audit_checkpoints;
-- src/edge/store/checkpoints.rs; issue 20).
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
