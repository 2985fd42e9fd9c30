#!/usr/bin/env python3
"""Network-policy what-if: a 10,000-rule draft replayed over the 50,000 ledger rows that
bench/audit_bench.py seeds into the demo workspace (each a sign-in from its own address in
10.0.0.0/8).

run: POSTs /api/settings/network-policy/what-if with the demo PAT, an allowlist of the first
10,000 /24s of 10.0.0.0/8 (10.0.0.0/24 … 10.39.15.0/24) and the window the seeded rows span,
three times; reports the median against the 1 s target. Every answer is checked against the
same replay done here over the same SQLite file: the rows of the window that record a request,
the sign-ins the draft blocks (an address outside the rules; the seeded actor is an owner and the
draft has no admin bypass) and the distinct blocked addresses.

Prints one table row, tab-separated: figure, measured, target, ratio.
Usage: whatif_bench.py run BASE SECRETS STATE_DIR
"""
import http.client
import ipaddress
import json
import sqlite3
import sys
import time
import urllib.parse

from scim_bench import database

REPEAT = 3
RULES = 10_000
WS = "ws_demo"
ALLOWED = [ipaddress.ip_network(f"10.{j >> 8}.{j & 255}.0/24") for j in range(RULES)]


def iso(ms):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + f".{ms % 1000:03d}Z"


def expected(state_dir):
    """(window, rows, blocked sign-ins, distinct blocked addresses) from the SQLite file."""
    db = sqlite3.connect(f"file:{database(state_dir)}?mode=ro", uri=True)
    lo, hi = db.execute("SELECT MIN(at), MAX(at) FROM audit_log WHERE workspace_id = ? AND id LIKE 'evt_bench%'",
                        (WS,)).fetchone()
    rows = db.execute("SELECT ip, action FROM audit_log WHERE workspace_id = ? AND at >= ? AND at <= ? AND ip IS NOT NULL "
                      "AND actor_type IN ('user', 'pat', 'scim_token')", (WS, lo, hi)).fetchall()
    db.close()
    allowed = {n.network_address for n in ALLOWED}
    blocked = [ip for ip, _ in rows if ipaddress.ip_network(f"{ip}/24", strict=False).network_address not in allowed]
    return (lo, hi + 1), len(rows), len(blocked), len(set(blocked))


def post(base, pat, body):
    url = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=300)
    data = json.dumps(body)
    t = time.perf_counter()
    conn.request("POST", "/api/settings/network-policy/what-if", body=data,
                 headers={"authorization": f"Bearer {pat}", "content-type": "application/json",
                          "x-axissynapse-client-ip": "198.51.100.7"})
    resp = conn.getresponse()
    answer = resp.read()
    elapsed = time.perf_counter() - t
    conn.close()
    if resp.status != 200:
        raise SystemExit(f"what-if: {resp.status} {answer[:300]!r}")
    return elapsed, json.loads(answer)


def run(base, secrets, state_dir):
    pat = json.load(open(secrets))["pat"]
    (lo, hi), rows, blocked, addresses = expected(state_dir)
    if rows < 50_000:
        raise SystemExit(f"{rows} ledger rows in the window: seed with bench/audit_bench.py first")
    policy = {"mode": "allowlist", "rules": [{"id": f"r{j}", "cidr": str(n)} for j, n in enumerate(ALLOWED)]}
    times = []
    for _ in range(REPEAT):
        elapsed, answer = post(base, pat, {"policy": policy, "from": iso(lo), "to": iso(hi)})
        sign_in = answer["surfaces"][0]
        got = (answer["rows"], sign_in["block"], answer["blockedAddresses"]["total"])
        if got != (rows, blocked, addresses):
            raise SystemExit(f"what-if answered rows/blocked/addresses {got}, expected {(rows, blocked, addresses)}")
        times.append(elapsed)
    median = sorted(times)[REPEAT // 2]
    print("\t".join((
        f"network-policy what-if, {RULES:,}-rule draft over {rows:,} ledger rows ({addresses:,} blocked addresses), "
        f"median of {REPEAT}",
        f"{median * 1000:.0f} ms",
        "target 1,000 ms",
        f"{median:.2f}×",
    )))


if __name__ == "__main__":
    if sys.argv[1] != "run":
        raise SystemExit(__doc__)
    run(*sys.argv[2:5])
