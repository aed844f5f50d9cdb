#!/usr/bin/env bash
# Reasons for every customer, side by side in one run on one file (100,000 x 30 synthetic,
# ../shared/bench/reference_timing.py, made if missing): churnscope's `score` with and without
# reasons (exact TreeSHAP per customer) on one thread and on every core, for the default
# boosted trees (100 trees of 31 leaves) trained on the file, against LightGBM's
# `predict(pred_contrib=True)` on a LightGBM model of the same size trained on the same data
# (scripts/bench_reasons.py; skipped when lightgbm is not installed: `pip install lightgbm`).
# The forest is trained and timed on the first FOREST_ROWS rows (its unlimited-depth trees
# grow with the rows: on all 100,000 the model file passes the 64 MiB the CLI reads).
# Usage: scripts/bench_reasons.sh [FILE] [FOREST_ROWS]
set -euo pipefail
cd "$(dirname "$0")/.."
FILE=${1:-/tmp/big_100k.csv}
FOREST_ROWS=${2:-5000}
if [ ! -f "$FILE" ]; then
  python3 ../shared/bench/reference_timing.py make 100000 "$FILE"
fi
cargo build --offline --quiet --profile native --package churnscope-cli --bin churnscope
CLI=target/native/churnscope
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
ROWS=$(($(wc -l < "$FILE") - 1))
head -n $((FOREST_ROWS + 1)) "$FILE" > "$WORK/forest.csv"
$CLI train "$FILE" --target churn --positive 1 --model gbdt --save "$WORK/gbdt.churnscope.json" >/dev/null
$CLI train "$WORK/forest.csv" --target churn --positive 1 --model forest --save "$WORK/forest.churnscope.json" >/dev/null
score() { # model file label threads [flags]
  local model=$1 file=$2 label=$3 threads=$4; shift 4
  $CLI --threads "$threads" score "$model" "$file" --out "$WORK/scored.csv" --format json "$@" \
    | python3 -c "import json,sys; v=json.load(sys.stdin); n=v['rows']; s=v['seconds']['score'] if isinstance(v['seconds'], dict) else v['seconds']; print(json.dumps({'what': sys.argv[1], 'seconds': s, 'rows': n, 'us_per_row': s / n * 1e6}))" "$label"
}
for threads in 1 0; do
  name=$([ "$threads" = 1 ] && echo "one thread" || echo "all $(nproc) cores")
  score "$WORK/gbdt.churnscope.json" "$FILE" "churnscope gbdt, no reasons, $name" "$threads" --no-reasons
  score "$WORK/gbdt.churnscope.json" "$FILE" "churnscope gbdt with reasons, $name" "$threads"
  score "$WORK/forest.churnscope.json" "$WORK/forest.csv" "churnscope forest, no reasons, $name" "$threads" --no-reasons
  score "$WORK/forest.churnscope.json" "$WORK/forest.csv" "churnscope forest with reasons, $name" "$threads"
done
if python3 -c "import lightgbm" 2>/dev/null; then
  python3 scripts/bench_reasons.py "$FILE" "$ROWS"
else
  echo '{"what": "lightgbm pred_contrib", "skipped": "lightgbm is not installed"}'
fi
