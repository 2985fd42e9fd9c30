#!/usr/bin/env python3
"""SCIM at 100,000 users: the worker (local D1) against scim2-server (PyPI reference server,
in memory), the no-op Rust worker (bench/noop-rust) and the floor worker (bench/floor-rust: one
D1 point read of the SCIM token's row) on the same workerd, same client, same run.

Steps: write 100,000 users into the worker's local D1 file (demo workspace) and as JSON for
scim2-server; then for each workload drive each server from 8 keep-alive clients for a fixed
time and print requests/s, p50 and p95, with ratios, as table rows (tab-separated: figure,
measured, baseline, ratio). For `eq` also: the floor worker driven the same way just before
(8 clients, then one client), and workerd CPU per request of the worker and the floor
(utime+stime of the workerd processes under each `wrangler dev`, as bench/throughput.py).
Workloads:
  eq        userName eq "user<random>@axissynapse-bench.com"
  compound  (name.familyName eq "Family<r>" or name.givenName eq "Given<r>") and active eq true
  page      a page of 100 users at a random startIndex (8 clients, then one: p95 ≤ 50 ms)
  import    a full import as Okta runs it: every page of 100 in order, one client, until
            startIndex passes totalResults; every id must arrive exactly once. scim2-server
            is given 60 s and its total extrapolated from the pages it served (its page cost
            does not depend on the startIndex).
Usage: scim_bench.py seed STATE_DIR USERS_JSON
       scim_bench.py run WORKER WORKER_PID SCIM_TOKEN NOOP FLOOR FLOOR_PID SCIM2 SCIM2_TOKEN
"""
import glob
import http.client
import json
import sqlite3
import sys
import time
import urllib.parse

import closed_loop

USERS = 100_000
WS = "ws_demo"
T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z


def user(i):
    return {
        "user_name": f"user{i}@axissynapse-bench.com",
        "given": f"Given{i % 1000}",
        "family": f"Family{i % 5000}",
        "active": i % 10 != 0,
        "created": T0 + i * 1000,
    }


