#!/usr/bin/env python3
"""Authenticated hot path against the no-op and the floor Rust workers, same workerd, same
client, same run.

Drives `GET /api/me` with the seeded demo PAT on the worker, `GET /` with the same headers on
the no-op Rust worker (bench/noop-rust), and `GET /?id=<the PAT's id>` with the same headers
on the floor worker (bench/floor-rust: one D1 point read of that token row), from CLIENTS
keep-alive clients for SECONDS per round, alternating worker / no-op / floor for ROUNDS
rounds so drift hits all three. Every response must be a 200 (the bench exits otherwise).
CPU per request: utime + stime of the `workerd` processes under each `wrangler dev` (found by
walking the process tree from its pid), over the rounds, divided by the requests they served.

Prints table rows, tab-separated: figure, measured, baseline, ratio.
Usage: throughput.py WORKER_BASE WORKER_PID NOOP_BASE NOOP_PID FLOOR_BASE FLOOR_PID SECRETS [seconds] [rounds]
"""
import json
import os
import statistics
import sys

import closed_loop

CLIENTS = 8
TICK = os.sysconf("SC_CLK_TCK")


def descendants(root):
    """pid → (name, cpu seconds) for `root` and every process below it."""
    procs = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        # The name is in parentheses and may hold spaces: split after the last ')'.
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        ppid, utime, stime = int(fields[1]), int(fields[11]), int(fields[12])
        procs[int(entry)] = (ppid, name, (utime + stime) / TICK)
    out, todo = {}, [root]
    while todo:
        pid = todo.pop()
        if pid in procs:
            out[pid] = procs[pid][1:]
            todo.extend(p for p, (ppid, _, _) in procs.items() if ppid == pid)
    return out


def workerd_cpu(root):
    """CPU seconds so far of the workerd processes under `root`, and of the whole tree."""
    tree = descendants(root)
    workerd = [cpu for name, cpu in tree.values() if name == "workerd"]
    if not workerd:
        raise SystemExit(f"no workerd process under pid {root}")
    return sum(workerd), sum(cpu for _, cpu in tree.values())


def load(base, path, headers, seconds):
    """(requests, elapsed s, latencies) from CLIENTS keep-alive clients for `seconds`."""
    return closed_loop.drive(base, lambda _rng: path, headers, seconds, CLIENTS)


def measure(base, path, headers, pid, seconds):
    cpu0, tree0 = workerd_cpu(pid)
    n, elapsed, latencies = load(base, path, headers, seconds)
    cpu1, tree1 = workerd_cpu(pid)
    q = statistics.quantiles(latencies, n=20)
    return {"n": n, "rate": n / elapsed, "p50": q[9] * 1000, "p95": q[18] * 1000,
            "cpu": cpu1 - cpu0, "tree": tree1 - tree0}


def token_id(token):
    """The hex id embedded in a token (`pat_<id>_<secret>`), the floor's primary key."""
    return token.split("_")[1]


def verdict(ok):
    return "met" if ok else "not met"


def main():
    worker, worker_pid, noop, noop_pid, floor, floor_pid, secrets = sys.argv[1:8]
    seconds = float(sys.argv[8]) if len(sys.argv) > 8 else 10.0
    rounds = int(sys.argv[9]) if len(sys.argv) > 9 else 2
    pat = json.load(open(secrets))["pat"]
    headers = {"authorization": f"Bearer {pat}", "x-axissynapse-client-ip": "198.51.100.7"}
    targets = {"worker": (worker, "/api/me", int(worker_pid)), "noop": (noop, "/", int(noop_pid)),
               "floor": (floor, f"/?id={token_id(pat)}", int(floor_pid))}
    for base, path, _ in targets.values():  # warm up the isolates and connections
        load(base, path, headers, 2)
    runs = {name: [] for name in targets}
    for _ in range(rounds):
        for name, (base, path, pid) in targets.items():
            runs[name].append(measure(base, path, headers, pid, seconds))

    med = lambda name, key: statistics.median(r[key] for r in runs[name])
    per_req = lambda name, key: sum(r[key] for r in runs[name]) / sum(r["n"] for r in runs[name]) * 1000
    w, n, f = ({k: med(name, k) for k in ("rate", "p50", "p95")} for name in ("worker", "noop", "floor"))
    cw, cn, cf = per_req("worker", "cpu"), per_req("noop", "cpu"), per_req("floor", "cpu")
    tw, tn = per_req("worker", "tree"), per_req("noop", "tree")
    label = f"{CLIENTS} clients, {rounds}×{seconds:.0f} s"
    rate_ratio, p95_ratio, marginal = w["rate"] / f["rate"], w["p95"] / f["p95"], cw - cf
    rows = [
        (f"hot path: `GET /api/me` with a PAT, req/s ({label})", f"{w['rate']:.0f} req/s",
         f"no-op Rust worker {n['rate']:.0f} req/s", f"{w['rate'] / n['rate']:.2f}×"),
        ("hot path p50 / p95", f"{w['p50']:.1f} / {w['p95']:.1f} ms", f"no-op {n['p50']:.1f} / {n['p95']:.1f} ms",
         f"{w['p50'] / n['p50']:.1f}× / {w['p95'] / n['p95']:.1f}×"),
        ("CPU per request, workerd (utime+stime ÷ requests)", f"{cw:.2f} ms", f"no-op {cn:.2f} ms", f"{cw / cn:.1f}×"),
        ("marginal CPU per request over the no-op", f"{cw - cn:.2f} ms", "–", "–"),
        ("CPU per request, whole `wrangler dev` tree", f"{tw:.2f} ms", f"no-op {tn:.2f} ms", f"{tw / tn:.1f}×"),
        (f"hot path against the floor worker (one D1 point read of the token row), req/s ({label})",
         f"{w['rate']:.0f} req/s", f"floor {f['rate']:.0f} req/s; target ≥ 0.8×",
         f"{rate_ratio:.2f}× ({verdict(rate_ratio >= 0.8)})"),
        ("hot path p95 against the floor worker", f"{w['p95']:.1f} ms (p50 {w['p50']:.1f})",
         f"floor {f['p95']:.1f} ms (p50 {f['p50']:.1f}); target ≤ 1.3×", f"{p95_ratio:.2f}× ({verdict(p95_ratio <= 1.3)})"),
        ("CPU per request, workerd, floor worker", f"{cf:.2f} ms", f"no-op {cn:.2f} ms", f"{cf / cn:.1f}×"),
        ("marginal CPU per request over the floor worker", f"{marginal:.2f} ms", "target ≤ 1 ms",
         f"{marginal:.2f}× ({verdict(marginal <= 1)})"),
    ]
    for r in rows:
        print("\t".join(r))


if __name__ == "__main__":
    main()
