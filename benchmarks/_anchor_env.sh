#!/usr/bin/env bash
# Build .venv-bench: MLflow (the anchor of benchmarks/bench_tracking.py) beside this package.
#
#   bash benchmarks/_anchor_env.sh            # MLflow 3.17, the version the targets quote
#   MLFLOW_SPEC='mlflow' bash benchmarks/_anchor_env.sh   # the newest MLflow instead
#
# The benchmark drives MLflow in this interpreter through a subprocess and never imports
# jupyter_mlops there, so if MLflow's pins ever conflict with ours (pandas, SQLAlchemy) the
# fallback installs MLflow and scikit-learn alone.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
VENV=${BENCH_VENV:-.venv-bench}
MLFLOW_SPEC=${MLFLOW_SPEC:-mlflow==3.17.*}
export PIP_DISABLE_PIP_VERSION_CHECK=1

[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/pip" install --quiet --upgrade pip
# psycopg: bench_team.py points MLflow at the same PostgreSQL server as our store.
if ! "$VENV/bin/pip" install --quiet "$MLFLOW_SPEC" "psycopg[binary]>=3.2" -e ".[bench]"; then
    echo "MLflow and jupyter-mlops do not install together; installing MLflow alone." >&2
    "$VENV/bin/pip" install --quiet "$MLFLOW_SPEC" "psycopg[binary]>=3.2" scikit-learn
fi
"$VENV/bin/python" -c "import mlflow, sklearn; print('anchor ready: mlflow', mlflow.__version__)"
