#!/usr/bin/env python3
"""The floor worker's own local D1 (bench/floor-rust, binding FLOOR): an `api_tokens` table of
the worker's shape, holding the seeded tokens plus 5,000 more, for its one point read.

schema STATE: prints the `CREATE TABLE api_tokens` and `CREATE INDEX … ON api_tokens`
  statements of the worker's local D1 file under STATE (the demo workspace's database, found
  like scim_bench.py finds it), i.e. what migrations/ made of schema.sql. bench/run runs them
  through `wrangler d1 execute FLOOR --local`, which creates the floor's database file.
seed STATE FLOOR_STATE: copies every `api_tokens` row of the worker's file (the demo PAT and
  SCIM token among them) into the floor's file under FLOOR_STATE, then adds 5,000 tokens of
  other workspaces (half PATs, half SCIM tokens, lowercase hex ids as long as the seeded
  ones), straight into the SQLite file with wrangler stopped, as the other bench seeders do.
  The table keeps its foreign-key clauses; the floor has no workspaces or users tables, which
  a read never looks at.
Usage: floor_db.py schema STATE | seed STATE FLOOR_STATE
"""
import glob
import hashlib
import random
import sqlite3
import sys

from scim_bench import database

EXTRA = 5_000
T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z


def schema(state_dir):
    db = sqlite3.connect(f"file:{database(state_dir)}?mode=ro", uri=True)
    rows = db.execute(
        "SELECT sql FROM sqlite_master WHERE tbl_name = 'api_tokens' AND sql IS NOT NULL ORDER BY type = 'index', name"
    ).fetchall()
    db.close()
    if not rows or not rows[0][0].upper().startswith("CREATE TABLE"):
        raise SystemExit(f"no api_tokens table in {database(state_dir)}")
    for (sql,) in rows:
        print(sql.rstrip(";") + ";")


def floor_database(floor_state):
    files = [f for f in glob.glob(f"{floor_state}/v3/d1/miniflare-D1DatabaseObject/*.sqlite") if "metadata" not in f]
    if len(files) != 1:
        raise SystemExit(f"expected one local D1 database under {floor_state}, found {files}")
    return files[0]


def seed(state_dir, floor_state):
    src = sqlite3.connect(f"file:{database(state_dir)}?mode=ro", uri=True)
    columns = [r[1] for r in src.execute("PRAGMA table_info(api_tokens)")]
    seeded = src.execute(f"SELECT {', '.join(columns)} FROM api_tokens").fetchall()
    src.close()
    if not seeded:
        raise SystemExit("no api_tokens rows to copy: seed the worker's database first")
    rng = random.Random(16)
    taken = {r[columns.index("id")] for r in seeded}
    width = len(seeded[0][columns.index("id")])  # 12 hex digits, or 14 where the id carries its shard
    extra = []
    while len(extra) < EXTRA:
        i = len(extra)
        token_id = f"{rng.getrandbits(4 * width):0{width}x}"
        if token_id in taken:
            continue
        taken.add(token_id)
        kind = "pat" if i % 2 == 0 else "scim"
        row = {
            "id": token_id, "workspace_id": f"ws_bench{i % 500:03d}", "kind": kind,
            "user_id": f"u_bench{i}" if kind == "pat" else None, "name": f"bench token {i}",
            "token_hash": hashlib.sha256(f"bench-token-{i}".encode()).hexdigest(), "hint": f"{i % 10000:04d}",
            "expires_at": T0 + 365 * 86_400_000 if i % 3 == 0 else None, "last_used_at": T0 + i * 1000 if i % 4 else None,
            "revoked_at": T0 + i * 2000 if i % 50 == 0 else None, "created_at": T0 + i * 1000,
        }
        extra.append(tuple(row.get(c) for c in columns))
    db = sqlite3.connect(floor_database(floor_state))
    marks = ", ".join("?" * len(columns))
    with db:
        db.executemany(f"INSERT INTO api_tokens ({', '.join(columns)}) VALUES ({marks})", seeded + extra)
    n = db.execute("SELECT COUNT(*) FROM api_tokens").fetchone()[0]
    db.close()
    print(f"floor: {n} api_tokens rows ({len(seeded)} seeded + {len(extra)})", file=sys.stderr)


if __name__ == "__main__":
    if sys.argv[1] == "schema":
        schema(sys.argv[2])
    else:
        seed(sys.argv[2], sys.argv[3])
