#!/usr/bin/env python3
"""Runs churnscope's exported SQL in real engines and writes what each returned.

    sql_engines.py JOBS.json

JOBS.json: {"out": DIR, "engines": ["duckdb", "postgres", "spark", "bigquery"],
            "jobs": [{"name": N, "csv": PATH, "table": T,
                      "sql": {"duckdb": FILE, ...}, "view": {"duckdb": [VIEW, FILE], ...}}]}

For each engine and job, loads the CSV as table T (DuckDB and Spark with their own type
inference, PostgreSQL with every column as text), runs the query and writes
DIR/N.ENGINE.csv (customer_id, churn_probability written with every digit, at_risk,
tier, top_reason). With "view", runs the CREATE VIEW variant and writes what
SELECT * FROM VIEW returned as DIR/N.ENGINE.view.csv. BigQuery is not executed: the
query is parsed by sqlglot's BigQuery dialect and DIR/N.bigquery.parsed is written.

PostgreSQL is a throw-away cluster (Debian's server binaries) started on a free local
port in a temporary directory and stopped at the end, whatever happens. Spark runs in
local mode (pyspark) with a temporary warehouse.
"""

import csv
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

COLUMNS = ["customer_id", "churn_probability", "at_risk", "tier", "top_reason"]


def write_rows(path, names, rows):
    """Writes rows of the query's output, floats with repr (every digit)."""
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(COLUMNS)
        for row in rows:
            rec = dict(zip(names, row))
            at_risk = rec.get("at_risk")
            if isinstance(at_risk, str):
                at_risk = at_risk in ("t", "true", "True")
            w.writerow([
                rec["customer_id"],
                repr(float(rec["churn_probability"])) if rec["churn_probability"] is not None else "",
                "true" if at_risk else "false",
                rec["tier"],
                rec.get("top_reason") or "",
            ])


def run_duckdb(jobs, out):
    import duckdb
    for job in jobs:
        con = duckdb.connect()
        con.execute(
            f'CREATE TABLE "{job["table"]}" AS SELECT * FROM read_csv(?, header = true)',
            [job["csv"]],
        )
        sql = open(job["sql"]["duckdb"]).read()
        cur = con.execute(sql)
        names = [d[0] for d in cur.description]
        write_rows(os.path.join(out, f'{job["name"]}.duckdb.csv'), names, cur.fetchall())
        if "duckdb" in job.get("view", {}):
            view, path = job["view"]["duckdb"]
            con.execute(open(path).read())
            cur = con.execute(f"SELECT * FROM {view}")
            names = [d[0] for d in cur.description]
            write_rows(os.path.join(out, f'{job["name"]}.duckdb.view.csv'), names, cur.fetchall())
        con.close()


