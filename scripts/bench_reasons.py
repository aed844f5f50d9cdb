"""LightGBM's pred_contrib timed on the file churnscope's reasons benchmark uses.

  python bench_reasons.py FILE.csv ROWS   trains LGBMClassifier(n_estimators=100, num_leaves=31)
                                          on FILE (target `churn`) and times
                                          booster.predict(X[:ROWS], pred_contrib=True) with one
                                          thread and with LightGBM's default threads

Prints one JSON object per measurement: {"what", "seconds", "rows", "us_per_row", "leaves"}.
"""
import json, sys, time

import numpy as np
import pandas as pd
from lightgbm import LGBMClassifier

path, rows = sys.argv[1], int(sys.argv[2])
df = pd.read_csv(path)
y = df.pop("churn").to_numpy()
X = df.to_numpy(dtype=np.float64)
model = LGBMClassifier(n_estimators=100, num_leaves=31, n_jobs=1, verbose=-1, random_state=0).fit(X, y)
booster = model.booster_
leaves = sum(t["num_leaves"] for t in booster.dump_model()["tree_info"])
probe = X[:rows]
for threads, label in [(1, "one thread"), (0, "default threads")]:
    start = time.perf_counter()
    booster.predict(probe, pred_contrib=True, num_threads=threads)
    took = time.perf_counter() - start
    print(json.dumps({"what": f"lightgbm pred_contrib, {label}", "seconds": took, "rows": rows,
                      "us_per_row": took / rows * 1e6, "leaves": leaves}))
