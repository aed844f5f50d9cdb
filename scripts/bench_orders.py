"""The order-log features of churnscope (crates/engine/src/orders/features.rs) written with
pandas groupby, for the side-by-side benchmark of issue 17 (scripts/bench_orders.sh).

Usage:
  python3 scripts/bench_orders.py time LOG.csv [RUNS]      -> one JSON line of timings
  python3 scripts/bench_orders.py check LOG.csv OUT.csv    -> compares with `churnscope orders --out`

The log is the layout `churnscope sample --orders` writes (order_id, customer_id,
order_date, product, quantity, unit_price, discount, status, channel); horizon 90 days,
cutoff = last day - 90, every history, customers whose first order is under 30 days before
the cutoff left out, as the CLI's defaults.
"""
import json
import sys
import time

import numpy as np
import pandas as pd

HORIZON = 90
MIN_HISTORY = 30


def read(path):
    return pd.read_csv(
        path,
        dtype={"order_id": str, "customer_id": str, "product": str, "status": str, "channel": str},
        parse_dates=["order_date"],
    )


def orders_of(df):
    df["value"] = df["quantity"] * df["unit_price"]
    status = df["status"].str.lower()
    df["cancel"] = status.str.contains("cancel|void|return", na=False) | status.isin(["refunded", "refund"])
    df["disc"] = df["discount"].fillna(0) > 0
    orders = df.groupby("order_id", sort=False).agg(
        customer=("customer_id", "first"),
        time=("order_date", "first"),
        amount=("value", "sum"),
        cancelled=("cancel", "max"),
        discounted=("disc", "max"),
    )
    orders["cancelled"] |= orders["amount"] < 0
    orders["day"] = (orders["time"].dt.floor("D") - pd.Timestamp("1970-01-01")).dt.days
    return orders.reset_index()


def features(orders, lines, day, trend):
    """Features of every customer with a purchase on or before `day`."""
    within = orders[orders["day"] <= day]
    bought = within[~within["cancelled"]].sort_values(["customer", "time"])
    g = bought.groupby("customer", sort=True)
    out = pd.DataFrame(
        {
            "recency_days": day - g["day"].max(),
            "frequency": g.size().astype(float),
            "monetary_total": g["amount"].sum(),
        }
    )
    out["monetary_mean"] = out["monetary_total"] / out["frequency"]
    out["tenure_days"] = day - g["day"].min()
    gaps = bought["day"].diff()
    gaps[bought["customer"] != bought["customer"].shift()] = np.nan
    gg = gaps.groupby(bought["customer"])
    out["gap_mean_days"] = gg.mean()
    out["gap_sd_days"] = gg.std(ddof=1)
    recent = bought[bought["day"] > day - trend].groupby("customer")["amount"].agg(["sum", "size"])
    earlier = bought[(bought["day"] > day - 2 * trend) & (bought["day"] <= day - trend)].groupby("customer")["amount"].agg(["sum", "size"])
    out["spend_trend"] = recent["sum"].reindex(out.index, fill_value=0) - earlier["sum"].reindex(out.index, fill_value=0)
    out["orders_trend"] = (recent["size"].reindex(out.index, fill_value=0) - earlier["size"].reindex(out.index, fill_value=0)).astype(float)
    out["discount_share"] = g["discounted"].mean()
    all_orders = within.groupby("customer").size()
    out["cancel_rate"] = 1.0 - out["frequency"] / all_orders.reindex(out.index)
    bought_lines = lines[lines["order_id"].isin(bought["order_id"])]
    out["distinct_products"] = bought_lines.groupby("customer_id")["product"].nunique().reindex(out.index).astype(float)
    months = bought["time"].dt.year * 12 + bought["time"].dt.month
    out["active_months"] = months.groupby(bought["customer"]).nunique().astype(float)
    return out


def derive(path):
    lines = read(path)
    orders = orders_of(lines)
    last = orders["day"].max()
    cutoff = last - HORIZON
    labelled = features(orders, lines, cutoff, HORIZON)
    labelled = labelled[labelled["tenure_days"] >= MIN_HISTORY]
    later = orders[(~orders["cancelled"]) & (orders["day"] > cutoff) & (orders["day"] <= cutoff + HORIZON)]
    labelled["churned"] = (~labelled.index.isin(later["customer"].unique())).astype(float)
    current = features(orders, lines, last, HORIZON)
    return labelled, current


def main():
    mode, path = sys.argv[1], sys.argv[2]
    if mode == "time":
        runs = []
        for _ in range(int(sys.argv[3]) if len(sys.argv) > 3 else 3):
            start = time.perf_counter()
            labelled, current = derive(path)
            runs.append(time.perf_counter() - start)
        print(json.dumps({"what": "pandas groupby", "seconds_median": sorted(runs)[len(runs) // 2], "runs": runs,
                          "labelled": len(labelled), "current": len(current), "pandas": pd.__version__}))
    else:
        labelled, _ = derive(path)
        ours = pd.read_csv(sys.argv[3], dtype={"customer": str}).set_index("customer")
        assert len(labelled) == len(ours), (len(labelled), len(ours))
        labelled = labelled.loc[ours.index]
        worst = 0.0
        for column in labelled.columns:
            a, b = ours[column].to_numpy(float), labelled[column].to_numpy(float)
            same_nan = np.isnan(a) == np.isnan(b)
            assert same_nan.all(), column
            diff = np.nanmax(np.abs(a - b) / np.maximum(1.0, np.abs(b))) if (~np.isnan(a)).any() else 0.0
            worst = max(worst, diff)
            assert diff < 1e-6, (column, diff)
        print(json.dumps({"checked_customers": len(ours), "columns": list(labelled.columns), "max_relative_difference": worst}))


if __name__ == "__main__":
    main()
