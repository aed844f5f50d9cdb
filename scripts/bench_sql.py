#!/usr/bin/env python3
"""Rows per second scored four ways, side by side in one run, on the built-in synthetic
sample (`churnscope sample --rows 1000000 --seed 19`): the churnscope CLI (`score`), DuckDB
running the exported SQL, Spark SQL in local mode running it, and scikit-learn's
predict_proba on the same model kind fitted on the same training rows.

    scripts/bench_sql.sh            # builds the native CLI, makes the files, runs this

Each model is trained by the CLI on 100,000 other customers of the generator (seed 20)
and exported with `churnscope sql`. The table is loaded into each engine first (timed
apart); the scoring time is the query (or predict_proba) alone, its result written out
(DuckDB: CREATE TABLE AS, Spark: written to the no-op sink, so every row is computed).
"""

import json
import os
import subprocess
import sys
import time

CLI = sys.argv[1]
DATA = sys.argv[2]        # the 1,000,000-customer file
TRAIN = sys.argv[3]       # the 100,000-customer training file
WORK = sys.argv[4]
MODELS = sys.argv[5].split(",") if len(sys.argv) > 5 else ["logistic", "gbdt"]


def run(args):
    started = time.time()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
    return time.time() - started


def rows_of(path):
    with open(path, "rb") as f:
        return sum(1 for _ in f) - 1


def main():
    n = rows_of(DATA)
    results = []
    for kind in MODELS:
        model = os.path.join(WORK, f"{kind}.churnscope.json")
        run([CLI, "train", TRAIN, "--target", "churned", "--model", kind, "--save", model])
        sql = {}
        for dialect in ["duckdb", "spark"]:
            path = os.path.join(WORK, f"{kind}.{dialect}.sql")
            run([CLI, "sql", model, "--dialect", dialect, "--table", "customers", "--out", path])
            sql[dialect] = open(path).read()
        scored = os.path.join(WORK, f"{kind}.scored.csv")
        cli = run([CLI, "score", model, DATA, "--out", scored])
        results.append((kind, "churnscope score: read, score, reasons, write the CSV", cli, None))
        cli = run([CLI, "score", model, DATA, "--out", scored, "--no-reasons"])
        results.append((kind, "churnscope score --no-reasons: read, score, write", cli, None))
        results.append((kind,) + duckdb_run(sql["duckdb"]))
        results.append((kind,) + spark_run(sql["spark"]))
        results.append((kind,) + sklearn_run(kind))
    print(f"\n{n:,} customers ({DATA}); models trained on {TRAIN}")
    print(f"{'model':<10} {'scorer':<58} {'seconds':>8} {'rows/s':>12} {'load s':>8}")
    for kind, what, secs, load in results:
        load_text = f"{load:.1f}" if load is not None else "-"
        print(f"{kind:<10} {what:<58} {secs:>8.2f} {n / secs:>12,.0f} {load_text:>8}")


def duckdb_run(sql):
    import duckdb
    con = duckdb.connect()
    started = time.time()
    con.execute("CREATE TABLE customers AS SELECT * FROM read_csv(?, header = true)", [DATA])
    load = time.time() - started
    started = time.time()
    con.execute(f"CREATE TABLE scored AS {sql}")
    secs = time.time() - started
    con.close()
    return ("DuckDB, the exported SQL (2 threads)", secs, load)


def spark_run(sql):
    from pyspark.sql import SparkSession
    import tempfile
    spark = (SparkSession.builder.master("local[2]").appName("bench")
             .config("spark.sql.warehouse.dir", tempfile.mkdtemp(prefix="churnscope-bench-"))
             .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
             .config("spark.driver.memory", "3g")
             .config("spark.sql.codegen.wholeStage", "false").getOrCreate())
    spark.sparkContext.setLogLevel("FATAL")
    started = time.time()
    spark.read.csv(DATA, header=True, inferSchema=True).write.format("parquet").saveAsTable("customers")
    load = time.time() - started
    started = time.time()
    spark.sql(sql).write.format("noop").mode("overwrite").save()
    secs = time.time() - started
    spark.stop()
    return ("Spark SQL local[2], the exported SQL", secs, load)


def sklearn_run(kind):
    import pandas as pd
    from sklearn.compose import make_column_transformer, make_column_selector
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler
    train = pd.read_csv(TRAIN)
    y = (train.pop("churned") == "Yes").astype(int)
    train = train.drop(columns=["customer_id"])
    started = time.time()
    data = pd.read_csv(DATA).drop(columns=["customer_id", "churned"])
    load = time.time() - started
    numbers = make_column_selector(dtype_include="number")
    texts = make_column_selector(dtype_exclude="number")
    if kind == "logistic":
        prep = make_column_transformer(
            (make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numbers),
            (make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore")), texts))
        model = make_pipeline(prep, LogisticRegression(max_iter=1000))
        what = "scikit-learn LogisticRegression pipeline, predict_proba"
    else:
        prep = make_column_transformer(
            ("passthrough", numbers),
            (OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1), texts))
        model = make_pipeline(prep, HistGradientBoostingClassifier(max_iter=100, early_stopping=False))
        what = "scikit-learn HistGradientBoosting, predict_proba"
    model.fit(train, y)
    started = time.time()
    model.predict_proba(data)
    return (what, time.time() - started, load)


if __name__ == "__main__":
    main()