def pg_bin(name):
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if found:
        return found[-1]
    path = shutil.which(name)
    if path:
        return path
    sys.exit(f"sql_engines: PostgreSQL's {name} not found (scripts/setup.sh installs postgresql)")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Postgres:
    """A throw-away PostgreSQL cluster on a free local port."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="churnscope-pg-")
        self.port = free_port()
        self.as_user = []
        if os.geteuid() == 0:
            # initdb refuses to run as root: the cluster belongs to Debian's postgres user.
            shutil.chown(self.dir, "postgres")
            self.as_user = ["runuser", "-u", "postgres", "--"]
        data = os.path.join(self.dir, "data")
        subprocess.run(self.as_user + [pg_bin("initdb"), "-D", data, "-U", "postgres",
                                       "--auth=trust", "-E", "UTF8", "--locale=C"],
                       check=True, stdout=subprocess.DEVNULL)
        subprocess.run(self.as_user + [
            pg_bin("pg_ctl"), "-D", data, "-l", os.path.join(self.dir, "log"), "-w", "start",
            "-o", f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir}",
        ], check=True, stdout=subprocess.DEVNULL)
        self.data = data
        print(f"sql_engines: PostgreSQL started on port {self.port}", file=sys.stderr)

    def psql(self, *args, stdin=None):
        cmd = [pg_bin("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
               "-p", str(self.port), "-U", "postgres", "-d", "postgres", *args]
        done = subprocess.run(cmd, capture_output=True, text=True, input=stdin)
        if done.returncode != 0:
            sys.exit(f"sql_engines: psql {' '.join(args)}: {done.stderr.strip()}")
        return done.stdout

    def stop(self):
        subprocess.run(self.as_user + [pg_bin("pg_ctl"), "-D", self.data, "-m", "fast", "-w", "stop"],
                       stdout=subprocess.DEVNULL)
        shutil.rmtree(self.dir, ignore_errors=True)
        print("sql_engines: PostgreSQL stopped", file=sys.stderr)


def pg_rows(text):
    rows = list(csv.reader(text.splitlines()))
    return rows[0], rows[1:]


def run_postgres(jobs, out):
    pg = Postgres()
    try:
        for job in jobs:
            with open(job["csv"], newline="") as f:
                header = next(csv.reader(f))
            table = job["table"]
            cols = ", ".join('"' + h.replace('"', '""') + '" TEXT' for h in header)
            pg.psql("-c", f'DROP TABLE IF EXISTS "{table}" CASCADE', "-c", f'CREATE TABLE "{table}" ({cols})')
            pg.psql("-c", f"\\copy \"{table}\" FROM '{job['csv']}' WITH (FORMAT csv, HEADER true)")
            names, rows = pg_rows(pg.psql("--csv", "-f", job["sql"]["postgres"]))
            write_rows(os.path.join(out, f'{job["name"]}.postgres.csv'), names, rows)
            if "postgres" in job.get("view", {}):
                view, path = job["view"]["postgres"]
                pg.psql("-f", path)
                names, rows = pg_rows(pg.psql("--csv", "-c", f"SELECT * FROM {view}"))
                write_rows(os.path.join(out, f'{job["name"]}.postgres.view.csv'), names, rows)
    finally:
        pg.stop()


def run_spark(jobs, out):
    from pyspark.sql import SparkSession
    warehouse = tempfile.mkdtemp(prefix="churnscope-spark-")
    spark = (SparkSession.builder.master("local[2]").appName("churnscope-sql")
             .config("spark.sql.warehouse.dir", warehouse)
             .config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false")
             .config("spark.driver.memory", "3g")
             # As the query's own comment says: whole-stage code generation compiles a big
             # model's query into one Java method, which outgrows the 64 KB limit and, for
             # the network, 3 GB of driver memory (out of memory; 3.2 s without it).
             .config("spark.sql.codegen.wholeStage", "false")
             .getOrCreate())
    # Spark logs a whole stack trace when a big query's generated code outgrows Java's
    # 64 KB method limit, then evaluates it without generated code: the answers are the
    # same, so the log is kept to fatal errors.
    spark.sparkContext.setLogLevel("FATAL")
    try:
        for job in jobs:
            table = job["table"]
            df = spark.read.csv(job["csv"], header=True, inferSchema=True)
            spark.sql(f"DROP TABLE IF EXISTS {table}")
            # A real table (not a temporary view), so that a permanent view can read it.
            df.write.format("parquet").saveAsTable(table)
            result = spark.sql(open(job["sql"]["spark"]).read())
            write_rows(os.path.join(out, f'{job["name"]}.spark.csv'), result.columns, result.collect())
            if "spark" in job.get("view", {}):
                view, path = job["view"]["spark"]
                spark.sql(open(path).read())
                result = spark.sql(f"SELECT * FROM {view}")
                write_rows(os.path.join(out, f'{job["name"]}.spark.view.csv'), result.columns, result.collect())
                spark.sql(f"DROP VIEW IF EXISTS {view}")
    finally:
        spark.stop()
        shutil.rmtree(warehouse, ignore_errors=True)


def run_bigquery(jobs, out):
    import sqlglot
    for job in jobs:
        for path in [job["sql"]["bigquery"]] + [job.get("view", {}).get("bigquery", [None, None])[1]]:
            if path is None:
                continue
            text = open(path).read()
            parsed = sqlglot.parse(text, read="bigquery", error_level=sqlglot.ErrorLevel.RAISE)
            if len([p for p in parsed if p is not None]) != 1:
                sys.exit(f"sql_engines: {path}: not one BigQuery statement")
        open(os.path.join(out, f'{job["name"]}.bigquery.parsed'), "w").write("parsed\n")


def main():
    # A SIGTERM (a test run stopped) unwinds through the finally blocks, so the PostgreSQL
    # server and Spark are stopped and their temporary directories removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("sql_engines: stopped"))
    spec = json.load(open(sys.argv[1]))
    out = spec["out"]
    os.makedirs(out, exist_ok=True)
    runners = {"duckdb": run_duckdb, "postgres": run_postgres, "spark": run_spark,
               "bigquery": run_bigquery}
    for engine in spec["engines"]:
        started = time.time()
        runners[engine](spec["jobs"], out)
        print(f"sql_engines: {engine}: {len(spec['jobs'])} queries in {time.time() - started:.1f} s",
              file=sys.stderr)


if __name__ == "__main__":
    main()