def shard_number(path):
    """`shard_meta.shard` of a local D1 SQLite file, or None when it has no such table (the
    single-database layout, or the directory database)."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        if not db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'shard_meta'").fetchone():
            return None
        row = db.execute("SELECT shard FROM shard_meta").fetchone()
        return None if row is None else row[0]
    finally:
        db.close()


def database(state_dir):
    """The local D1 database file that holds the demo workspace, among those wrangler keeps
    under STATE: the one whose `shard_meta` row names shard 0 when the databases are sharded
    (DB_SHARD_0 … and DIRECTORY), otherwise the only one (the single binding DB)."""
    files = sorted(f for f in glob.glob(f"{state_dir}/v3/d1/miniflare-D1DatabaseObject/*.sqlite") if "metadata" not in f)
    shards = {f: shard_number(f) for f in files}
    if any(n is not None for n in shards.values()):
        zero = [f for f, n in shards.items() if n == 0]
        if len(zero) != 1:
            raise SystemExit(f"expected one local D1 database with shard_meta.shard = 0 under {state_dir}, found {zero}")
        return zero[0]
    if len(files) != 1:
        raise SystemExit(f"expected one local D1 database under {state_dir}, found {files}")
    return files[0]


def seed(state_dir, users_json):
    """Writes the users straight into the local D1 SQLite file (with wrangler stopped):
    `wrangler d1 execute --file` takes minutes for 100,000 rows and caps statement size."""
    db = sqlite3.connect(database(state_dir))
    users, emails, scim2 = [], [], []
    for i in range(USERS):
        u = user(i)
        doc = {
            "userName": u["user_name"], "name": {"givenName": u["given"], "familyName": u["family"]},
            "displayName": f"{u['given']} {u['family']}", "active": u["active"],
            "emails": [{"value": u["user_name"], "type": "work", "primary": True}],
        }
        status = "active" if u["active"] else "disabled"
        users.append((f"ub_{i}", WS, u["user_name"], u["user_name"], doc["displayName"], u["given"], u["family"],
                      json.dumps(doc), status, u["created"], u["created"]))
        emails.append((WS, f"ub_{i}", u["user_name"]))
        created = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(u["created"] / 1000)) + "Z"
        scim2.append({**doc, "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": f"ub_{i}",
                      "meta": {"resourceType": "User", "created": created, "lastModified": created,
                               "version": 'W/"1"', "location": f"http://127.0.0.1/v2/Users/ub_{i}"}})
    with db:
        db.executemany(
            "INSERT OR IGNORE INTO users (id, workspace_id, email, user_name, display_name, given_name, family_name, "
            "scim, role, status, provisioned_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'member', ?, 'scim', ?, ?)",
            users,
        )
        db.executemany(
            "INSERT OR IGNORE INTO user_emails (workspace_id, user_id, position, value, type, is_primary) VALUES (?, ?, 0, ?, 'work', 1)",
            emails,
        )
    # As an operator should after a bulk load (D1: `wrangler d1 execute DB --command "PRAGMA
    # optimize"`): without statistics SQLite may walk a whole workspace for an OR of two
    # indexed columns instead of the union of two index searches.
    db.execute("ANALYZE")
    db.close()
    with open(users_json, "w") as f:
        json.dump(scim2, f)


def workload(kind, rng):
    if kind == "eq":
        return "filter=" + urllib.parse.quote(f'userName eq "user{rng.randrange(USERS)}@axissynapse-bench.com"')
    if kind == "compound":
        f = f'(name.familyName eq "Family{rng.randrange(5000)}" or name.givenName eq "Given{rng.randrange(1000)}") and active eq true'
        return "filter=" + urllib.parse.quote(f) + "&count=100"
    return f"startIndex={rng.randrange(1, USERS - 100)}&count=100"


def drive(base, path_of, token, seconds, clients=8):
    """(requests/s, p50 ms, p95 ms) from `clients` keep-alive clients."""
    headers = {"authorization": f"Bearer {token}"} if token else {}
    return closed_loop.rate_p50_p95(*closed_loop.drive(base, path_of, headers, seconds, clients, timeout=120))


def drive_cpu(base, path_of, token, seconds, pid, clients=8):
    """(requests/s, p50 ms, p95 ms, workerd CPU ms per request) from `clients` keep-alive clients."""
    from throughput import workerd_cpu
    headers = {"authorization": f"Bearer {token}"} if token else {}
    cpu0 = workerd_cpu(pid)[0]
    n, elapsed, latencies = closed_loop.drive(base, path_of, headers, seconds, clients, timeout=120)
    cpu1 = workerd_cpu(pid)[0]
    return (*closed_loop.rate_p50_p95(n, elapsed, latencies), (cpu1 - cpu0) / n * 1000)


def full_import(base, token, cap_s=None):
    """(seconds, pages, users) of walking every page of 100 in order with one keep-alive client;
    with `cap_s`, stops after that long (then `users` < total). Checks that no id repeats and,
    for a complete walk, that every user arrived."""
    url = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
    seen, pages, start, total = set(), 0, 1, None
    t0 = time.perf_counter()
    while total is None or start <= total:
        conn.request("GET", f"{url.path}/Users?startIndex={start}&count=100", headers={"authorization": f"Bearer {token}"})
        resp = conn.getresponse()
        body = resp.read()
        if resp.status != 200:
            raise SystemExit(f"import at startIndex {start}: {resp.status} {body[:300]!r}")
        page = json.loads(body)
        total = page["totalResults"]
        ids = [r["id"] for r in page.get("Resources", [])]
        if not ids or seen.intersection(ids):
            raise SystemExit(f"import at startIndex {start}: {'an empty page' if not ids else 'an id seen before'}")
        seen.update(ids)
        pages, start = pages + 1, start + len(ids)
        if cap_s is not None and time.perf_counter() - t0 > cap_s:
            break
    elapsed = time.perf_counter() - t0
    if cap_s is None and len(seen) != total:
        raise SystemExit(f"import: {len(seen)} users arrived, totalResults {total}")
    return elapsed, pages, len(seen), total


def verdict(ok):
    return "met" if ok else "not met"


def run(worker, worker_pid, token, noop, floor, floor_pid, scim2, scim2_token):
    """Prints table rows, tab-separated: figure, measured, baseline, ratio."""
    row = lambda *cells: print("\t".join(cells))
    worker_pid, floor_pid = int(worker_pid), int(floor_pid)
    floor_path = lambda rng: f"/?id={token.split('_')[1]}"  # the SCIM token's row, by primary key
    noop_rate, _, _ = drive(noop, lambda rng: "/", None, 5)
    labels = {
        "eq": 'SCIM `userName eq "user<r>@…"`, 100,000 users',
        "compound": "SCIM `(familyName eq … or givenName eq …) and active eq true`, count 100",
        "page": "SCIM page of 100 at a random `startIndex`",
    }
    for kind in ("eq", "compound", "page"):
        if kind == "eq":
            drive(floor, floor_path, token, 1)  # warm-up
            base = drive_cpu(floor, floor_path, token, 6, floor_pid)
            ours = drive_cpu(worker + "/api/scim/v2", lambda rng: "/Users?" + workload(kind, rng), token, 6, worker_pid)
        else:
            ours = drive(worker + "/api/scim/v2", lambda rng: "/Users?" + workload(kind, rng), token, 6)
        seconds = 20 if kind == "compound" else 6
        theirs = drive(scim2 + "/v2", lambda rng: "/Users?" + workload(kind, rng), scim2_token, seconds)
        ratio = f"{ours[0] / theirs[0]:.1f}×"
        if kind == "compound":
            ratio += f" (target ≥ 100×: {'met' if ours[0] / theirs[0] >= 100 else 'not met'})"
        if kind == "page":
            ratio += f"; p95 target ≤ 50 ms: {verdict(ours[2] <= 50)}"
        row(labels[kind], f"{ours[0]:.1f} q/s (p50 {ours[1]:.1f} / p95 {ours[2]:.1f} ms)",
            f"scim2-server {theirs[0]:.1f} q/s", ratio)
        if kind == "eq":
            met = ours[0] / noop_rate >= 0.7 and ours[2] <= 5
            row("SCIM `eq` against the no-op Rust worker, same client", f"{ours[0]:.1f} q/s",
                f"no-op Rust worker {noop_rate:.0f} q/s",
                f"{ours[0] / noop_rate:.2f}× (target ≥ 0.7× and p95 ≤ 5 ms: {'met' if met else 'not met'})")
            rate_ratio, p95_ratio, marginal = ours[0] / base[0], ours[2] / base[2], ours[3] - base[3]
            row("SCIM `eq` against the floor worker (one D1 point read of the token row), same client, 8 clients",
                f"{ours[0]:.1f} q/s", f"floor {base[0]:.1f} q/s; target ≥ 0.8×", f"{rate_ratio:.2f}× ({verdict(rate_ratio >= 0.8)})")
            row("SCIM `eq` p95 against the floor worker", f"{ours[2]:.1f} ms (p50 {ours[1]:.1f})",
                f"floor {base[2]:.1f} ms (p50 {base[1]:.1f}); target ≤ 1.3×", f"{p95_ratio:.2f}× ({verdict(p95_ratio <= 1.3)})")
            row("SCIM `eq` marginal workerd CPU per request over the floor worker",
                f"{marginal:.2f} ms (worker {ours[3]:.2f}, floor {base[3]:.2f})", "target ≤ 1 ms",
                f"{marginal:.2f}× ({verdict(marginal <= 1)})")
            drive(floor, floor_path, token, 1, clients=1)  # warm-up
            base1 = drive(floor, floor_path, token, 4, clients=1)
            alone = drive(worker + "/api/scim/v2", lambda rng: "/Users?" + workload(kind, rng), token, 4, clients=1)
            row("SCIM `eq`, one client", f"{alone[0]:.1f} q/s (p50 {alone[1]:.1f} / p95 {alone[2]:.1f} ms)", "–", "–")
            row("SCIM `eq`, one client, p95", f"{alone[2]:.1f} ms",
                f"target ≤ 5 ms; floor, one client: p95 {base1[2]:.1f} ms (p50 {base1[1]:.1f}, {base1[0]:.0f} q/s)",
                f"{alone[2] / 5:.2f}× ({verdict(alone[2] <= 5)})")
        if kind == "page":
            alone = drive(worker + "/api/scim/v2", lambda rng: "/Users?" + workload(kind, rng), token, 4, clients=1)
            row("SCIM page of 100 at a random `startIndex`, one client",
                f"{alone[0]:.1f} q/s (p50 {alone[1]:.1f} / p95 {alone[2]:.1f} ms)", "target p95 ≤ 50 ms",
                f"{alone[2] / 50:.2f}× ({verdict(alone[2] <= 50)})")
    ours = full_import(worker + "/api/scim/v2", token)
    theirs = full_import(scim2 + "/v2", scim2_token, cap_s=60)
    theirs_total = theirs[0] / theirs[2] * theirs[3]
    row(f"SCIM full import: every page of 100 in order, one client ({ours[3]:,} users, {ours[1]:,} pages, each id once)",
        f"{ours[0]:.1f} s ({ours[0] / ours[1] * 1000:.1f} ms per page)",
        f"scim2-server ≈ {theirs_total:.0f} s (extrapolated: {theirs[2]:,} users in {theirs[0]:.0f} s)",
        f"{ours[0] / theirs_total:.3f}×")


if __name__ == "__main__":
    if sys.argv[1] == "seed":
        seed(sys.argv[2], sys.argv[3])
    else:
        run(*sys.argv[2:10])
