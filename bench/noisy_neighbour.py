#!/usr/bin/env python3
"""Noisy neighbour (issue 16): while one tenant on shard 0 is driven at full load, how much
slower does another tenant get, when it lives on another shard and when it shares shard 0?

The noisy tenant is the demo workspace (shard 0): 8 keep-alive clients page its audit log
(`GET /api/settings/audit-log?limit=50`, a D1 read per request) with its PAT. Each victim is a
bench workspace seeded by `seed --bench` (`ws_bench_far` on shard 1, `ws_bench_near` on shard 0),
measured with one client on `GET /api/me` with its own PAT: first idle, then under the load.
Locally every shard is a SQLite file in the same workerd on the same cores, so this measures
what the worker shares (CPU, the isolate), not D1's per-database serialisation; the ratio is
the figure, next to its target (≤ 1.5× the idle p95).

Prints table rows, tab-separated: figure, measured, baseline, ratio.
Usage: noisy_neighbour.py WORKER_BASE SECRETS [seconds]
"""
import json
import sys
import threading

import closed_loop


def p95(base, path, token, seconds, clients):
    headers = {"authorization": f"Bearer {token}", "x-axissynapse-client-ip": "198.51.100.9"}
    n, elapsed, latencies = closed_loop.drive(base, lambda _rng: path, headers, seconds, clients=clients)
    return closed_loop.rate_p50_p95(n, elapsed, latencies)[2]


def main():
    base, secrets = sys.argv[1], json.load(open(sys.argv[2]))
    seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 10.0
    noisy = secrets["pat"]
    victims = [("another shard (1)", secrets["bench"]["far"]), ("the same shard (0)", secrets["bench"]["near"])]
    for _, token in victims:  # warm up
        p95(base, "/api/me", token, 1, 1)
    for where, token in victims:
        idle = p95(base, "/api/me", token, seconds, 1)
        loaded = {}
        load = threading.Thread(
            target=lambda: p95(base, "/api/settings/audit-log?limit=50", noisy, seconds + 2, 8))
        load.start()
        loaded["p95"] = p95(base, "/api/me", token, seconds, 1)
        load.join()
        ratio = loaded["p95"] / idle
        verdict = "met" if ratio <= 1.5 else "not met"
        print("\t".join([
            f"noisy neighbour: a tenant on {where}, p95 of `GET /api/me` while shard 0's demo tenant is "
            f"driven by 8 clients (1 client, {seconds:.0f} s each)",
            f"{loaded['p95']:.1f} ms", f"idle {idle:.1f} ms; target ≤ 1.5×", f"{ratio:.2f}× ({verdict})",
        ]))


if __name__ == "__main__":
    main()
