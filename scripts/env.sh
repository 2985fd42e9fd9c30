# Sourced by every script: pinned tool locations and the switches that keep wrangler offline.
export AXIS_TOOLS="${XDG_CACHE_HOME:-$HOME/.cache}/axissynapse/tools"
export PATH="$AXIS_TOOLS/bin:$PWD/node_modules/.bin:$PATH"
export WASM_BINDGEN_BIN="$AXIS_TOOLS/bin/wasm-bindgen"
export ESBUILD_BIN="$PWD/node_modules/.bin/esbuild"
export WASM_OPT_BIN="$PWD/node_modules/.bin/wasm-opt"
export WRANGLER_SEND_METRICS=false
export WRANGLER_HIDE_BANNER=true
export WRANGLER_SEND_ERROR_REPORTS=false
export CLOUDFLARE_CF_FETCH_ENABLED=false
export XDG_CONFIG_HOME="$PWD/.wrangler/config"
export NO_UPDATE_NOTIFIER=1
export npm_config_update_notifier=false
