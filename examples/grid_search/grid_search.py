#!/usr/bin/env python3
"""XGBoost hyperparameter grid search over MPI ranks, the trainings' first use
case (their 4_hyper_boost).

Every rank reads (or generates) the same credit-scoring table and preprocesses
it the same way: RobustScaler on the numeric columns, one-hot ``Occupation``
and ``Payment_of_Min_Amount``, ordinal ``Credit_Mix`` (Bad < Standard < Good),
``Spending_Level`` (Low < High) and ``Payment_Value`` (Small < Medium <
Large); the rows with ``is_train`` are split 80/20, stratified, seed 42.  The
216 combinations of the grid are spread over the ranks; each rank trains and
scores its models with as many threads as SLURM gave each task
(``--cpus-per-task``); rank 0 gathers the results, writes them to a CSV file
and prints the best row.

Two schedulers:
  static   the trainings' way: rank 0 shuffles the combinations and scatters
           equal shares; a rank that drew the slow models finishes last
  dynamic  rank 0 hands out one combination at a time as ranks become free
           (examples/common/dynamic.py, lowercase send/recv)

    mpiexec -n 4 python -m cmpi grid_search.py --scheduler dynamic
    srun --mpi=pmix python -u -m cmpi grid_search.py --quick
"""

import argparse
import itertools
import os
import random
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(os.path.dirname(HERE), "common")]


def cpus_per_task():
    try:
        return max(1, int(os.environ.get("SLURM_CPUS_PER_TASK", "1")))
    except ValueError:
        return 1


for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, str(cpus_per_task()))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.compose import ColumnTransformer  # noqa: E402
from sklearn.metrics import accuracy_score  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, RobustScaler  # noqa: E402

import credit_data  # noqa: E402
import dynamic  # noqa: E402
from mpi4py import MPI  # noqa: E402  (run under `python -m cmpi`: this is cmpi)

GRID = {
    "n_estimators": [200, 400, 600],
    "learning_rate": [0.01, 0.05, 0.1],
    "max_depth": [5, 8],
    "subsample": [0.7, 1.0],
    "colsample_bytree": [0.8, 1.0],
    "reg_lambda": [1, 10, 50],
}
QUICK_GRID = {
    "n_estimators": [20, 40],
    "learning_rate": [0.1, 0.3],
    "max_depth": [3, 5],
    "subsample": [0.8],
    "colsample_bytree": [1.0],
    "reg_lambda": [1],
}
QUICK_ROWS = 4000
PARAMS = list(GRID)
ORDINAL = {name: levels for name, levels in credit_data.CATEGORIES.items()}
ONE_HOT = ["Occupation", "Payment_of_Min_Amount"]


def combinations(grid):
    return [dict(zip(grid, values)) for values in itertools.product(*grid.values())]


def load_table(args):
    if args.data:
        return pd.read_csv(args.data), args.data
    rows = args.rows or (QUICK_ROWS if args.quick else 100_000)
    return (credit_data.make(rows, args.seed),
            f"generated ({rows:,} rows, seed {args.seed})")


def preprocess(df):
    """(X_train, X_test, y_train, y_test) as the trainings prepare them."""
    df = df[df["is_train"].astype(bool)]
    y = df[credit_data.TARGET].map({c: i for i, c in enumerate(credit_data.CLASSES)})
    X = df.drop(columns=[credit_data.TARGET, "is_train"])
    numeric = [c for c in credit_data.NUMERIC if c in X.columns]
    ordinal = list(ORDINAL)
    encode = ColumnTransformer([
        ("numeric", RobustScaler(), numeric),
        ("one_hot", OneHotEncoder(handle_unknown="ignore", sparse_output=False), ONE_HOT),
        ("ordinal", OrdinalEncoder(categories=[ORDINAL[c] for c in ordinal]), ordinal),
    ])
    X_train, X_test, y_train, y_test = train_test_split(
        X, y.to_numpy(), test_size=0.2, stratify=y, random_state=42)
    # the scaler learns from the training part only
    X_train = encode.fit_transform(X_train).astype(np.float32)
    X_test = encode.transform(X_test).astype(np.float32)
    return X_train, X_test, y_train, y_test


def make_trainer(data, threads):
    from xgboost import XGBClassifier

    X_train, X_test, y_train, y_test = data

    def train(task):
        index, params = task
        t0 = time.perf_counter()
        model = XGBClassifier(**params, tree_method="hist", n_jobs=threads,
                              random_state=0, eval_metric="mlogloss")
        model.fit(X_train, y_train)
        accuracy = accuracy_score(y_test, model.predict(X_test))
        return {"combination": index, **params,
                "elapsed": time.perf_counter() - t0, "accuracy": float(accuracy),
                "rank": MPI.COMM_WORLD.Get_rank()}

    return train


