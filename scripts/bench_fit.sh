#!/usr/bin/env bash
# Fit time, side by side in one run on the same data: churnscope's logistic regression and
# boosted trees (100 trees), native CLI (`--profile native`), on one thread (`--threads 1`)
# and on every core, against scikit-learn's LogisticRegression (lbfgs) and LightGBM (100
# trees) on one thread (../shared/bench/reference_timing.py, n_jobs=1 and one BLAS thread)
# and on their default threads (scripts/bench_fit_threads.py); LightGBM only if it is
# installed. When the site is built (dist/, `trunk build --release`) and chromedriver is
# installed, the same two fits in headless Chromium, in the page's worker
# (tests/browser_bench.rs; one model fits on one worker's one thread).
# Usage: scripts/bench_fit.sh [FILE]   (FILE defaults to /tmp/big_1m.csv, made if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
FILE=${1:-/tmp/big_1m.csv}
SHARED=../shared/bench
if [ ! -f "$FILE" ]; then
  python3 "$SHARED/reference_timing.py" make 1000000 "$FILE"
fi
cargo build --offline --quiet --profile native --package churnscope-cli --bin churnscope
ours() {
  # Trains on all of FILE (--test FILE evaluates on the same rows, as the reference does).
  # The first argument is the number of threads (0: every core).
  local threads=$1; shift
  target/native/churnscope --threads "$threads" train "$FILE" --target churn --positive 1 --test "$FILE" --format json "$@" \
    | python3 -c "import json,sys; v=json.load(sys.stdin); print(json.dumps({'what': 'churnscope ' + v['model'] + ' threads=' + sys.argv[1], 'fit_seconds': v['fit_seconds'], 'train_roc_auc': v['metrics']['roc_auc'], 'iterations': v['iterations'], 'prep_seconds': v['fit_steps']['prep_seconds'], 'model_seconds': v['fit_steps']['model_seconds']}))" "$threads"
}
echo "{\"cores\": $(nproc)}"
ours 1 --model logistic
ours 0 --model logistic
ours 1 --model gbdt
ours 0 --model gbdt
python3 "$SHARED/reference_timing.py" time "$FILE" | grep -v pandas
python3 scripts/bench_fit_threads.py "$FILE"
if [ -f dist/index.html ] && command -v chromedriver >/dev/null; then
  CHURNSCOPE_BIG_CSV="$FILE" cargo test --offline --quiet --release --test browser_bench \
    fit_models -- --ignored --nocapture 2>/dev/null | grep '^{'
fi
