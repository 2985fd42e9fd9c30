"""Webhook fan-out bench: 20 audited events to 50 subscriptions = 1,000 signed deliveries
through the worker's D1 outbox and local Queue to tests/webhooks/receiver.py, which verifies
every one with the public `standardwebhooks` library. Prints the time from the first event
to the last verified delivery, deliveries/s, per-delivery lag (event timestamp to receipt)
p50/p95, and, as the baseline measured in the same run, the time the same receiver takes to
take 1,000 deliveries signed and posted straight from Python over 8 keep-alive connections.
Prints table rows, tab-separated: figure, measured, baseline, ratio.

Usage: webhook_bench.py BASE SECRETS_JSON PYTHON_WITH_STANDARDWEBHOOKS
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime

BASE, SECRETS, PYTHON = sys.argv[1:4]
SUBS, EVENTS = 50, 20
TOTAL = SUBS * EVENTS


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    return s.getsockname()[1]


def call(method, path, body=None, cookie=None, url=None):
    req = urllib.request.Request((url or BASE) + path, method=method,
                                 data=None if body is None else json.dumps(body).encode())
    req.add_header("content-type", "application/json")
    if cookie:
        req.add_header("cookie", cookie)
        req.add_header("x-axissynapse-request", "1")  # a server-side caller's CSRF proof
    with urllib.request.urlopen(req, timeout=60) as r:
        text = r.read()
        return r.headers, (json.loads(text) if text else None)


def start_receiver(port, log):
    p = subprocess.Popen([PYTHON, "tests/webhooks/receiver.py", str(port), log], stdout=subprocess.DEVNULL)
    for _ in range(200):
        try:
            call("GET", "/_received", url=f"http://127.0.0.1:{port}")
            return p
        except OSError:
            time.sleep(0.05)
    raise SystemExit("receiver did not start")


def received(port):
    return call("GET", "/_received", url=f"http://127.0.0.1:{port}")[1]


def wait_rows(port, n, timeout=120):
    deadline = time.time() + timeout
    while True:
        rows = received(port)
        if len(rows) >= n or time.time() > deadline:
            return rows
        time.sleep(0.05)


def baseline(port, secret):
    code = r'''
import http.client, json, sys, threading, time
from datetime import datetime, timezone
from standardwebhooks.webhooks import Webhook
port, secret, total = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
hook = Webhook(secret)
def client(k):
    c = http.client.HTTPConnection("127.0.0.1", port)
    for i in range(k, total, 8):
        body = json.dumps({"type": "BASELINE", "id": f"evt_{i}", "timestamp": "", "workspaceId": "ws", "data": {}})
        ts = datetime.now(tz=timezone.utc)
        headers = {"content-type": "application/json", "webhook-id": f"msg_{i}",
                   "webhook-timestamp": str(int(ts.timestamp())), "webhook-signature": hook.sign(f"msg_{i}", ts, body)}
        c.request("POST", "/hook", body=body, headers=headers)
        c.getresponse().read()
t = time.perf_counter()
threads = [threading.Thread(target=client, args=(k,)) for k in range(8)]
[x.start() for x in threads]; [x.join() for x in threads]
print(time.perf_counter() - t)
'''
    out = subprocess.run([PYTHON, "-c", code, str(port), secret, str(TOTAL)], capture_output=True, text=True, check=True)
    return float(out.stdout)


def main():
    secrets = json.load(open(SECRETS))
    admin = next(e for e in secrets["passwords"] if e.startswith("admin@demo"))
    headers, _ = call("POST", "/api/auth/login", {"email": admin, "password": secrets["passwords"][admin]})
    cookie = next(v.split(";")[0] for k, v in headers.items() if k.lower() == "set-cookie" and "session-token" in v)
    tmp = tempfile.mkdtemp(prefix="axis-webhook-bench.")
    port = free_port()
    receiver = start_receiver(port, f"{tmp}/warmup.jsonl")
    try:
        subs = []
        for i in range(SUBS):
            _, sub = call("POST", "/api/settings/webhooks", {"name": f"bench-{i}", "url": f"http://127.0.0.1:{port}/hook/{i}",
                                                              "eventFilters": ["WORKSPACE_SETTINGS_UPDATED"]}, cookie)
            subs.append(sub)
        call("POST", "/_control", {"secrets": [s["secret"] for s in subs]}, url=f"http://127.0.0.1:{port}")
        direct = baseline(port, subs[0]["secret"])
        receiver.terminate(); receiver.wait()
        port2 = port
        receiver = start_receiver(port2, f"{tmp}/run.jsonl")
        call("POST", "/_control", {"secrets": [s["secret"] for s in subs]}, url=f"http://127.0.0.1:{port2}")
        t0 = time.time()
        for _ in range(EVENTS):
            call("PATCH", "/api/settings/workspace", {"mfaRequired": False}, cookie)
        produced = time.time() - t0
        rows = wait_rows(port2, TOTAL)
        done = max(r["at"] for r in rows) - t0 if rows else float("nan")
        verified = sum(1 for r in rows if any(r["verified"]))
        distinct = len({(r["id"], r["path"]) for r in rows})
        lags = sorted(r["at"] - datetime.fromisoformat(r["eventTimestamp"].replace("Z", "+00:00")).timestamp()
                      for r in rows if r.get("eventTimestamp"))
        p = lambda q: lags[min(len(lags) - 1, int(len(lags) * q))] * 1000 if lags else float("nan")
        row = lambda *cells: print("\t".join(cells))
        row(f"webhook fan-out: {EVENTS} events × {SUBS} subscriptions = {TOTAL:,} signed deliveries, first event → last verified",
            f"{done:.1f} s ({TOTAL / done:.0f} deliveries/s; lag p50 {p(0.5) / 1000:.2f} s, p95 {p(0.95) / 1000:.2f} s; "
            f"{len(rows)} received, {verified} verified, {len(rows) - distinct} duplicates; events written in {produced:.1f} s)",
            "target ≤ 10 s", f"{done / 10:.2f}×")
        row(f"same, against the receiver taking {TOTAL:,} deliveries posted straight from Python (8 keep-alive clients)",
            f"{done:.1f} s", f"direct {direct:.1f} s", f"{done / direct:.1f}×")
        for s in subs:
            call("DELETE", f"/api/settings/webhooks/{s['id']}", cookie=cookie)
    finally:
        receiver.terminate()


main()
