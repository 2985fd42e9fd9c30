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
