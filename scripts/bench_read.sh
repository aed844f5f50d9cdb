#!/usr/bin/env bash
# Parse throughput, side by side in one run on the same file: the churnscope CLI (native,
# `--profile native`, one thread and every core), pandas.read_csv (../shared/bench/reference_timing.py), and churnscope
# in headless Chromium (the built dist/ and chromedriver; tests/browser_bench.rs).
# Usage: scripts/bench_read.sh [FILE]   (FILE defaults to /tmp/big_1m.csv, made if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
FILE=${1:-/tmp/big_1m.csv}
SHARED=../shared/bench
if [ ! -f "$FILE" ]; then
  python3 "$SHARED/reference_timing.py" make 1000000 "$FILE"
fi
MB=$(python3 -c "import os,sys; print(os.path.getsize(sys.argv[1]) / 1e6)" "$FILE")
cargo build --offline --quiet --profile native --package churnscope-cli --bin churnscope
# native THREADS: three reads' own "read in" times (--threads 0 is every core).
native() {
  for _ in 1 2 3; do
    target/native/churnscope profile "$FILE" --threads "$1" | head -1 | sed -E 's/.*read in ([0-9.]+) s.*/\1/'
  done
}
# Interleaved with pandas, so a noisy machine hits both alike.
A1=$(native 1); AN=$(native 0)
PANDAS=$(python3 "$SHARED/reference_timing.py" time "$FILE" > /tmp/churnscope-pandas.json; head -1 /tmp/churnscope-pandas.json)
B1=$(native 1); BN=$(native 0)
python3 - "$MB" "$PANDAS" "$(nproc)" "$A1 $B1" "$AN $BN" <<'PY'
import json, statistics, sys
mb = float(sys.argv[1]); pandas = json.loads(sys.argv[2]); cores = int(sys.argv[3])
for what, runs in (("churnscope native parse, one thread", sys.argv[4]), (f"churnscope native parse, every core ({cores})", sys.argv[5])):
    ours = [float(x) for x in runs.split()]
    m = statistics.median(ours)
    print(json.dumps({"what": what, "mb": round(mb, 1), "seconds_median": m, "runs": ours, "mb_per_s": round(mb / m, 1)}))
print(json.dumps({"what": "pandas.read_csv (one thread; it has no threads option)", "mb": round(mb, 1), "seconds_median": pandas["seconds"], "runs": pandas["runs"], "mb_per_s": round(mb / pandas["seconds"], 1)}))
PY
if [ -d dist ] && command -v chromedriver >/dev/null; then
  # Only the reading test: the other browser benchmarks would run beside it (cargo runs a
  # file's tests in parallel) and share the cores with it.
  CHURNSCOPE_BIG_CSV="$FILE" cargo test --offline --quiet --test browser_bench \
    load_a_big_csv -- --ignored --nocapture --test-threads=1 2>/dev/null | grep '^{' || true
fi
