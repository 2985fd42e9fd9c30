#!/usr/bin/env python3
"""Request-latency cost of network-policy enforcement on the worker.

Signs in the seeded demo admin, then measures `GET /api/me` with the admin's personal access
token (the API surface) from 8 keep-alive clients, alternating a policy that is off with a
10,000-rule allowlist enforced on the API (the client's address matches one rule), A/B/A/B so
drift hits both. Prints table rows, tab-separated: figure, measured, baseline, ratio.
Usage: hot_path.py BASE SECRETS [seconds].
"""
import http.client, json, statistics, sys, urllib.parse

import closed_loop

BASE, SECRETS = sys.argv[1], sys.argv[2]
SECONDS = float(sys.argv[3]) if len(sys.argv) > 3 else 4.0
ADMIN = "admin@demo.axissynapse.test"
CLIENT_IP = "198.51.100.7"
HOST = urllib.parse.urlsplit(BASE)


def request(method, path, headers=None, body=None, conn=None):
    own = conn is None
    conn = conn or http.client.HTTPConnection(HOST.hostname, HOST.port, timeout=60)
    headers = {"x-axissynapse-client-ip": CLIENT_IP, **(headers or {})}
    if body is not None:
        body = json.dumps(body).encode()
        headers["content-type"] = "application/json"
    conn.request(method, path, body=body, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    if own:
        conn.close()
    return resp.status, resp.getheader("set-cookie") or "", data


def session_cookie(password):
    status, cookie, body = request("POST", "/api/auth/login", body={"email": ADMIN, "password": password})
    assert status == 200, body
    return cookie.split(";")[0]


def put_policy(cookie, policy):
    status, _, body = request("PUT", "/api/settings/network-policy", {"cookie": cookie, "x-axissynapse-request": "1"}, policy)
    assert status == 200, body[:300]


def large_policy():
    rules = [{"id": f"r{i}", "cidr": f"10.{i >> 8}.{i & 255}.0/24", "label": "branch"} for i in range(9_999)]
    rules.append({"id": "office", "cidr": "198.51.100.0/24", "label": "Office"})
    return {"mode": "allowlist", "rules": rules, "surfaces": {"signIn": False, "dashboard": False, "api": True, "scim": True}}


def load(pat):
    """(requests per second, p50 ms, p95 ms) over SECONDS from 8 keep-alive clients."""
    headers = {"x-axissynapse-client-ip": CLIENT_IP, "authorization": f"Bearer {pat}"}
    return closed_loop.rate_p50_p95(*closed_loop.drive(BASE, lambda _rng: "/api/me", headers, SECONDS))


def main():
    secrets = json.load(open(SECRETS))
    cookie = session_cookie(secrets["passwords"][ADMIN])
    pat = secrets["pat"]
    off, on = [], []
    load(pat)  # warm up
    for _ in range(2):
        put_policy(cookie, {"mode": "off"})
        off.append(load(pat))
        put_policy(cookie, large_policy())
        load(pat) if not on else None  # first use after a change recompiles the policy
        on.append(load(pat))
    put_policy(cookie, {"mode": "off"})
    best = lambda runs, i: statistics.median(r[i] for r in runs)
    row = lambda *cells: print("\t".join(cells))
    rate_on, rate_off = best(on, 0), best(off, 0)
    row("hot path with a 10,000-rule network policy enforced", f"{rate_on:.0f} req/s", f"policy off {rate_off:.0f} req/s",
        f"{rate_on / rate_off:.2f}×")
    (p50, p95), (b50, b95) = (best(on, 1), best(on, 2)), (best(off, 1), best(off, 2))
    row("same, p50 / p95", f"{p50:.1f} / {p95:.1f} ms", f"policy off {b50:.1f} / {b95:.1f} ms",
        f"{p50 / b50:.2f}× / {p95 / b95:.2f}×")


main()
