#!/usr/bin/env bash
# The run command: install, build, apply the schema, seed the demo workspace once, and serve
# on http://127.0.0.1:8787 with state persisted in .wrangler/state (re-runs keep the data).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh
source scripts/wrangler-local.sh
echo "== build the worker (worker-build --release, then wasm-opt; first time up to ~5 min, then seconds)" >&2
bash scripts/build.sh
STATE=.wrangler/state
mkdir -p "$STATE"
if [ ! -f .dev.vars ]; then
  echo "AUTH_SECRET=$(head -c 32 /dev/urandom | base64 | tr -d '=+/')" > .dev.vars
  echo "Generated .dev.vars with a random AUTH_SECRET (use the same value in your Auth.js dashboard)."
fi
if ! grep -q '^AUDIT_SIGNING_KEY=' .dev.vars; then
  echo "AUDIT_SIGNING_KEY='$(audit_signing_key "dev-$(date -u +%Y-%m)")'" >> .dev.vars
  echo "Added a new audit signing key to .dev.vars (checkpoints: README, \"Audit signing key\")."
fi
apply_schema "$STATE"
if is_seeded "$STATE"; then
  echo "Demo workspace already seeded (its PAT and SCIM token were printed on the first run)."
else
  echo "== seed the demo workspace (compiles the host seed binary; first time up to ~4 min)" >&2
  seed "$STATE" "$STATE/demo-secrets.json"
  python3 - "$STATE/demo-secrets.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print("\nDemo workspace 'demo' seeded. These secrets are shown once:")
for email, pw in s["passwords"].items():
    print(f"  {email:34} password: {pw}")
print(f"  PAT (admin):  {s['pat']}")
print(f"  SCIM token:   {s['scimToken']}\n")
PY
  rm -f "$STATE/demo-secrets.json" "$STATE/seed.sql"
fi
echo "Serving on http://127.0.0.1:8787"
# wrangler dev cannot be relied on to fire cron: tick it (the webhook sweeper, the hourly audit
# checkpoints) once a minute, as Cloudflare
# would in production (wrangler.toml [triggers]).
( while sleep 60; do curl -s -o /dev/null http://127.0.0.1:8787/cdn-cgi/handler/scheduled || true; done ) &
TICKER=$!
trap 'kill $TICKER 2>/dev/null' EXIT
wrangler dev --ip 127.0.0.1 --port 8787 --persist-to "$STATE" --show-interactive-dev-session=false
