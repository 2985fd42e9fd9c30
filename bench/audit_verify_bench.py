#!/usr/bin/env python3
"""Offline verification of a signed 50,000-row NDJSON audit export (issue 20).

generate DIR: writes DIR/export.ndjson, a complete export as the worker writes it (rows in the
`ledger::to_json` shape, newest first, then the checkpoint line with its unsigned `export`
member), and DIR/keys.json, the JWKS. The rows are a realistic mix (sign-ins, step-ups, SCIM
provisioning, token and settings changes; users, PATs, SCIM tokens and the system as actors;
rows with and without a resource or an address; JSON object, JSON string and raw-text `data`),
chained and hashed with the documented encoding (docs/audit-verification.md), the checkpoint
signed with Ed25519 (`cryptography`).

run DIR BIN: times `BIN DIR/export.ndjson --keys DIR/keys.json` (the release `audit-verify`),
`sha256sum` of the same file (the floor: reading and hashing every byte once) and
docs/audit_verify.py, best of 5 each, after checking each verifier answers OK.

Prints table rows, tab-separated: figure, measured, baseline, ratio.
Usage: audit_verify_bench.py generate DIR | run DIR BIN
"""
import base64
import json
import os
import pathlib
import struct
import subprocess
import sys
import time

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit_bench import row_hash, text  # the row encoding, written once

ROWS = 50_000
REPEAT = 5
WS = "ws_demo"
GENESIS = "0" * 64
START_MS = 1_790_000_000_000
ROOT = pathlib.Path(__file__).resolve().parent.parent
KEY = Ed25519PrivateKey.from_private_bytes(bytes([7]) * 32)


def iso(ms):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + f".{ms % 1000:03d}Z"


def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def compact(v):
    return json.dumps(v, separators=(",", ":"), ensure_ascii=False, sort_keys=True)


def event(seq):
    """(action, actor type, actor id, resource type, resource id, ip, data text) of row `seq`."""
    user, ip = f"usr_{seq % 500:04d}", f"10.{seq % 40}.{seq % 250}.{seq % 200 + 1}"
    kind = seq % 10
    if kind < 4:
        return ("ACCOUNT_SIGNIN_SUCCEEDED", "user", user, "session", f"ses_{seq:06d}", ip,
                compact({"method": "passkey" if seq % 3 else "password", "userAgent": "Mozilla/5.0 (X11; Linux x86_64)"}))
    if kind < 6:
        return ("ACCOUNT_STEPUP_SUCCEEDED", "user", user, "session", f"ses_{seq:06d}", ip,
                compact({"factor": "totp", "scope": "settings.audit"}))
    if kind < 8:
        return ("SCIM_USER_CREATED", "scim", "scim_01", "user", f"usr_{seq:06d}", ip,
                compact({"userName": f"user{seq}@example.com", "displayName": f"Zoë {seq}", "active": True}))
    if kind == 8:
        return ("ACCOUNT_PAT_CREATED", "pat", f"pat_{seq % 30:02d}", None, None, None, compact("a JSON string"))
    return ("WORKSPACE_SETTINGS_UPDATED", "system", None, "workspace", WS, None, "raw text, not JSON")


def generate(out):
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    prev, lines = GENESIS, []
    for seq in range(1, ROWS + 1):
        action, atype, aid, rtype, rid, ip, data = event(seq)
        at, eid = START_MS + seq * 1_000, f"evt_{seq:08d}"
        h = row_hash({"workspace_id": WS, "seq": seq, "id": eid, "at": at, "action": action, "actor_type": atype,
                      "actor_id": aid, "resource_type": rtype, "resource_id": rid, "ip": ip, "data": data,
                      "prev_hash": prev})
        try:
            data_value = json.loads(data)
        except ValueError:
            data_value = data
        lines.append(compact({"id": eid, "seq": seq, "occurredAt": iso(at), "action": action,
                              "actor": {"type": atype, "id": aid},
                              "resource": {"type": rtype, "id": rid} if rtype else None, "ip": ip,
                              "data": data_value, "prevHash": prev, "hash": h}))
        prev = h
    t = START_MS + (ROWS + 1) * 1_000
    msg = (text("axissynapse-edge/audit-checkpoint/v1") + text(WS) + struct.pack(">q", ROWS) + text(prev)
           + struct.pack(">q", t) + text("k1"))
    cp = {"type": "axissynapse.audit.checkpoint.v1", "workspaceId": WS, "seq": ROWS, "hash": prev, "time": iso(t),
          "kid": "k1", "sig": b64(KEY.sign(msg)), "export": {"filters": {}, "order": "newest-first"}}
    lines.reverse()
    lines.append(compact(cp))
    (out / "export.ndjson").write_text("\n".join(lines) + "\n", encoding="utf-8")
    public = KEY.public_key().public_bytes_raw()
    jwk = {"kty": "OKP", "crv": "Ed25519", "use": "sig", "alg": "EdDSA", "kid": "k1", "x": b64(public)}
    (out / "keys.json").write_text(json.dumps({"keys": [jwk]}), encoding="utf-8")


def best_ms(cmd, expect=None):
    """Best wall time of REPEAT runs, ms; checks the first run's stdout starts with `expect`."""
    times = []
    for i in range(REPEAT):
        t = time.perf_counter()
        out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
        times.append((time.perf_counter() - t) * 1000)
        if i == 0 and (out.returncode != 0 or (expect and not out.stdout.decode().startswith(expect))):
            raise SystemExit(f"{cmd}: exit {out.returncode}: {out.stdout.decode()}{out.stderr.decode()}")
    return min(times)


def run(out, binary):
    export, keys = os.path.join(out, "export.ndjson"), os.path.join(out, "keys.json")
    ok = f"OK workspace {WS} rows 1..={ROWS} ({ROWS} rows)"
    floor = best_ms(["sha256sum", export])
    rust = best_ms([binary, export, "--keys", keys], ok)
    python = best_ms([sys.executable, str(ROOT / "docs" / "audit_verify.py"), export, "--keys", keys], ok)
    size = os.path.getsize(export)
    what = f"{ROWS:,}-row signed NDJSON export, {size / 1e6:.1f} MB; best of {REPEAT}"
    print(f"audit-verify (release), {what}\t{rust:.0f} ms\tsha256sum {floor:.0f} ms\t{rust / floor:.1f}×")
    print(f"docs/audit_verify.py, same file\t{python:.0f} ms\tsha256sum {floor:.0f} ms\t{python / floor:.1f}×")


if __name__ == "__main__":
    if sys.argv[1:2] == ["generate"] and len(sys.argv) == 3:
        generate(sys.argv[2])
    elif sys.argv[1:2] == ["run"] and len(sys.argv) == 4:
        run(sys.argv[2], sys.argv[3])
    else:
        raise SystemExit(__doc__)
