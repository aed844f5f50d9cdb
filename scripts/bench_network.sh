#!/usr/bin/env bash
# The network's fit time (one hidden layer of 100 ReLU units, Adam, early stopping: the
# defaults), side by side in one run: churnscope's native CLI (`--profile native`) on one
# thread and on every core, and, when the site is built (dist/, `trunk build --release`)
# and chromedriver is installed, in headless Chromium in the page's worker
# (tests/browser_bench.rs). With BEFORE=path/to/an/older/churnscope, that build's fit of
# the same file first (the README's "before issue 18" figures: a build of 632a475).
# Usage: scripts/bench_network.sh [FILE]   (FILE defaults to /tmp/big_100k.csv: the first
# 100,000 rows of `reference_timing.py make 1000000`, made if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
FILE=${1:-/tmp/big_100k.csv}
SHARED=../shared/bench
if [ ! -f "$FILE" ]; then
  [ -f /tmp/big_1m.csv ] || python3 "$SHARED/reference_timing.py" make 1000000 /tmp/big_1m.csv
  head -100001 /tmp/big_1m.csv > "$FILE"
fi
cargo build --offline --quiet --profile native --package churnscope-cli --bin churnscope
fit() {
  # The first argument names the run, the second is the binary, the rest its options.
  local what=$1 binary=$2; shift 2
  "$binary" train "$FILE" --target churn --positive 1 --model mlp --format json "$@" \
    | python3 -c "import json,sys; v=json.load(sys.stdin); print(json.dumps({'what': sys.argv[1], 'fit_seconds': v['fit_seconds'], 'epochs': v.get('iterations'), 'test_roc_auc': v['metrics']['roc_auc']}))" "$what"
}
echo "{\"cores\": $(nproc)}"
if [ -n "${BEFORE:-}" ]; then
  fit "before ($BEFORE), one thread" "$BEFORE"
fi
fit "churnscope threads=1" target/native/churnscope --threads 1
fit "churnscope threads=0 (every core)" target/native/churnscope --threads 0
if [ -f dist/index.html ] && command -v chromedriver >/dev/null; then
  CHURNSCOPE_BIG_CSV="$FILE" CHURNSCOPE_BENCH_MODELS=mlp cargo test --offline --quiet --release \
    --test browser_bench fit_models -- --ignored --nocapture 2>/dev/null | grep '^{'
fi
