#!/usr/bin/env bash
# Moves a workspace to another tenant shard through the operator API (docs/api.md, "Moving a
# workspace"), and prints the move's report (rows copied, ledger head, how long writes paused).
#   OPERATOR_TOKEN=… bash scripts/move-workspace.sh WORKSPACE SHARD [BASE_URL]
# OPERATOR_TOKEN is the worker's secret of that name (`wrangler secret put OPERATOR_TOKEN`; in
# development a var, e.g. in .dev.vars). BASE_URL defaults to the local `make dev` worker.
# Safe to run again after a failure: a move that stopped half-way is completed by the next run.
set -euo pipefail
if [ $# -lt 2 ] || [ $# -gt 3 ]; then
  echo "usage: OPERATOR_TOKEN=… bash scripts/move-workspace.sh WORKSPACE SHARD [BASE_URL]" >&2
  exit 2
fi
WORKSPACE=$1 SHARD=$2 BASE_URL=${3:-http://127.0.0.1:8787}
[[ $WORKSPACE =~ ^[A-Za-z0-9_-]{1,128}$ ]] || { echo "not a workspace id: $WORKSPACE" >&2; exit 2; }
[[ $SHARD =~ ^[0-9]{1,3}$ ]] && [ "$SHARD" -le 255 ] || { echo "not a shard number (0-255): $SHARD" >&2; exit 2; }
: "${OPERATOR_TOKEN:?set OPERATOR_TOKEN to the operator token of the worker}"
# The token goes to curl on stdin, not on its command line (where `ps` would show it).
printf 'authorization: Bearer %s\n' "$OPERATOR_TOKEN" |
  curl -sS --fail-with-body --max-time 300 -X POST "$BASE_URL/api/operator/workspaces/$WORKSPACE/move" \
    -H @- -H 'content-type: application/json' --data "{\"toShard\": $SHARD}"
echo
