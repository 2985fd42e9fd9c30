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
