#!/usr/bin/env bash
# Scoring throughput, side by side in one run: the churnscope CLI, DuckDB and Spark SQL
# running the exported SQL, and scikit-learn's predict_proba (scripts/bench_sql.py).
# Usage: scripts/bench_sql.sh [ROWS]   (ROWS defaults to 1,000,000)
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-1000000}
WORK=${TMPDIR:-/tmp}/churnscope-bench-sql
mkdir -p "$WORK"
scripts/setup.sh >/dev/null
cargo build --offline --quiet --profile native --package churnscope-cli --bin churnscope
CLI=target/native/churnscope
DATA="$WORK/sample_${ROWS}.csv"; TRAIN="$WORK/train_100k.csv"
[ -f "$DATA" ] || $CLI sample --rows "$ROWS" --seed 19 --out "$DATA"
[ -f "$TRAIN" ] || $CLI sample --rows 100000 --seed 20 --out "$TRAIN"
# scikit-learn and pandas for the reference column, into the same .venv as the engines.
.venv/bin/python -c "import sklearn, pandas" 2>/dev/null \
  || .venv/bin/pip install -q --disable-pip-version-check scikit-learn pandas
.venv/bin/python scripts/bench_sql.py "$CLI" "$DATA" "$TRAIN" "$WORK" "${MODELS:-logistic,gbdt}"
