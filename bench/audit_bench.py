#!/usr/bin/env python3
"""Audit-log export of 50,000 rows.

seed: appends 50,000 rows to the demo workspace's ledger, straight into the local D1 SQLite
file (wrangler stopped), continuing its hash chain with real hashes (the encoding of
src/audit/ledger.rs, recomputed here), so the rows are indistinguishable from recorded ones
and `GET /api/settings/audit-log/verify` accepts the chain. The export itself does not check
the chain; the run step calls verify to prove the seeded chain sound.

run: times `GET /api/settings/audit-log/export?format=csv` and `format=ndjson` with the demo
PAT (the export carries at most 50,000 rows, newest first), three times each (median),
parses every row received, and checks the count against 50,000 and the
`x-axissynapse-export-rows` header. Baseline, same run: the same 50,000 newest rows read from
the same SQLite file by Python's sqlite3 and written as CSV / NDJSON in memory. Then the
chain check over the whole ledger (`GET /api/settings/audit-log/verify`).

Prints table rows, tab-separated: figure, measured, baseline, ratio.
Usage: audit_bench.py seed STATE_DIR | run BASE SECRETS STATE_DIR
"""
import csv
import hashlib
import http.client
import io
import json
import sqlite3
import struct
import sys
import time
import urllib.parse

from scim_bench import database

ROWS = 50_000
REPEAT = 3  # exports per format; the median is reported
WS = "ws_demo"
DOMAIN = "axissynapse-edge/audit-entry/v1"
GENESIS = "0" * 64
COLUMNS = ["workspace_id", "seq", "id", "at", "action", "actor_type", "actor_id", "resource_type", "resource_id",
           "ip", "data", "prev_hash", "hash"]


def text(s):
    b = s.encode()
    return struct.pack(">Q", len(b)) + b


def opt(s):
    return b"\x00" if s is None else b"\x01" + text(s)


def row_hash(r):
    """compute_hash of src/audit/ledger.rs: SHA-256 over the length-prefixed fields."""
    enc = (text(DOMAIN) + text(r["workspace_id"]) + struct.pack(">q", r["seq"]) + text(r["id"])
           + struct.pack(">q", r["at"]) + text(r["action"]) + text(r["actor_type"]) + opt(r["actor_id"])
           + opt(r["resource_type"]) + opt(r["resource_id"]) + opt(r["ip"]) + text(r["data"]) + text(r["prev_hash"]))
    return hashlib.sha256(enc).hexdigest()


def bench_ip(i):
    """Row i's client address: distinct for every row, spread over 10.0.0.0/8 (a multiplicative
    hash, a bijection modulo 2**24), so bench/whatif_bench.py replays 50,000 distinct addresses."""
    h = i * 2654435761 % (1 << 24)
    return f"10.{h >> 16}.{(h >> 8) & 255}.{h & 255}"


def seed(state_dir):
    db = sqlite3.connect(database(state_dir))
    db.row_factory = sqlite3.Row
    unsealed = db.execute("SELECT COUNT(*) FROM audit_log WHERE workspace_id = ? AND hash IS NULL", (WS,)).fetchone()[0]
    if unsealed:
        raise SystemExit(f"{unsealed} unsealed audit rows in {WS}: seed the bench rows after the ledger is sealed")
    head = db.execute("SELECT seq, at, hash FROM audit_log WHERE workspace_id = ? ORDER BY seq DESC LIMIT 1", (WS,)).fetchone()
    seq, at, prev = (head["seq"], head["at"], head["hash"]) if head else (0, 1_767_225_600_000, GENESIS)
    rows = []
    for i in range(1, ROWS + 1):
        failed = i % 10 == 0
        r = {
            "workspace_id": WS, "seq": seq + i, "id": f"evt_bench{i:08d}", "at": at + i * 1000,
            "action": "ACCOUNT_SIGNIN_FAILED" if failed else "ACCOUNT_SIGNIN_SUCCEEDED",
            "actor_type": "user", "actor_id": "u_demo_admin", "resource_type": "user", "resource_id": "u_demo_admin",
            "ip": bench_ip(i),
            "data": json.dumps({"code": "INVALID_CREDENTIALS"} if failed else {"method": "password", "n": i},
                               separators=(",", ":")),
            "prev_hash": prev,
        }
        r["hash"] = prev = row_hash(r)
        rows.append(tuple(r[c] for c in COLUMNS))
    with db:
        db.executemany(f"INSERT INTO audit_log ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})", rows)
    db.close()


