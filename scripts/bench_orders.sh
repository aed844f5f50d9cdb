#!/usr/bin/env bash
# Issue 17's benchmark, side by side in one run on the same generated order log of about
# 1,000,000 lines: `churnscope orders` natively (its own timing line), the same features
# with pandas groupby (scripts/bench_orders.py, checked equal to the CLI's table first), and
# the page's worker in headless Chromium (tests/browser_bench.rs).
# Usage: scripts/bench_orders.sh [LINES]   (default 1000000; the log goes to /tmp)
set -euo pipefail
cd "$(dirname "$0")/.."
LINES=${1:-1000000}
FILE=/tmp/churnscope-orders-$LINES.csv
cargo build --offline --quiet --profile native --package churnscope-cli --bin churnscope
CLI=target/native/churnscope
if [ ! -f "$FILE" ]; then
  # 120,000 customers of the default spec make a little over a million lines; stop there.
  $CLI sample --orders --rows 120000 --seed 11 --lines "$LINES" --out "$FILE"
fi
MB=$(python3 -c "import os,sys; print(os.path.getsize(sys.argv[1]) / 1e6)" "$FILE")
$CLI orders "$FILE" --no-baselines --out /tmp/churnscope-orders-customers.csv > /dev/null
python3 scripts/bench_orders.py check "$FILE" /tmp/churnscope-orders-customers.csv
native() {
  for _ in 1 2 3; do
    $CLI orders "$FILE" --no-baselines --format json | python3 -c \
      "import json,sys; s=json.load(sys.stdin)['seconds']; print(s['read'] + s['derive'])"
  done
}
A=$(native)
PANDAS=$(python3 scripts/bench_orders.py time "$FILE" 3)
B=$(native)
python3 - "$MB" "$PANDAS" $A $B <<'PY'
import json, statistics, sys
mb = float(sys.argv[1]); pandas = json.loads(sys.argv[2]); ours = [float(x) for x in sys.argv[3:]]
print(json.dumps({"what": "churnscope orders, native (read + derive)", "mb": round(mb, 1), "seconds_median": statistics.median(ours), "runs": ours}))
print(json.dumps({**pandas, "mb": round(mb, 1)}))
PY
$CLI orders "$FILE" | tail -1
if [ -d dist ] && command -v chromedriver >/dev/null; then
  CHURNSCOPE_ORDERS_LOG="$FILE" cargo test --offline --quiet --test browser_bench -- --ignored --nocapture derive_customers 2>/dev/null | grep '^{' || true
fi