def static_schedule(comm, tasks, train):
    """The trainings' scheduler: shuffle, equal shares, scatter, gather."""
    rank, size = comm.Get_rank(), comm.Get_size()
    if rank == 0:
        shuffled = list(tasks)
        random.Random(42).shuffle(shuffled)
        shares = [shuffled[r::size] for r in range(size)]
    else:
        shares = None
    mine = comm.scatter(shares, root=0)
    t0 = time.perf_counter()
    results = [train(task) for task in mine]
    busy = time.perf_counter() - t0
    gathered = comm.gather((results, busy), root=0)
    if rank != 0:
        return None, None
    return [r for res, _ in gathered for r in res], [b for _, b in gathered]


def dynamic_schedule(comm, tasks, train, progress):
    busy = {}

    def on_result(task, result):
        busy[result["rank"]] = busy.get(result["rank"], 0.0) + result["elapsed"]
        progress(result)

    # biggest models first: the other ranks start on them (longest first
    # evens out the end), and rank 0, which takes its own from the end of the
    # list, trains the small ones and so answers the others often
    order = sorted(tasks, key=lambda t: -t[1]["n_estimators"] * t[1]["max_depth"])
    done = dynamic.run(comm, order, train, on_result)
    if done is None:
        return None, None
    return [res for _, res in done], [busy.get(r, 0.0) for r in range(comm.Get_size())]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scheduler", choices=("static", "dynamic"), default="dynamic")
    p.add_argument("--quick", action="store_true",
                   help=f"small data ({QUICK_ROWS} rows) and an 8-model grid, for tests")
    p.add_argument("--data", help="CSV with the credit-score schema (default: generated)")
    p.add_argument("--rows", type=int, default=None,
                   help="rows to generate (default 100000, --quick 4000)")
    p.add_argument("--seed", type=int, default=0, help="generator seed")
    p.add_argument("--limit", type=int, default=None,
                   help="only the first LIMIT combinations of the grid")
    p.add_argument("--threads", type=int, default=None,
                   help="XGBoost threads per rank (default SLURM_CPUS_PER_TASK or 1)")
    p.add_argument("--out", default="grid_search_results.csv", help="results CSV")
    args = p.parse_args(argv)

    comm = MPI.COMM_WORLD
    rank, size = comm.Get_rank(), comm.Get_size()
    threads = args.threads or cpus_per_task()
    grid = QUICK_GRID if args.quick else GRID
    tasks = list(enumerate(combinations(grid)))[:args.limit]

    comm.Barrier()
    t0 = time.perf_counter()
    table, what = load_table(args)           # every rank reads the same data
    data = preprocess(table)
    t_prep = time.perf_counter() - t0
    train = make_trainer(data, threads)
    if rank == 0:
        print(f"grid search: {len(tasks)} combinations, scheduler {args.scheduler}, "
              f"{size} rank(s) x {threads} thread(s)")
        print(f"data: {what}; train {data[0].shape[0]:,} x {data[0].shape[1]}, "
              f"test {data[1].shape[0]:,}; preprocessing {t_prep:.2f} s", flush=True)

    count = [0]

    def progress(result):
        count[0] += 1
        sys.stdout.write(f"[{count[0]}/{len(tasks)}] combination {result['combination']} "
                         f"on rank {result['rank']}: accuracy {result['accuracy']:.4f} "
                         f"in {result['elapsed']:.2f} s\n")
        sys.stdout.flush()

    if args.scheduler == "static":
        results, busy = static_schedule(comm, tasks, train)
    else:
        results, busy = dynamic_schedule(comm, tasks, train, progress)
    if rank != 0:
        return
    elapsed = time.perf_counter() - t0
    df = pd.DataFrame(results).sort_values("combination")
    df = df[["combination", *PARAMS, "elapsed", "accuracy", "rank"]]
    df.to_csv(args.out, index=False)
    best = df.sort_values(["accuracy", "combination"],
                          ascending=[False, True]).to_dict("records")[0]
    print(f"results: {args.out} ({len(df)} rows)")
    print("best: " + ", ".join(
        f"{k}={best[k]}" for k in ["combination", *PARAMS]) +
        f", accuracy={best['accuracy']:.4f}")
    print("rank busy times: " + " ".join(f"{b:.1f}" for b in busy) + " s")
    print(f"time: {elapsed:.2f} s ({args.scheduler}, {size} ranks x {threads} threads)")


if __name__ == "__main__":
    main()
