#!/usr/bin/env python3
"""SCIM at 100,000 users: the worker (local D1) against scim2-server (PyPI reference server,
in memory) and a no-op worker on the same workerd, same client, same run.

Steps: write 100,000 users as SQL into the worker's local D1 (demo workspace) and as JSON for
scim2-server; then for each workload drive each server from 8 keep-alive clients for a fixed
time and print requests/s, p50 and p95, with ratios. Workloads:
  eq        userName eq "user<random>@axissynapse-bench.com"
  compound  (name.familyName eq "Family<r>" or name.givenName eq "Given<r>") and active eq true
  page      a page of 100 users at a random startIndex
Usage: scim_bench.py seed STATE_DIR USERS_JSON | run WORKER SCIM_TOKEN NOOP SCIM2 SCIM2_TOKEN
"""
import http.client
import json
import random
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse

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


def quote(s):
    return "'" + s.replace("'", "''") + "'"


def seed(state_dir, users_json):
    sql_path = f"{state_dir}/bench_users.sql"
    scim2 = []
    with open(sql_path, "w") as out:
        for start in range(0, USERS, 500):
            rows, emails = [], []
            for i in range(start, min(start + 500, USERS)):
                u = user(i)
                doc = {
                    "userName": u["user_name"], "name": {"givenName": u["given"], "familyName": u["family"]},
                    "displayName": f"{u['given']} {u['family']}", "active": u["active"],
                    "emails": [{"value": u["user_name"], "type": "work", "primary": True}],
                }
                rows.append(
                    f"('ub_{i}', '{WS}', {quote(u['user_name'])}, {quote(u['user_name'])}, {quote(doc['displayName'])}, "
                    f"{quote(u['given'])}, {quote(u['family'])}, {quote(json.dumps(doc))}, 'member', "
                    f"'{'active' if u['active'] else 'disabled'}', 'scim', {u['created']}, {u['created']})"
                )
                emails.append(f"('{WS}', 'ub_{i}', 0, {quote(u['user_name'])}, 'work', 1)")
                created = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(u["created"] / 1000)) + "Z"
                scim2.append({**doc, "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": f"ub_{i}",
                              "meta": {"resourceType": "User", "created": created, "lastModified": created,
                                       "version": 'W/"1"', "location": f"http://127.0.0.1/v2/Users/ub_{i}"}})
            out.write(
                "INSERT OR IGNORE INTO users (id, workspace_id, email, user_name, display_name, given_name, family_name, "
                "scim, role, status, provisioned_by, created_at, updated_at) VALUES " + ", ".join(rows) + ";\n"
            )
            out.write(
                "INSERT OR IGNORE INTO user_emails (workspace_id, user_id, position, value, type, is_primary) VALUES "
                + ", ".join(emails) + ";\n"
            )
    with open(users_json, "w") as f:
        json.dump(scim2, f)
    print(sql_path)


def workload(kind, rng):
    if kind == "eq":
        return "filter=" + urllib.parse.quote(f'userName eq "user{rng.randrange(USERS)}@axissynapse-bench.com"')
    if kind == "compound":
        f = f'(name.familyName eq "Family{rng.randrange(5000)}" or name.givenName eq "Given{rng.randrange(1000)}") and active eq true'
        return "filter=" + urllib.parse.quote(f) + "&count=100"
    return f"startIndex={rng.randrange(1, USERS - 100)}&count=100"


def drive(base, path_of, token, seconds):
    """(requests/s, p50 ms, p95 ms) from 8 keep-alive clients."""
    url = urllib.parse.urlsplit(base)
    latencies, lock, stop = [], threading.Lock(), time.perf_counter() + seconds

    def client(seed):
        rng = random.Random(seed)
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
        mine = []
        headers = {"authorization": f"Bearer {token}"} if token else {}
        while time.perf_counter() < stop:
            t = time.perf_counter()
            conn.request("GET", url.path + path_of(rng), headers=headers)
            resp = conn.getresponse()
            body = resp.read()
            if resp.status != 200:
                raise SystemExit(f"{base}: {resp.status} {body[:300]!r}")
            mine.append(time.perf_counter() - t)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(8)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    q = statistics.quantiles(latencies, n=20)
    return len(latencies) / (time.perf_counter() - started), q[9] * 1000, q[18] * 1000


def run(worker, token, noop, scim2, scim2_token):
    row = "{:<34} {:>10} {:>9} {:>9}   {:>10} {:>9}"
    noop_rate, _, _ = drive(noop, lambda rng: "/", None, 5)
    print(f"no-op worker, same client: {noop_rate:.0f} req/s")
    print(row.format("workload (100,000 users)", "worker q/s", "p50 ms", "p95 ms", "scim2 q/s", "ratio"))
    for kind in ("eq", "compound", "page"):
        ours = drive(worker + "/api/scim/v2", lambda rng: "/Users?" + workload(kind, rng), token, 6)
        seconds = 20 if kind == "compound" else 6
        theirs = drive(scim2 + "/v2", lambda rng: "/Users?" + workload(kind, rng), scim2_token, seconds)
        print(row.format(kind, f"{ours[0]:.1f}", f"{ours[1]:.2f}", f"{ours[2]:.2f}", f"{theirs[0]:.1f}", f"{ours[0] / theirs[0]:.1f}x"))
        if kind == "eq":
            print(f"{'  eq vs no-op worker rate':<34} {ours[0] / noop_rate:.2f}x (target >= 0.7x; p95 target <= 5 ms)")


if __name__ == "__main__":
    if sys.argv[1] == "seed":
        seed(sys.argv[2], sys.argv[3])
    else:
        run(*sys.argv[2:7])
