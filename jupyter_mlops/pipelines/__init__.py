"""Notebook pipelines: ``pipeline.yaml`` steps run as tracked, cached, gated notebooks.

``load(path)`` validates a spec; ``run_pipeline`` (or ``Pipeline.run``) runs it; ``status``
says what a run would do and why; ``accept`` takes current outputs as up to date;
``promote_pipeline`` promotes a version between environments; ``upstream(step)`` reads what
an earlier step published, from inside a step.
"""

from __future__ import annotations

from jupyter_mlops.pipelines.keys import StepPlan, accept, plan, status
from jupyter_mlops.pipelines.promotion import PipelineRefused, PromotionResult, promote_pipeline
from jupyter_mlops.pipelines.runner import PipelineResult, StepOutcome, run_pipeline
from jupyter_mlops.pipelines.spec import Pipeline, Step, load
from jupyter_mlops.pipelines.upstream import Upstream, upstream

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
    "load",
    "plan",
    "promote_pipeline",
    "run_pipeline",
    "status",
    "upstream",
]
