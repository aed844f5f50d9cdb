#!/usr/bin/env bash
# Installs whatever is missing and runs every check and test: formatting, clippy on the host and
# on wasm32, the native unit and integration tests, the exported SQL in DuckDB, PostgreSQL and
# Spark, a release build of the site, and the end-to-end tests in headless Chromium against
# that build.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH" TRUNK_SKIP_VERSION_CHECK=true
unset NO_COLOR # trunk rejects NO_COLOR=1
step() { printf '\n\033[1m== %s\033[0m (at %d s)\n' "$*" "$SECONDS"; }

step "formatting"
cargo fmt --check
step "clippy, host"
cargo clippy --offline --workspace --all-targets -- -D warnings
step "clippy, wasm32 (the page, the worker, the engine and the charts)"
cargo clippy --offline --target wasm32-unknown-unknown --workspace --exclude churnscope-cli --lib --bins -- -D warnings
step "the engine's dependency tree holds no browser or drawing crate"
scripts/check_engine_deps.sh
step "no function over 80 lines without a hot-loop reason"
python3 scripts/check_function_length.py
step "unit and integration tests (native, every crate)"
cargo test --offline --workspace
step "the exported SQL in real engines: DuckDB, a throw-away PostgreSQL, Spark SQL local; BigQuery parsed"
# scripts/sql_engines.py starts the PostgreSQL cluster and Spark and stops them.
cargo test --offline -p churnscope-engine --test sql_engines -- --ignored --nocapture
step "fuzz targets in the native profile (overflow checks off, as the CLI is built)"
# The native profile's code generation (opt-level 3, no overflow checks, unwinding panics)
# without its whole-program LTO, which only makes the CLI faster and the build minutes
# longer. 100,000 runs per target; the dev-profile run above has 6,000.
CARGO_PROFILE_NATIVE_LTO=false CARGO_PROFILE_NATIVE_CODEGEN_UNITS=16 \
  CHURNSCOPE_FUZZ_EXECS=100000 cargo test --offline --profile native --test fuzz
step "release build of the site (trunk, wasm-opt)"
trunk build --release --offline
for wasm in dist/*_bg.wasm; do
  printf '%s: %s bytes, %s gzipped\n' "$(basename "$wasm")" "$(wc -c <"$wasm")" "$(gzip -9 -c "$wasm" | wc -c)"
done
step "end-to-end tests in headless Chromium"
cargo test --offline --test e2e -- --ignored --test-threads=1
step "done"
