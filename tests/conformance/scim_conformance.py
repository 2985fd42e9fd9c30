#!/usr/bin/env python3
"""Runs the public SCIM conformance tools against the local worker; exits non-zero on any
failed check.

- scim2-tester (python-scim): discovery, then create/read/replace/delete of every resource
  type the server publishes, checked against RFC 7643/7644. Any ERROR or CRITICAL fails.
- scim-sanity `probe --strict`: the 7-phase lifecycle probe; any failed check fails.

Usage: scim_conformance.py BASE_URL SCIM_TOKEN   (BASE_URL like http://127.0.0.1:8787)
"""
import json
import subprocess
import sys
from pathlib import Path

import httpx2
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

BASE, TOKEN = sys.argv[1].rstrip("/"), sys.argv[2]
SCIM = f"{BASE}/api/scim/v2"
FAILING = {Status.ERROR, Status.CRITICAL}


def scim2_tester() -> int:
    http = httpx2.Client(base_url=SCIM, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60)
    client = SyncSCIMClient(http)
    client.discover()
    results = check_server(client)
    failed = [r for r in results if r.status in FAILING]
    counts = {}
    for r in results:
        counts[r.status.name] = counts.get(r.status.name, 0) + 1
    print(f"scim2-tester: {len(results)} checks {counts}")
    for r in failed:
        print(f"  FAIL [{r.status.name}] {r.resource_type or '-'} {r.title}: {r.reason}")
    return len(failed)


def scim_sanity() -> int:
    exe = Path(sys.executable).with_name("scim-sanity")
    out = subprocess.run(
        [str(exe), "probe", SCIM, "--token", TOKEN, "--strict", "--json-output", "--i-accept-side-effects"],
        capture_output=True, text=True, timeout=600,
    )
    try:
        report = json.loads(out.stdout)
    except json.JSONDecodeError:
        print("scim-sanity: unreadable output\n" + out.stdout + out.stderr)
        return 1
    results = report.get("results", report if isinstance(report, list) else [])
    failed = [r for r in results if str(r.get("status", "")).lower() in ("fail", "error", "failed")]
    summary = report.get("summary") if isinstance(report, dict) else None
    print(f"scim-sanity: {len(results)} checks, {len(failed)} failed, summary {summary}, exit {out.returncode}")
    for r in failed:
        print(f"  FAIL {r.get('phase', '')} {r.get('name', '')}: {r.get('message', '')}")
    return len(failed) + (1 if out.returncode != 0 and not failed else 0)


if __name__ == "__main__":
    failures = scim2_tester() + scim_sanity()
    sys.exit(1 if failures else 0)
