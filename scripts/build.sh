#!/usr/bin/env bash
# Builds the worker into build/ (index.js + index_bg.wasm), then strips the wasm name section.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
worker-build --release >"${TMPDIR:-/tmp}/axis-build.$$.log" 2>&1 || { cat "${TMPDIR:-/tmp}/axis-build.$$.log"; exit 1; }
wasm-opt build/index_bg.wasm --strip-debug --strip-producers --enable-bulk-memory --enable-nontrapping-float-to-int \
  --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue -o build/index_bg.wasm
echo "built: build/index_bg.wasm $(stat -c %s build/index_bg.wasm) bytes, $(gzip -9c build/index_bg.wasm | wc -c) gzip"
