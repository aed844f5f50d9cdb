#!/usr/bin/env bash
# The engine is pure Rust: its dependency tree, for the host and for wasm32, must hold no
# browser crate (Leptos, web-sys, js-sys, wasm-bindgen, gloo) and no drawing crate (plotters).
# The worker's tree must hold neither Leptos nor plotters. Prints the trees' crate counts.
#
# One exception, on wasm32 only: zip 9 (calamine's workbook reader, and ours) always takes
# getrandom with its `wasm_js` source there, which links wasm-bindgen. The engine's own code
# still cannot name wasm-bindgen (it is no dependency of the engine), and the check below
# fails if anything but getrandom brings it in.
set -euo pipefail
cd "$(dirname "$0")/.."
BROWSER='^(leptos|web-sys|js-sys|wasm-bindgen|gloo|plotters)'
check() {
  local package=$1 target=$2 forbidden=$3
  local tree
  tree=$(cargo tree --offline --edges normal --prefix none --format '{p}' --package "$package" --target "$target" | awk '{print $1}' | sort -u)
  local bad
  bad=$(grep -E "$forbidden" <<<"$tree" || true)
  if [ -n "$bad" ]; then
    echo "$package ($target) depends on: $bad" >&2
    exit 1
  fi
  echo "$package ($target): $(wc -l <<<"$tree") crates, none matching $forbidden"
}
check churnscope-engine x86_64-unknown-linux-gnu "$BROWSER"
check churnscope-engine wasm32-unknown-unknown '^(leptos|web-sys|js-sys|gloo|plotters)'
via=$(cargo tree --offline --edges normal --prefix none --format '{p}' --package churnscope-engine \
  --target wasm32-unknown-unknown --invert wasm-bindgen --depth 1 | awk 'NR > 1 {print $1}' | sort -u)
if [ "$via" != "getrandom" ]; then
  echo "churnscope-engine (wasm32) reaches wasm-bindgen through: $via (only getrandom is expected)" >&2
  exit 1
fi
echo "churnscope-engine (wasm32): wasm-bindgen only through getrandom (zip's random source)"
check churnscope-worker wasm32-unknown-unknown '^(leptos|plotters)'
