"""Notebook pipelines: ``pipeline.yaml`` steps run as tracked, cached, gated notebooks.

``load(path)`` validates a spec; ``run_pipeline`` (or ``Pipeline.run``) runs it; ``status``
says what a run would do and why; ``accept`` takes current outputs as up to date;
``cancel_run`` cancels a running pipeline run (from any process);
``promote_pipeline`` promotes a version between environments; ``upstream(step)`` reads what
an earlier step published, from inside a step.
"""

from __future__ import annotations

import importlib as _importlib
import typing as _typing

if _typing.TYPE_CHECKING:
    from jupyter_mlops.pipelines.cancel import cancel_run
    from jupyter_mlops.pipelines.keys import StepPlan, accept, plan, status
    from jupyter_mlops.pipelines.promotion import PromotionResult, promote_pipeline
    from jupyter_mlops.pipelines.runner import PipelineResult, StepOutcome, run_pipeline
    from jupyter_mlops.pipelines.spec import Pipeline, Step, load

from jupyter_mlops.errors import PipelineRefused

# Bound now: importing the submodule later would shadow the function with the module.
from jupyter_mlops.pipelines.upstream import Upstream, upstream

# The other names load their module on first use: a step's kernel imports
# ``pipelines.attach`` and nothing of the runner (a pooled kernel starts faster).
_LAZY = {
    "StepPlan": "keys",
    "accept": "keys",
    "cancel_run": "cancel",
    "plan": "keys",
    "status": "keys",
    "PromotionResult": "promotion",
    "promote_pipeline": "promotion",
    "PipelineResult": "runner",
    "StepOutcome": "runner",
    "run_pipeline": "runner",
    "Pipeline": "spec",
    "Step": "spec",
    "load": "spec",
}

__all__ = [
    "Pipeline",
    "PipelineRefused",
    "PipelineResult",
    "PromotionResult",
    "Step",
    "StepOutcome",
    "StepPlan",
    "Upstream",
    "accept",
    "cancel_run",
    "load",
    "plan",
    "promote_pipeline",
    "run_pipeline",
    "status",
    "upstream",
]


def __getattr__(name: str) -> _typing.Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'jupyter_mlops.pipelines' has no attribute {name!r}")
    value = getattr(_importlib.import_module(f"jupyter_mlops.pipelines.{module}"), name)
    globals()[name] = value
    return value
