#!/usr/bin/env bash
# Applies the schema to every D1 database of the worker: the directory (migrations-directory/)
# and each tenant shard (migrations/), the way a deploy does (`wrangler d1 migrations apply`,
# which records what ran in each database), then writes each shard's number into its
# shard_meta row. Idempotent.
#   bash scripts/migrate.sh --local STATE   the local databases persisted under STATE
#   bash scripts/migrate.sh --remote        production (wrangler.toml [env.production]; needs
#                                           `wrangler login` or CLOUDFLARE_API_TOKEN)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
case "${1:-}" in
  --local) [ -n "${2:-}" ] || { echo "usage: migrate.sh --local STATE" >&2; exit 2; }; WHERE=(--local --persist-to "$2") ;;
  --remote) WHERE=(--remote --env production) ;;
  *) echo "usage: bash scripts/migrate.sh --local STATE | --remote" >&2; exit 2 ;;
esac
# The D1 bindings of wrangler.toml (both environments name the same ones).
mapfile -t BINDINGS < <(grep -oE '^binding = "(DIRECTORY|DB_SHARD_[0-9]+)"' wrangler.toml | cut -d'"' -f2 | awk '!seen[$0]++')
for b in "${BINDINGS[@]}"; do
  wrangler d1 migrations apply "$b" "${WHERE[@]}" </dev/null >/dev/null
  case "$b" in
    DB_SHARD_*) wrangler d1 execute "$b" "${WHERE[@]}" --command \
      "INSERT OR IGNORE INTO shard_meta (shard) VALUES (${b#DB_SHARD_})" </dev/null >/dev/null ;;
  esac
  echo "migrated $b" >&2
done
