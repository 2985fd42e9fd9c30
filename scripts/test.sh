#!/usr/bin/env bash
# The test command: install (scripts/setup.sh --test: what running needs, plus Chromium and the
# Python venvs), host unit tests, build, then the e2e suites over HTTP against
# `wrangler dev` on a free port with a throwaway state dir (Rust over HTTP, then headless
# Chromium for WebAuthn, the public SCIM conformance tools), restarting it once to prove
# persistence. Stops the worker on exit,
# whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
source scripts/env.sh
source scripts/wrangler-local.sh

echo "== lints (clippy, warnings are errors; the crate denies unwrap/expect/panic outside tests)"
cargo clippy --lib --bins --tests -- -D warnings

echo "== host unit tests"
# The test venv's Python: docs/audit_verify.py's agreement test (host), and the e2e tests' webhook
# receiver, which verifies deliveries with PyPI's standardwebhooks.
export AXIS_PYTHON="$AXIS_TOOLS/scim-venv/bin/python"
cargo test --lib --bins --test netpolicy_oracle --test schema_migrations

echo "== build"
bash scripts/build.sh

STATE=$(mktemp -d /tmp/axis-e2e.XXXXXX)
# wrangler appends every inspector event (each D1 result among them) to a debug log: keep it
# with the run's state, which is deleted at the end, instead of under .wrangler/ for good.
export WRANGLER_LOG_PATH="$STATE/wrangler-debug.log"
PORT=$(free_port)
SECRET=$(head -c 32 /dev/urandom | base64 | tr -d '=+/')
# The operator API (workspace moves, tests/e2e/moves.rs) answers only with this token set.
OPERATOR=$(head -c 32 /dev/urandom | base64 | tr -d '=+/')
export AXIS_BASE_URL="http://127.0.0.1:$PORT" AXIS_STATE="$STATE" AXIS_SECRETS="$STATE/secrets.json" AXIS_AUTH_SECRET="$SECRET"
export AXIS_OPERATOR_TOKEN="$OPERATOR"
test_audit_keys
PGID=""
start_worker() {
  setsid wrangler dev --ip 127.0.0.1 --port "$PORT" --persist-to "$STATE" --show-interactive-dev-session=false \
    --var "AUTH_SECRET:$SECRET" --var "OPERATOR_TOKEN:$OPERATOR" --var ACCESS_LOG:on \
    --var "AUDIT_SIGNING_KEY:$AXIS_AUDIT_SIGNING_KEY" --var "AUDIT_PUBLIC_KEYS:$AXIS_AUDIT_PUBLIC_KEYS" >>"$STATE/wrangler.log" 2>&1 &
  PGID=$!
  wait_ready "$AXIS_BASE_URL" 60 || { tail -50 "$STATE/wrangler.log"; exit 1; }
}
stop_worker() {
  [ -n "$PGID" ] || return 0
  kill -TERM -- "-$PGID" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 -- "-$PGID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$PGID" 2>/dev/null || true
  PGID=""
}
CPGID=""
trap 'stop_worker; [ -z "$CPGID" ] || kill -TERM -- "-$CPGID" 2>/dev/null; rm -rf "$STATE" wrangler.contract.toml' EXIT

echo "== e2e (wrangler dev on $AXIS_BASE_URL, state $STATE)"
apply_schema "$STATE"
seed "$STATE" "$AXIS_SECRETS" --fixtures
start_worker
# keep_logs: on a failure, what the worker and wrangler said goes to target/test-logs/ (the
# state dir is deleted on exit), and its non-request lines to the console.
keep_logs() {
  mkdir -p target/test-logs
  cp "$STATE/wrangler.log" target/test-logs/ 2>/dev/null || true
  tail -c 20000000 "$STATE/wrangler-debug.log" >target/test-logs/wrangler-debug.log 2>/dev/null || true
  echo "== wrangler's own lines (all of it in target/test-logs/)"
  grep -v '^\[wrangler:info\] [A-Z]* /' "$STATE/wrangler.log" | grep -v '"requestId"' | tail -40 || true
}
cargo test --test e2e -- --test-threads=4 || { keep_logs; exit 1; }

echo "== SCIM conformance (scim2-tester, scim-sanity) against the demo workspace"
"$AXIS_TOOLS/scim-venv/bin/python" tests/conformance/scim_conformance.py "$AXIS_BASE_URL" \
  "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["scimToken"])' "$AXIS_SECRETS")"

echo "== browser e2e (headless Chromium, virtual authenticator)"
# WebAuthn needs a secure context and a domain RP ID: localhost is both.
AXIS_BROWSER_URL="http://localhost:$PORT" node --test tests/browser/

echo "== contract fuzzing (schemathesis over the served OpenAPI document; its own worker and state)"
# API rate-limit windows raised so the fuzzer reaches the logic behind them (429s are tested in
# e2e); fixed seed, bounded examples: tests/contract/schemathesis.toml.
CSTATE="$STATE/contract"; mkdir -p "$CSTATE"
raised_limits_config wrangler.contract.toml
apply_schema "$CSTATE"
seed "$CSTATE" "$CSTATE/secrets.json" --fixtures
CPORT=$(free_port)
setsid wrangler dev --config wrangler.contract.toml --ip 127.0.0.1 --port "$CPORT" --persist-to "$CSTATE" \
  --inspector-port "$(free_port)" --show-interactive-dev-session=false --var "AUTH_SECRET:$SECRET" \
  --var "AUDIT_SIGNING_KEY:$AXIS_AUDIT_SIGNING_KEY" >"$CSTATE/wrangler.log" 2>&1 &
CPGID=$!
wait_ready "http://127.0.0.1:$CPORT" 60 || { tail -50 "$CSTATE/wrangler.log"; exit 1; }
"$AXIS_TOOLS/contract-venv/bin/python" tests/contract/run.py "http://127.0.0.1:$CPORT" "$CSTATE/secrets.json" "$CSTATE/report"
kill -TERM -- "-$CPGID" 2>/dev/null || true
CPGID=""
rm -f wrangler.contract.toml

echo "== deploy dry run (production environment, offline)"
wrangler deploy --dry-run --env production --outdir "$STATE/deploy" >"$STATE/deploy.log" 2>&1 || { cat "$STATE/deploy.log"; exit 1; }
if grep -qi "warning" "$STATE/deploy.log"; then cat "$STATE/deploy.log"; echo "deploy dry run warned" >&2; exit 1; fi

echo "== e2e after a wrangler dev restart (a webhook retry is in flight when it goes down)"
cargo test --test e2e_after_restart -- --ignored --exact arm_a_webhook_retry_across_the_restart
stop_worker
start_worker
cargo test --test e2e_after_restart
