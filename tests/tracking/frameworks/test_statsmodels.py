"""statsmodels fits in ``%%mlops track`` cells.

Needs the ``[frameworks]`` extra, installed by ``make install`` and CI (where these tests
run); ``pytest.importorskip`` only guards a machine without it.
"""

from __future__ import annotations

import re
import time
from typing import Any

import numpy as np
import pytest

import jupyter_mlops as mlops
from jupyter_mlops.errors import UntrustedArtifactError
from jupyter_mlops.store import current_store


def test_formula_fit_records_statistics_summary_and_a_trusted_only_model(data) -> None:
    pytest.importorskip("statsmodels")
    data.run_cell(
        "%%mlops track logit\n"
        "import statsmodels.formula.api as smf\n"
        "frame = X_train.assign(y=y_train)\n"
        "result = smf.logit('y ~ f0 + f1', data=frame).fit(disp=0, maxiter=50)"
    )
    run = mlops.get_run("logit")
    result = data.user_ns["result"]
    assert run.params["model"] == "Logit"
    assert run.params["formula"] == "y ~ f0 + f1"
    assert run.params["maxiter"] == "50"
    assert run.metrics["aic"] == pytest.approx(result.aic)
    assert run.metrics["bic"] == pytest.approx(result.bic)
    assert run.metrics["llf"] == pytest.approx(result.llf)
    assert run.metrics["coef.f0"] == pytest.approx(result.params["f0"])
    summary = next(a for a in run.artifacts if a.path == "summary.txt")
    assert b"Logit Regression Results" in current_store().objects.read_bytes(summary.digest)
    [saved] = run.models
    assert (saved.name, saved.flavor) == ("logit", "statsmodels")

    mlops.models.register(run.id, "logit")
    with pytest.raises(UntrustedArtifactError):
        mlops.models.load("models:/logit/1")
    loaded = mlops.models.load("models:/logit/1", trusted=True)
    X_valid = data.user_ns["X_valid"]
    np.testing.assert_allclose(loaded.predict(X_valid), result.predict(X_valid))


def test_fits_made_inside_statsmodels_are_not_recorded(data) -> None:
    pytest.importorskip("statsmodels")
    data.run_cell(
        "%%mlops track adf\n"
        "import statsmodels.api as sm\n"
        "from statsmodels.tsa.stattools import adfuller\n"
        "test = adfuller(X_train.f0.to_numpy(), result_object=True)\n"
        "ols = sm.OLS(y_train, sm.add_constant(X_train)).fit()"
    )
    run = mlops.get_run("adf")
    assert [m.name for m in run.models] == ["ols"]  # adfuller's own regressions left out
    assert run.metrics["rsquared"] == pytest.approx(data.user_ns["ols"].rsquared)
    assert {(i.role, i.source) for i in run.inputs} == {
        ("training", "exog"),
        ("training", "y_train"),
    }


def test_the_summary_is_rendered_after_the_cell_and_stored_before_the_run_ends(data) -> None:
    pytest.importorskip("statsmodels")
    data.run_cell("%mlops track probit")
    data.run_cell(
        "import statsmodels.api as sm\n"
        "result = sm.Probit(y_train, sm.add_constant(X_train)).fit(disp=0)"
    )
    result = data.user_ns["result"]
    run = mlops.get_run("probit")
    # The summary is stored when the cell is over (rendered after its output, in its
    # thread); prsquared comes with the run's next flush, within about a second.
    assert "summary.txt" in [a.path for a in run.artifacts]
    for _ in range(50):
        if "prsquared" in run.metrics:
            break
        time.sleep(0.1)
        run = mlops.get_run("probit")
    assert run.status == "running"
    summary = next(a for a in run.artifacts if a.path == "summary.txt")
    assert b"Probit Regression Results" in current_store().objects.read_bytes(summary.digest)
    assert run.metrics["prsquared"] == pytest.approx(result.prsquared)
    assert run.metrics["llf"] == pytest.approx(result.llf)
    data.run_cell("%mlops stop")
    assert mlops.get_run("probit").status == "finished"


def _counts(receipt: str) -> dict[str, int]:
    return {
        noun.rstrip("s"): int(n) for n, noun in re.findall(r"(\d+) (\w+)", receipt.split("·", 1)[1])
    }


def test_receipt_counts_the_summary_and_model_saved_after_it(data: Any) -> None:
    pytest.importorskip("statsmodels")
    ran = data.run(
        "%%mlops track logit-after\n"
        "import statsmodels.api as sm\n"
        "result = sm.Logit(y_train, sm.add_constant(X_train)).fit(disp=0)\n"
        "result.llf"
    )
    [receipt] = [t for t in ran.texts if t.startswith("✓ run")]
    run = mlops.get_run("logit-after")
    result = data.user_ns["result"]
    # Rendered after the receipt, and in the run when the cell is over.
    assert run.status == "finished"
    assert run.metrics["prsquared"] == pytest.approx(result.prsquared)
    assert "summary.txt" in [a.path for a in run.artifacts]
    assert [m.name for m in run.models] == ["logit"]
    # The receipt said what the run holds.
    counts = _counts(receipt)
    assert counts["param"] == len(run.params)
    assert counts["metric"] == len(run.metrics)
    assert counts["model"] == 1
    assert counts["artifact"] == sum(a.kind in ("artifact", "table") for a in run.artifacts)
