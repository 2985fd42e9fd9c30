#!/usr/bin/env bash
# Focused e2e run while developing: build, start a throwaway `wrangler dev`, seed it, and run
# `cargo test --test e2e` with the given filter (e.g. `bash scripts/e2e.sh scim::`), or with
# `--browser [files]` the browser tests (default: all of tests/browser/).
# `make test` runs everything; this runs one slice of it against the same setup. It installs
# what running needs plus the test venv, whose Python runs the tests' webhook receiver and SAML
# IdP (scripts/setup.sh --venv; nothing when they are present).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --venv
source scripts/env.sh
source scripts/wrangler-local.sh
bash scripts/build.sh
STATE=$(mktemp -d /tmp/axis-e2e.XXXXXX)
# wrangler appends every inspector event (each D1 result among them) to a debug log: keep it
# with the run's state, which is deleted at the end, instead of under .wrangler/ for good.
export WRANGLER_LOG_PATH="$STATE/wrangler-debug.log"
PORT=$(free_port)
SECRET=$(head -c 32 /dev/urandom | base64 | tr -d '=+/')
OPERATOR=$(head -c 32 /dev/urandom | base64 | tr -d '=+/')
export AXIS_BASE_URL="http://127.0.0.1:$PORT" AXIS_STATE="$STATE" AXIS_SECRETS="$STATE/secrets.json" AXIS_AUTH_SECRET="$SECRET"
export AXIS_OPERATOR_TOKEN="$OPERATOR"
test_audit_keys
export AXIS_PYTHON="$AXIS_TOOLS/scim-venv/bin/python"
apply_schema "$STATE"
seed "$STATE" "$AXIS_SECRETS" --fixtures
setsid wrangler dev --ip 127.0.0.1 --port "$PORT" --persist-to "$STATE" --inspector-port "$(free_port)" \
  --show-interactive-dev-session=false --var "AUTH_SECRET:$SECRET" --var "OPERATOR_TOKEN:$OPERATOR" --var ACCESS_LOG:on \
    --var "AUDIT_SIGNING_KEY:$AXIS_AUDIT_SIGNING_KEY" --var "AUDIT_PUBLIC_KEYS:$AXIS_AUDIT_PUBLIC_KEYS" >>"$STATE/wrangler.log" 2>&1 &
PGID=$!
trap 'kill -TERM -- "-$PGID" 2>/dev/null; rm -rf "$STATE"' EXIT
wait_ready "$AXIS_BASE_URL" 60 || { tail -50 "$STATE/wrangler.log"; exit 1; }
if [ "${1:-}" = "--browser" ]; then
  shift
  # WebAuthn needs a secure context and a domain RP ID: localhost is both.
  AXIS_BROWSER_URL="http://localhost:$PORT" node --test "${@:-tests/browser/}"
else
  cargo test --test e2e -- --test-threads=4 "$@"
fi
