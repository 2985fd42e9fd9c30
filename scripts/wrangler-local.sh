# Sourced helpers for local D1 state and a wrangler dev process. Needs scripts/env.sh first.
# d1 STATE ARGS…: run `wrangler d1 execute` against the local database persisted in STATE.
d1() {
  local state=$1; shift
  wrangler d1 execute DB --local --persist-to "$state" "$@" </dev/null
}

# apply_schema STATE: apply migrations/ to the local D1 the way a deploy does
# (`wrangler d1 migrations apply`; a host test keeps them equal to schema.sql).
apply_schema() {
  wrangler d1 migrations apply DB --local --persist-to "$1" </dev/null >/dev/null
}

# is_seeded STATE: whether the demo workspace exists.
is_seeded() {
  d1 "$1" --json --command "SELECT COUNT(*) AS n FROM workspaces WHERE id = 'ws_demo'" 2>/dev/null | grep -q '"n": 1'
}

# seed STATE SECRETS [--fixtures]: insert the demo (and fixture) data; secrets to SECRETS.
seed() {
  local state=$1 secrets=$2; shift 2
  cargo run -q --bin seed -- "$@" --secrets "$secrets" > "$state/seed.sql"
  d1 "$state" --file "$state/seed.sql" >/dev/null
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
