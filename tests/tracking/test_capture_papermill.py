"""Parameters injected by papermill, read from the kernel's input history and logged."""

from __future__ import annotations

import math

import pytest
from papermill.translators import PythonTranslator

import jupyter_mlops as mlops
from jupyter_mlops.tracking.capture import injected_params, log_injected_params
from jupyter_mlops.tracking.capture.papermill import parse_parameters


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("alpha = 0.5\n", {"alpha": 0.5}),
        ("name = 'churn'\nn: int = 3\n", {"name": "churn", "n": 3}),
        ("a = b = 1\n", {"a": 1, "b": 1}),
        ("grid = {'C': [0.1, 1.0]}\n", {"grid": {"C": [0.1, 1.0]}}),
        ("x = compute()\ny = 2\n", {"y": 2}),  # not a literal: skipped, never run
        ("a, b = 1, 2\n", {}),  # unpacking is not a papermill parameter
        ("obj.attr = 1\n", {}),
        ("x = float('1.5')\n", {}),  # only papermill's nan / inf spellings are accepted
        ("x = = 1\n", {}),  # a syntax error gives nothing
    ],
)
def test_parse_parameters(source: str, expected: dict) -> None:
    assert parse_parameters(source) == expected


def test_papermill_spellings_of_nan_and_infinity() -> None:
    params = parse_parameters(PythonTranslator.codify({"a": float("nan"), "b": float("-inf")}))
    assert math.isnan(params["a"]) and params["b"] == -math.inf


def injected(params: dict) -> str:
    return PythonTranslator.codify(params)  # exactly what papermill inserts


def test_the_last_injected_cell_in_the_history_wins() -> None:
    history = ["", "# Parameters\nalpha = 0.1\n", injected({"alpha": 0.6, "tag": "x"}), "1 + 1"]
    assert injected_params({"In": history}) == {"alpha": 0.6, "tag": "x"}
    assert injected_params(history) == {"alpha": 0.6, "tag": "x"}
    assert injected_params({"In": ["", "alpha = 1"]}) == {}
    assert injected_params({}) == {}


def test_log_injected_params_logs_them_as_params(store) -> None:
    ns = {"In": ["", injected({"C": 0.5, "features": ["a", "b"], "flag": True, "none": None})]}
    with mlops.start_run(store=store, experiment="t") as run:
        logged = log_injected_params(run, ns)
    assert logged["C"] == 0.5
    params = mlops.get_run(run.id, store=store).params
    assert params == {"C": "0.5", "features": '["a", "b"]', "flag": "True", "none": "None"}


def test_a_shell_is_read_through_its_namespace() -> None:
    class Shell:
        user_ns = {"In": ["", injected({"k": 3})]}

    assert injected_params(Shell()) == {"k": 3}
