#!/usr/bin/env bash
# Installs what the commands need, from the package registries only.
#   bash scripts/setup.sh          what running needs (make dev, make build): the wasm32 target,
#                                  worker-build, wasm-bindgen-cli, npm ci
#   bash scripts/setup.sh --venv   that, plus the test venv (Python: the SCIM tools, scim2-server,
#                                  standardwebhooks, signxml, pysaml2): scripts/e2e.sh, bench/run
#   bash scripts/setup.sh --test   that, plus the schemathesis venv and Chromium: make test
# Idempotent: a step whose tool is already there at the pinned version prints one line and is
# skipped. Each step says what it installs and how long it takes the first time on 2 cores
# (ranges: idle machine to the fresh run measured under load in README, "Time to first
# serve"), and when it is done, how long it took. Progress goes to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

case "${1:-}" in
  "") STEPS=4 ;;
  --venv) STEPS=5 ;;
  --test) STEPS=7 ;;
  *) echo "usage: bash scripts/setup.sh [--venv | --test]" >&2; exit 2 ;;
esac

N=0 STEP="" T0=0
# step WHAT HOW: announce the next step, which is about to install WHAT (HOW: the means and
# its first-time duration). present WHAT: the next step is skipped, WHAT is already there.
step() { N=$((N + 1)); STEP=$1; T0=$SECONDS; echo "== [$N/$STEPS] $1 ($2)" >&2; }
present() { N=$((N + 1)); echo "== [$N/$STEPS] $1: present" >&2; }
took() {
  local s=$((SECONDS - T0))
  if [ $s -ge 60 ]; then echo "   $STEP: done in $((s / 60)) min $((s % 60)) s" >&2; else echo "   $STEP: done in $s s" >&2; fi
}

# --- what running needs -------------------------------------------------------------------

if rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  present "wasm32-unknown-unknown target"
else
  step "wasm32-unknown-unknown target" "rustup target add, first time ~20 s"
  rustup target add wasm32-unknown-unknown
  took
fi

# Tools go to a per-user cache outside the clone, so a fresh clone (CI) reuses them.
mkdir -p "$AXIS_TOOLS"
have() { [ -x "$AXIS_TOOLS/bin/$1" ] && "$AXIS_TOOLS/bin/$1" --version 2>/dev/null | grep -q "$2"; }
if have worker-build 0.8.7; then
  present "worker-build 0.8.7"
else
  step "worker-build 0.8.7" "cargo install, compiles from source into $AXIS_TOOLS; first time 3–20 min"
  cargo install worker-build --version 0.8.7 --locked --root "$AXIS_TOOLS"
  took
fi
# wasm-bindgen-cli must equal the wasm-bindgen in Cargo.lock; its own lockfile pins a crate
# the registry lacks, so it is installed without --locked.
if have wasm-bindgen 0.2.130; then
  present "wasm-bindgen-cli 0.2.130"
else
  step "wasm-bindgen-cli 0.2.130" "cargo install, compiles from source into $AXIS_TOOLS; first time 2–10 min"
  cargo install wasm-bindgen-cli --version =0.2.130 --root "$AXIS_TOOLS"
  took
fi

if [ -x node_modules/.bin/wrangler ] && cmp -s package-lock.json node_modules/.package-lock.json.copy; then
  present "node_modules (package-lock.json)"
else
  step "node_modules: wrangler, esbuild, wasm-opt, playwright-core" "npm ci, first time ~15 s"
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.package-lock.json.copy
  took
fi

[ -n "${1:-}" ] || exit 0

# --- the test venv (--venv, --test) -------------------------------------------------------

# SCIM conformance tools (scim2-tester, scim-sanity), scim2-server for the bench, the Standard
# Webhooks library of the test receiver, signxml and pysaml2 for the SAML tests, in a venv.
VENV="$AXIS_TOOLS/scim-venv"
if [ -x "$VENV/bin/python" ] && cmp -s tests/conformance/requirements.txt "$VENV/requirements.txt"; then
  present "test venv (tests/conformance/requirements.txt)"
else
  step "test venv: scim2-tester, scim-sanity, scim2-server, standardwebhooks, signxml, pysaml2" \
    "pip from PyPI into $VENV, first time ~30 s"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r tests/conformance/requirements.txt
  cp tests/conformance/requirements.txt "$VENV/requirements.txt"
  took
fi

[ "$1" = --test ] || exit 0

# --- the rest of what make test needs (--test) --------------------------------------------

# schemathesis for contract fuzzing, in its own venv (its pins differ from the SCIM tools').
CVENV="$AXIS_TOOLS/contract-venv"
if [ -x "$CVENV/bin/schemathesis" ] && cmp -s tests/contract/requirements.txt "$CVENV/requirements.txt"; then
  present "schemathesis venv (tests/contract/requirements.txt)"
else
  step "schemathesis venv" "pip from PyPI into $CVENV, first time ~30 s"
  python3 -m venv "$CVENV"
  "$CVENV/bin/pip" install -q --disable-pip-version-check -r tests/contract/requirements.txt
  cp tests/contract/requirements.txt "$CVENV/requirements.txt"
  took
fi

# Debian's Chromium, for the browser e2e test (WebAuthn through a CDP virtual authenticator).
if command -v chromium >/dev/null 2>&1; then
  present "chromium"
elif [ "$(id -u)" = 0 ]; then
  step "chromium, for the browser e2e test" "apt-get install, ~80 MB, first time ~1 min"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  took
else
  echo "chromium is missing: install Debian's chromium package (sudo apt-get install chromium)" >&2
  exit 1
fi
