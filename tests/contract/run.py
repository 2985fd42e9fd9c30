"""Contract fuzzing: schemathesis over the served OpenAPI document against a running worker.

Usage (the test command runs it): run.py BASE_URL SECRETS_JSON REPORT_DIR

Runs schemathesis with a fixed seed and bounded examples (schemathesis.toml next to this file)
against the seeded contract workspaces (src/bin/seed.rs), never the ones the e2e suites use.
Most operations run in one pass signed in as the owner of `contract` (its PAT too; the SCIM
token belongs to `contract-scim`, so SCIM fuzzing cannot deprovision that owner). Operations that
would end that pass's session, or lock its account, each run in a pass of their own with a fresh
sign-in, in the order and workspaces PASSES gives.

Checks: everything schemathesis has except `positive_data_acceptance`, which expects any
schema-valid request to succeed; SCIM filters, PatchOp paths and the other grammars are
described as strings, so "valid" input is mostly refused, correctly, with 400. Exits non-zero on
any failure or error. Stdout is schemathesis's own report.
"""

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
        "missing_required_header",
        "unsupported_method",
        "allow_header_conformance",
        "use_after_free",
        "ensure_resource_availability",
        "ignored_auth",
    ]
)
# Passes in order: (operationId, or None for every operation not listed, owner signed in as).
# Logout and session revocation end the fuzzer's session, so they run first, on their own;
# sign-in runs after the main pass, since the fuzzer learns the owner's email there and its
# wrong passwords lock that account, as they should; the last three can each end their
# caller's session for good, so each has a workspace of its own.
PASSES = [
    ("auth_logout", "owner@contract.test"),
    ("account_me_sessions_revoke", "owner@contract.test"),
    (None, "owner@contract.test"),
    ("auth_login", "owner@contract-scim.test"),
    ("workspace_update", "owner@contract-workspace.test"),
    ("netpolicy_put", "owner@contract-netpol.test"),
    ("workspace_user_update", "owner@contract-users.test"),
]


def sign_in(base: str, email: str, password: str) -> str:
    """The `authjs.session-token` cookie value of a fresh password sign-in. It comes from an
    address of its own (development honours X-AxisSynapse-Client-IP), since the fuzzer's many
    sign-in attempts from 127.0.0.1 trip that address's sign-in rate limit, as they should."""
    body = json.dumps({"email": email, "password": password}).encode()
    headers = {"content-type": "application/json", "x-axissynapse-client-ip": "192.0.2.80"}
    request = urllib.request.Request(f"{base}/api/auth/login", data=body, method="POST", headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        for header in response.headers.get_all("set-cookie") or []:
            name, _, rest = header.partition("=")
            if name.strip() == "authjs.session-token":
                return rest.split(";", 1)[0]
    raise SystemExit("sign-in set no authjs.session-token cookie")


def schemathesis(base: str, env: dict, report: Path, selection: list) -> int:
    binary = Path(sys.executable).parent / "schemathesis"
    command = [
        str(binary),
        "--config-file",
        str(HERE / "schemathesis.toml"),
        "run",
        f"{base}/api/developers/openapi.json",
        "--checks",
        CHECKS,
        "--report",
        "junit",
        "--report-junit-path",
        str(report),
        *selection,
    ]
    print("$", " ".join(command), flush=True)
    return subprocess.run(command, env=env, check=False).returncode


def main() -> int:
    base, secrets_path, report_dir = sys.argv[1].rstrip("/"), sys.argv[2], Path(sys.argv[3])
    report_dir.mkdir(parents=True, exist_ok=True)
    secrets = json.loads(Path(secrets_path).read_text())
    contract = secrets["contract"]
    listed = [arg for op, _ in PASSES if op for arg in ("--exclude-operation-id", op)]
    passes = []
    for op, owner in PASSES:
        if op is None:
            passes.append(("all other operations", owner, contract["pat"], listed))
        else:
            # The PAT is the main workspace's: single-operation passes get one that cannot touch it.
            passes.append((op, owner, "pat_unused", ["--include-operation-id", op]))
    failed = []
    for i, (name, owner, pat, selection) in enumerate(passes, 1):
        env = dict(os.environ, AXIS_PAT=pat, AXIS_SCIM_TOKEN=contract["scimToken"])
        env["AXIS_SESSION"] = sign_in(base, owner, secrets["passwords"][owner])
        print(f"== contract pass {i}: {name} (as {owner})", flush=True)
        if schemathesis(base, env, report_dir / f"junit-{i}.xml", selection) != 0:
            failed.append(name)
    if failed:
        print(f"contract fuzzing failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
