"""The all-cores side of scripts/bench_fit.sh: scikit-learn's LogisticRegression (lbfgs) with
numpy's BLAS on its default threads and LightGBM with its default threads (n_jobs=-1), on the
same file and protocol as ../shared/bench/reference_timing.py (which times one thread each).

  python scripts/bench_fit_threads.py FILE.csv

Prints one JSON object per measurement: {"what", "seconds" (median of 3), "runs", ...}.
"""
import json, os, statistics, sys, time

import numpy as np
import pandas as pd


def timed(fn, runs=3):
    out, ts = None, []
    for _ in range(runs):
        t = time.perf_counter(); out = fn(); ts.append(time.perf_counter() - t)
    return out, statistics.median(ts), ts


def main(path):
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    df = pd.read_csv(path)
    y = df.pop("churn").to_numpy(); X = df.to_numpy(dtype=np.float64)
    cores = os.cpu_count()
    m, t, ts = timed(lambda: LogisticRegression(max_iter=1000).fit(X, y))
    print(json.dumps({"what": "sklearn LogisticRegression lbfgs, default BLAS threads", "cores": cores,
                      "seconds": t, "runs": ts, "train_roc_auc": roc_auc_score(y, m.predict_proba(X)[:, 1]),
                      "n_iter": int(m.n_iter_[0])}))
    try:
        from lightgbm import LGBMClassifier
    except ImportError:
        return
    m, t, ts = timed(lambda: LGBMClassifier(n_estimators=100, verbose=-1, random_state=0).fit(X, y))
    print(json.dumps({"what": "lightgbm 100 trees, default threads", "cores": cores, "seconds": t, "runs": ts,
                      "train_roc_auc": roc_auc_score(y, m.predict_proba(X)[:, 1])}))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
