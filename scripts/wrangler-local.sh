# Sourced helpers for local D1 state and a wrangler dev process. Needs scripts/env.sh first.
# d1 STATE BINDING ARGS…: run `wrangler d1 execute` against one local database persisted in STATE
# (BINDING: DIRECTORY or DB_SHARD_<n>).
d1() {
  local state=$1 binding=$2; shift 2
  wrangler d1 execute "$binding" --local --persist-to "$state" "$@" </dev/null
}

# apply_schema STATE: migrate every local database (the directory and each shard) the way a
# deploy does (scripts/migrate.sh; a host test keeps the migrations equal to schema.sql).
apply_schema() {
  bash scripts/migrate.sh --local "$1" 2>/dev/null
}

# is_seeded STATE: whether the demo workspace exists.
is_seeded() {
  d1 "$1" DB_SHARD_0 --json --command "SELECT COUNT(*) AS n FROM workspaces WHERE id = 'ws_demo'" 2>/dev/null |
    grep -q '"n": 1'
}

# seed STATE SECRETS [--fixtures]: insert the demo (and fixture) data, each workspace on its
# shard and the directory's entries; secrets to SECRETS.
seed() {
  local state=$1 secrets=$2 f; shift 2
  cargo run -q --bin seed -- "$@" --secrets "$secrets" --out "$state/seed"
  d1 "$state" DIRECTORY --file "$state/seed/directory.sql" >/dev/null
  for f in "$state"/seed/shard-*.sql; do
    f=${f##*/shard-}
    d1 "$state" "DB_SHARD_${f%.sql}" --file "$state/seed/shard-$f" >/dev/null
  done
}

# wait_ready URL SECONDS: poll until the worker answers.
wait_ready() {
  local url=$1 deadline=$((SECONDS + $2))
  until curl -sf -o /dev/null "$url/api/developers/events.json"; do
    [ $SECONDS -lt $deadline ] || { echo "worker did not start at $url" >&2; return 1; }
    sleep 0.2
  done
}

# raised_limits_config OUT: wrangler.toml with the API rate-limit windows raised, for runs that
# drive one credential far past them on purpose (contract fuzzing, benchmarks); the check
# itself still runs on every request. OUT must sit next to wrangler.toml (paths are relative).
raised_limits_config() {
  sed -E 's/^simple = \{ limit = [0-9]+/simple = { limit = 1000000000/' wrangler.toml > "$1"
}

# free_port: an unused local TCP port.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# audit_signing_key KID [NOT_BEFORE]: a new Ed25519 audit signing key, as the private JWK that
# AUDIT_SIGNING_KEY holds (node's own crypto; README, "Audit signing key").
audit_signing_key() {
  node -e 'const [kid, nb] = process.argv.slice(1);
const k = require("crypto").generateKeyPairSync("ed25519").privateKey.export({ format: "jwk" });
console.log(JSON.stringify({ kid, ...k, ...(nb ? { notBefore: nb } : {}) }))' "$@"
}

# test_audit_keys: exports the audit keys a test worker runs with, as a rotation leaves them: a
# signing key closed on 2026-01-01 (its private half still configured), the current one since
# then, and a retired public-only key of 2025 (AXIS_AUDIT_SIGNING_KEY, AXIS_AUDIT_PUBLIC_KEYS).
test_audit_keys() {
  local old current retired
  old=$(audit_signing_key e2e-2025 | sed 's/}$/,"notBefore":"2025-01-01T00:00:00.000Z","notAfter":"2026-01-01T00:00:00.000Z"}/')
  current=$(audit_signing_key e2e-2026 2026-01-01T00:00:00.000Z)
  retired=$(audit_signing_key e2e-2024 | sed 's/"d":"[^"]*",//; s/}$/,"notAfter":"2025-01-01T00:00:00.000Z"}/')
  export AXIS_AUDIT_SIGNING_KEY="{\"keys\":[$old,$current]}" AXIS_AUDIT_PUBLIC_KEYS="{\"keys\":[$retired]}"
}
