#!/usr/bin/env bash
# Installs everything the build, run and test commands need, from the package registries only.
# Idempotent: each step is skipped when its tool is already present at the pinned version.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  rustup target add wasm32-unknown-unknown
fi

mkdir -p "$AXIS_TOOLS"
have() { [ -x "$AXIS_TOOLS/bin/$1" ] && "$AXIS_TOOLS/bin/$1" --version 2>/dev/null | grep -q "$2"; }
if ! have worker-build 0.8.7; then
  cargo install worker-build --version 0.8.7 --locked --root "$AXIS_TOOLS"
fi
# wasm-bindgen-cli must equal the wasm-bindgen in Cargo.lock; its own lockfile pins a crate
# the registry lacks, so it is installed without --locked.
if ! have wasm-bindgen 0.2.130; then
  cargo install wasm-bindgen-cli --version =0.2.130 --root "$AXIS_TOOLS"
fi

# Debian's Chromium, for the browser e2e test (WebAuthn through a CDP virtual authenticator).
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "chromium is missing: install Debian's chromium package (sudo apt-get install chromium)" >&2
    exit 1
  fi
fi

if [ ! -x node_modules/.bin/wrangler ] || ! cmp -s package-lock.json node_modules/.package-lock.json.copy; then
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.package-lock.json.copy
fi

# SCIM conformance tools (scim2-tester, scim-sanity) and scim2-server for the bench, in a venv.
VENV="$AXIS_TOOLS/scim-venv"
if [ ! -x "$VENV/bin/python" ] || ! cmp -s tests/conformance/requirements.txt "$VENV/requirements.txt"; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r tests/conformance/requirements.txt
  cp tests/conformance/requirements.txt "$VENV/requirements.txt"
fi

# schemathesis for contract fuzzing, in its own venv (its pins differ from the SCIM tools').
CVENV="$AXIS_TOOLS/contract-venv"
if [ ! -x "$CVENV/bin/schemathesis" ] || ! cmp -s tests/contract/requirements.txt "$CVENV/requirements.txt"; then
  python3 -m venv "$CVENV"
  "$CVENV/bin/pip" install -q --disable-pip-version-check -r tests/contract/requirements.txt
  cp tests/contract/requirements.txt "$CVENV/requirements.txt"
fi
