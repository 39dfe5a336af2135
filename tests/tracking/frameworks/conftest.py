"""Shared helpers for the framework capture tests: data in the shell, the run a cell made.

The frameworks come with the ``[frameworks]`` extra, which ``make install`` (and so CI)
installs: there every test here runs. ``pytest.importorskip`` only guards machines without it.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

import jupyter_mlops as mlops

# Keras 3 on the torch backend (set before anything imports keras).
os.environ.setdefault("KERAS_BACKEND", "torch")


@pytest.fixture
def data(ip):
    """A small classification problem as frames in the shell: X_train, y_train, X_valid, y_valid."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(400, 5)), columns=[f"f{i}" for i in range(5)])
    y = pd.Series((X.f0 + 0.5 * X.f1 + rng.normal(scale=0.5, size=400) > 0).astype(int), name="y")
    ip.user_ns.update(
        X_train=X[:300],
        y_train=y[:300],
        X_valid=X[300:].reset_index(drop=True),
        y_valid=y[300:].reset_index(drop=True),
    )
    return ip


@pytest.fixture
def steps():
    """``steps(run, key)``: the steps a metric of a run was logged at."""

    def of(run, key: str) -> list[int]:
        return [p.step for p in mlops.get_metric_history(run.id, key)]

    return of
