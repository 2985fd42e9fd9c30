//! `schema.sql` is the whole schema (every tenant shard, then the directory); `migrations/`
//! (each shard) and `migrations-directory/` are how deployed D1 databases get there
//! (`scripts/migrate.sh`). Applying every migration in order must give exactly the
//! tables, indexes and columns `schema.sql` gives (compared through Python's `sqlite3`, the
//! engine D1 runs).

use std::process::Command;

const COMPARE: &str = r#"
import glob, sqlite3, sys
def shape(scripts):
    db = sqlite3.connect(":memory:")
    for script in scripts:
        db.executescript(open(script).read())
    objects = db.execute("SELECT type, name, tbl_name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY 1, 2").fetchall()
    columns = [(t, tuple(db.execute(f"PRAGMA table_xinfo('{t}')").fetchall())) for (k, t, _) in objects if k == "table"]
    indexes = [(i, tuple(db.execute(f"PRAGMA index_xinfo('{i}')").fetchall())) for (k, i, _) in objects if k == "index"]
    return objects, columns, indexes
want = shape(["schema.sql"])
got = shape(sorted(glob.glob("migrations/*.sql")) + sorted(glob.glob("migrations-directory/*.sql")))
if want != got:
    sys.exit(f"migrations/ and schema.sql differ:\n{sorted(set(want[0]) ^ set(got[0]))}\n{[c for c in want[1] if c not in got[1]]}")
print(len(want[0]))
"#;

#[test]
fn migrations_build_exactly_the_schema() {
    let out = Command::new("python3")
        .arg("-c")
        .arg(COMPARE)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("python3 runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let objects: usize = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
    assert!(objects > 40, "schema has its tables and indexes ({objects})");
}

/// Inserts, deletes, a move's upsert of rows that are already there and a workspace's
/// clean-up, then checks `workspace_counts` (kept by triggers) against `COUNT(*)`, on the
/// schema and on a database that had its rows before migration 0006 ran (the back-fill).
const COUNTS: &str = r#"
import glob, sqlite3, sys
def user(db, ws, i):
    db.execute("INSERT INTO users (id, workspace_id, email, user_name, role, created_at, updated_at) "
               "VALUES (?, ?, ?, ?, 'member', 1, 1)", (f"u_{ws}_{i}", ws, f"{i}@{ws}", f"{i}@{ws}"))
def group(db, ws, i):
    db.execute("INSERT INTO scim_groups (id, workspace_id, display_name, created_at, updated_at) VALUES (?, ?, ?, 1, 1)",
               (f"g_{ws}_{i}", ws, f"group {i}"))
def fill(db):
    db.execute("PRAGMA foreign_keys = ON")
    for ws in ("ws_a", "ws_b", "ws_c"):
        db.execute("INSERT INTO workspaces (id, name, slug, created_at, updated_at) VALUES (?, ?, ?, 1, 1)", (ws, ws, ws))
        for i in range(7 if ws == "ws_a" else 3):
            user(db, ws, i)
        for i in range(2):
            group(db, ws, i)
def churn(db):
    db.execute("DELETE FROM users WHERE id IN ('u_ws_a_1', 'u_ws_a_2')")
    db.execute("DELETE FROM scim_groups WHERE id = 'g_ws_b_0'")
    # A move copies rows with an upsert: a row already there is updated, not counted again.
    db.execute("INSERT INTO users (id, workspace_id, email, user_name, role, created_at, updated_at) "
               "SELECT id, workspace_id, email, user_name, role, created_at, 2 FROM users WHERE workspace_id = 'ws_b' "
               "AND true ON CONFLICT DO UPDATE SET updated_at = excluded.updated_at")
    db.execute("DELETE FROM users WHERE workspace_id = 'ws_c'")
    db.execute("DELETE FROM scim_groups WHERE workspace_id = 'ws_c'")
    user(db, "ws_c", 9)
def check(db, when):
    want = {ws: (u, g) for ws, u, g in db.execute(
        "SELECT w.id, (SELECT COUNT(*) FROM users WHERE workspace_id = w.id), "
        "(SELECT COUNT(*) FROM scim_groups WHERE workspace_id = w.id) FROM workspaces w")}
    got = {ws: (u, g) for ws, u, g in db.execute("SELECT workspace_id, user_count, group_count FROM workspace_counts")}
    if want != got:
        sys.exit(f"{when}: counted {got}, rows {want}")
    return want
db = sqlite3.connect(":memory:")
db.executescript(open("schema.sql").read())
fill(db); check(db, "after inserts")
stamp = lambda ws: db.execute("SELECT user_changes FROM workspace_counts WHERE workspace_id = ?", (ws,)).fetchone()[0]
before = {ws: stamp(ws) for ws in ("ws_a", "ws_b", "ws_c")}
churn(db)
final = check(db, "after deletes and upserts")
# The order stamp moves with every insert and delete, not with an update that keeps the order.
assert stamp("ws_a") > before["ws_a"] and stamp("ws_c") > before["ws_c"], (before, stamp("ws_a"))
assert stamp("ws_b") == before["ws_b"], "the upsert of existing rows kept their order"
db.execute("UPDATE users SET created_at = 5 WHERE id = 'u_ws_b_0'")
assert stamp("ws_b") > before["ws_b"], "a new created_at reorders"
assert final == {"ws_a": (5, 2), "ws_b": (3, 1), "ws_c": (1, 0)}, final
old = sqlite3.connect(":memory:")
migrations = sorted(glob.glob("migrations/*.sql"))
before = [m for m in migrations if m < "migrations/0006"]
for m in before:
    old.executescript(open(m).read())
fill(old)
for m in migrations[len(before):]:
    old.executescript(open(m).read())
check(old, "after the back-fill"); churn(old); check(old, "migrated, after deletes and upserts")
print("ok")
"#;

#[test]
fn workspace_counts_follow_every_insert_and_delete() {
    let out = Command::new("python3")
        .arg("-c")
        .arg(COUNTS)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("python3 runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "ok");
}