def get(base, path, pat):
    """(seconds to the last byte, seconds to the first byte, headers, body)."""
    url = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=300)
    t = time.perf_counter()
    conn.request("GET", path, headers={"authorization": f"Bearer {pat}", "x-axissynapse-client-ip": "198.51.100.7"})
    resp = conn.getresponse()
    first = resp.read(1)
    ttfb = time.perf_counter() - t
    body = first + resp.read()
    total = time.perf_counter() - t
    conn.close()
    if resp.status != 200:
        raise SystemExit(f"{path}: {resp.status} {body[:300]!r}")
    return total, ttfb, resp, body


def count_rows(fmt, body):
    if fmt == "csv":
        records = list(csv.reader(io.StringIO(body.decode(), newline="")))
        if records[0][0] != "id":
            raise SystemExit(f"csv export: unexpected header {records[0]}")
        return len(records) - 1
    lines = body.decode().splitlines()
    for line in lines:
        json.loads(line)
    return len(lines)


def direct(state_dir, fmt):
    """Seconds for Python to read the newest ROWS rows of the same file and encode them."""
    t = time.perf_counter()
    db = sqlite3.connect(f"file:{database(state_dir)}?mode=ro", uri=True)
    cur = db.execute(f"SELECT {', '.join(COLUMNS)} FROM audit_log WHERE workspace_id = ? ORDER BY seq DESC LIMIT ?",
                     (WS, ROWS))
    out = io.StringIO()
    if fmt == "csv":
        w = csv.writer(out, lineterminator="\r\n")
        w.writerow(COLUMNS)
        w.writerows(cur)
    else:
        for r in cur:
            out.write(json.dumps(dict(zip(COLUMNS, r))) + "\n")
    db.close()
    return time.perf_counter() - t, len(out.getvalue().encode())


def run(base, secrets, state_dir):
    pat = json.load(open(secrets))["pat"]
    for fmt in ("csv", "ndjson"):
        runs = []
        for _ in range(REPEAT):
            total, ttfb, resp, body = get(base, f"/api/settings/audit-log/export?format={fmt}", pat)
            n = count_rows(fmt, body)
            announced = int(resp.getheader("x-axissynapse-export-rows", "-1"))
            if n != ROWS or announced != ROWS:
                raise SystemExit(f"{fmt} export: {n} rows received, header says {announced}, expected {ROWS}")
            runs.append((total, ttfb, len(body)))
        total, ttfb, size = sorted(runs)[REPEAT // 2]  # the median run, by total time
        base_s, base_bytes = sorted(direct(state_dir, fmt) for _ in range(REPEAT))[REPEAT // 2]
        print("\t".join((
            f"audit export, {fmt.upper()}, 50,000 rows, median of {REPEAT} (first byte {ttfb * 1000:.0f} ms)",
            f"{total:.2f} s ({ROWS:,} rows, {size / 1e6:.1f} MB, {ROWS / total:,.0f} rows/s)",
            f"Python sqlite3 + {'csv' if fmt == 'csv' else 'json'} on the same file {base_s:.2f} s ({base_bytes / 1e6:.1f} MB)",
            f"{total / base_s:.1f}×",
        )))
    total, _, _, body = get(base, "/api/settings/audit-log/verify", pat)
    result = json.loads(body)
    if not result.get("ok"):
        raise SystemExit(f"audit chain check failed: {result}")
    rows = result.get("rows", ROWS)
    print("\t".join((f"audit chain check, whole ledger ({rows:,} rows)", f"{total:.2f} s ({rows / total:,.0f} rows/s)",
                     "–", "–")))


if __name__ == "__main__":
    if sys.argv[1] == "seed":
        seed(sys.argv[2])
    else:
        run(*sys.argv[2:5])
