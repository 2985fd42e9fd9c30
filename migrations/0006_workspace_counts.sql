-- Per-workspace user and group counts (schema.sql, "Counts").
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
-- The rows that exist already.
INSERT INTO workspace_counts (workspace_id, user_count, group_count)
SELECT workspace_id, SUM(u), SUM(g) FROM (
  SELECT workspace_id, 1 AS u, 0 AS g FROM users
  UNION ALL SELECT workspace_id, 0, 1 FROM scim_groups
) WHERE true GROUP BY workspace_id
ON CONFLICT (workspace_id) DO UPDATE SET user_count = excluded.user_count, group_count = excluded.group_count;
