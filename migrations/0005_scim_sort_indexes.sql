-- SCIM paging and sorting (RFC 7644 §3.4.2.3, §3.4.2.4; src/scim/sort.rs): one index per order a
-- list can ask for, each ending in `id` so equal values page in a stable order, with the
-- nullable keys' `IS NULL` first (no value sorts last ascending). A page at any startIndex
-- walks one of these (covering: its rowids) and then reads only its own rows.
DROP INDEX IF EXISTS users_by_workspace;
CREATE INDEX IF NOT EXISTS users_by_workspace ON users (workspace_id, created_at, id);
DROP INDEX IF EXISTS users_scim_updated;
CREATE INDEX IF NOT EXISTS users_scim_updated ON users (workspace_id, updated_at, id);
-- The filter indexes on the same columns end in `id` too: the sort indexes also hold those
-- columns, and a filter's plan must still search by value rather than walk a sort index.
DROP INDEX IF EXISTS users_scim_family;
CREATE INDEX IF NOT EXISTS users_scim_family ON users (workspace_id, family_name, id);
DROP INDEX IF EXISTS users_scim_display;
CREATE INDEX IF NOT EXISTS users_scim_display ON users (workspace_id, display_name, id);
CREATE INDEX IF NOT EXISTS users_sort_family ON users (workspace_id, family_name IS NULL, family_name, id);
CREATE INDEX IF NOT EXISTS users_sort_display ON users (workspace_id, display_name IS NULL, display_name, id);
DROP INDEX IF EXISTS scim_groups_by_workspace;
CREATE INDEX IF NOT EXISTS scim_groups_by_workspace ON scim_groups (workspace_id, created_at, id);
CREATE INDEX IF NOT EXISTS scim_groups_by_updated ON scim_groups (workspace_id, updated_at, id);
