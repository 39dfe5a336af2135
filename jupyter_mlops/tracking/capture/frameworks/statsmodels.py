"""statsmodels: ``fit()`` of every model class (``OLS``, ``GLM``, ``Logit``, ``ARIMA``…).

A fit made by statsmodels itself (a test or a helper fitting an OLS inside) is not recorded.

* **params** — the model class as ``model``, the formula when fitted from one, and the
  keyword arguments given to ``fit()`` (``method``, ``maxiter``, ``cov_type``…).
* **metrics** — what the results define among ``aic``, ``bic``, ``llf`` (log-likelihood),
  ``rsquared``, ``rsquared_adj``, ``fvalue``, ``f_pvalue``, ``nobs``, ``prsquared``,
  ``deviance``, ``scale``; and the first 50 coefficients as ``coef.<name>``.
* **artifact** — ``summary.txt``: the results' ``summary()``.

``summary()`` and ``prsquared`` fit a second, intercept-only model (the null model) and format
tables: several times the cost of a small fit. In a notebook they are computed after the
cell's output is shown (the receipt counts them already), in the cell's thread
(:mod:`~jupyter_mlops.tracking.after_cell`); never in the background, where they would import
statsmodels and scipy modules beside the user's imports and swap warning filters under the
user's code.
* **model** — ``models/<label>.pickle``: statsmodels' own ``save``, which is a pickle; loading
  it needs ``trusted=True``.
* **data** — fingerprints of the ``endog`` and ``exog`` the model was built on (``training``).
"""

from __future__ import annotations

import sys
import warnings
from typing import TYPE_CHECKING, Any

from jupyter_mlops.tracking import after_cell
from jupyter_mlops.tracking.capture.frameworks import _common as c
from jupyter_mlops.tracking.flavors import infer_signature

if TYPE_CHECKING:
    from jupyter_mlops.tracking.capture.session import Session
    from jupyter_mlops.tracking.run import Run

DISTRIBUTIONS = ("statsmodels",)
STATS = (
    "aic",
    "bic",
    "llf",
    "rsquared",
    "rsquared_adj",
    "fvalue",
    "f_pvalue",
    "nobs",
    "deviance",
    "scale",
)
#: Statistics that fit the null model: computed with the summary, off the cell's path.
LATER = ("prsquared",)
MAX_COEFS = 50

_cache_key: tuple[int, int] | None = None
_cache_classes: list[type] = []


def start(session: Session) -> None:
    global _cache_key, _cache_classes
    base = sys.modules["statsmodels.base.model"].Model
    key = (id(base), len(sys.modules))
    if key != _cache_key:  # walking ~300 model classes: once per set of loaded modules
        _cache_key, _cache_classes = key, c.subclasses(base)
    c.patch_methods(session, _cache_classes, ("fit",), FIT)


def stop(session: Session) -> None:
    c.save_pending(session)


def _after_fit(
    session: Session,
    model: Any,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    results: Any,
    state: Any,
) -> None:
    if not hasattr(results, "summary"):
        return
    label, prefix = c.prefix_of(session, model)  # named after the model: ``ols``, ``logit``
    params: dict[str, Any] = {"model": type(model).__name__, **kwargs}
    formula = getattr(model, "formula", None)
    if formula:
        params["formula"] = formula
    c.log_params(session, params, prefix)
    for stat in STATS:
        try:
            value = getattr(results, stat)
        except Exception:  # noqa: BLE001, S112 - some statistics do not apply to every model
            continue
        c.log_metric(session, f"{prefix}{stat}", value)
    coefs: Any = getattr(results, "params", None)
    if coefs is not None and hasattr(coefs, "items"):
        for name, value in list(coefs.items())[:MAX_COEFS]:
            c.log_metric(session, f"{prefix}coef.{name}", value)
    _summary_after_output(session, results, prefix)
    data = getattr(model, "data", None)
    exog = getattr(data, "orig_exog", None)
    endog = getattr(data, "orig_endog", None)
    c.save_later(session, label, results, infer_signature(exog))
    session.log_data("training", exog, "exog")
    session.log_data("training", endog, "endog")


def _summary_after_output(session: Session, results: Any, prefix: str) -> None:
    run = session.run

    def job(counted: bool) -> None:
        session.guard("the summary", _summary, run, results, prefix, counted)

    if not after_cell.put_off(run, lambda: job(True)):
        job(False)
        return
    # The receipt is shown before the job runs: count what it will log.
    run.captured.artifacts += 1
    own = type(getattr(results, "_results", results))
    for stat in LATER:
        if hasattr(own, stat):
            run._expect_metric(f"{prefix}{stat}")


def _summary(run: Run, results: Any, prefix: str, counted: bool) -> None:
    # The results object stays as the fit left it: statsmodels results are not refitted
    # in place, and what is computed here is cached on them as the user would compute it.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        text = str(results.summary()).encode()
        for stat in LATER:
            try:
                value = getattr(results, stat)
            except Exception:  # noqa: BLE001, S112 - some statistics do not apply to every model
                continue
            c.log_metric_to(run, f"{prefix}{stat}", value)
    run.log_artifact(text, f"{prefix}summary.txt", kind="artifact")
    if counted:
        run.captured.artifacts -= 1


FIT = c.Capture("statsmodels", _after_fit)
