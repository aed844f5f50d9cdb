#!/usr/bin/env bash
# Installs whatever is missing, builds the app in release mode (with wasm-opt) and serves it on
# http://127.0.0.1:${PORT:-8080}. Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
CHURNSCOPE_NO_BROWSER=1 scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH" TRUNK_SKIP_VERSION_CHECK=true
unset NO_COLOR # trunk rejects NO_COLOR=1
exec trunk serve --release --offline --address 127.0.0.1 --port "${PORT:-8080}"
