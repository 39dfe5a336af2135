"""Optuna: ``study.optimize`` as a parent run with one child run per trial.

The tracked cell's run is the study's (the parent). Each trial gets a child run named
``trial-<number>``, linked to the parent by ``parent_id`` and the tag ``mlops.parent``:

* **child** — the trial's params (``trial.suggest_*``), its objective value as the metric
  ``value`` (``value_0``, ``value_1``… for several objectives), ``duration_s``, and the tags
  ``optuna.trial`` and ``optuna.state`` (``COMPLETE``, ``PRUNED``, ``FAIL``); the run ends
  ``finished``, or ``failed`` when the objective raised (a pruned trial is ``finished``).
  Trial runs are written in batches with the study's run (within about a second, and
  when the cell ends), not one transaction each.
  What the objective fits is captured into the trial's run (an XGBoost fit, its curves and
  model), when the trial runs in the cell's thread (``n_jobs=1``).
* **parent** — ``study_name`` and ``direction`` as params; each trial's value as the metric
  ``trial_value`` with the trial number as the step; the best trial's params as
  ``best.<param>``, its value as ``best_value``, its number as ``best_trial``; the whole
  ``trials_dataframe()`` as the table artifact ``trials.csv``.
"""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Any

from jupyter_mlops.tracking.capture import capturing
from jupyter_mlops.tracking.capture.frameworks import _common as c
from jupyter_mlops.tracking.capture.values import param_text

if TYPE_CHECKING:
    from jupyter_mlops.tracking.capture.session import Session
    from jupyter_mlops.tracking.run import Run

DISTRIBUTIONS = ("optuna",)
#: The tag naming a trial's parent run.
PARENT_TAG = "mlops.parent"


def start(session: Session) -> None:
    module = sys.modules.get("optuna.study.study")
    if module is not None:
        c.patch_methods(session, [module.Study], ("optimize",), OPTIMIZE)


def stop(session: Session) -> None:
    """Nothing to finish: each trial's run ends with its trial."""


def _trial_run(session: Session, parent: Run, objective: Any, trial: Any) -> Any:
    # Written with the study's run's next flush: no commit per trial (Run.start_child).
    run = parent.start_child(
        f"trial-{trial.number}", tags={PARENT_TAG: parent.id, "optuna.trial": trial.number}
    )
    started = time.perf_counter()
    nested = session.thread == c._get_ident()
    status, state, value = "finished", "COMPLETE", None
    try:
        if nested:  # what the objective fits goes into the trial's run
            with capturing(run, user_ns=session.user_ns):
                value = objective(trial)
        else:
            value = objective(trial)
        return value
    except BaseException as exc:
        pruned = type(exc).__name__ == "TrialPruned"
        status, state = ("finished", "PRUNED") if pruned else ("failed", "FAIL")
        raise
    finally:
        try:
            run.log_params({k: param_text(v) for k, v in trial.params.items()})
            if isinstance(value, list | tuple):
                for i, item in enumerate(value):
                    c.log_metric_to(run, f"value_{i}", item)
            elif value is not None:
                c.log_metric_to(run, "value", value)
            c.log_metric_to(run, "duration_s", time.perf_counter() - started)
            run.set_tag("optuna.state", state)
        finally:
            run.end(status)


def _before(
    session: Session, study: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[Any, Any, Any]:
    objective = args[0] if args else kwargs.pop("func")
    parent = session.run

    def tracked(trial: Any) -> Any:
        return _trial_run(session, parent, objective, trial)

    return (tracked, *args[1:]), kwargs, None


def _after(
    session: Session,
    study: Any,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    result: Any,
    state: Any,
) -> None:
    directions = [d.name.lower() for d in study.directions]
    params = {"study_name": study.study_name, "direction": ",".join(directions)}
    c.log_params(session, params)
    trials = study.get_trials(deepcopy=False)
    for trial in trials:
        if trial.value is not None:
            c.log_metric(session, "trial_value", trial.value, trial.number)
    if len(directions) == 1 and any(t.state.name == "COMPLETE" for t in trials):
        best = study.best_trial
        c.log_params(session, best.params, "best.")
        c.log_metric(session, "best_value", best.value)
        c.log_metric(session, "best_trial", best.number)
    table = study.trials_dataframe().to_csv(index=False).encode()
    run = session.run
    # Stored in the background: the write may wait for the flusher writing the trials.
    run.defer(lambda: run.log_artifact(table, "trials.csv", kind="table", media_type="text/csv"))


OPTIMIZE = c.Capture("optuna", _after, _before)
