"""What a step's kernel starts with: a neutral environment and the imports of its warm-up.

Shared by the kernel pool (:mod:`~.kernels`) and the fork server (:mod:`~.forkserver`): a
pooled or forked kernel must not inherit the variables of the step that asked for it first.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

#: Variables that differ per step: never inherited by a pooled kernel.
STEP_ENV_KEYS = ("MLOPS_RUN_ID", "MLOPS_PIPELINE_RUN", "MLOPS_STEP", "MLOPS_NOTEBOOK")
#: Run in a pooled kernel once it is up: imports only, so the step's bootstrap is cheap. A
#: string of module names (the step's attach, the %mlops magics it loads, the capture code).
WARMUP = (
    "import jupyter_mlops.pipelines.attach, jupyter_mlops.magics._magics\n"
    "__import__('jupyter_mlops.tracking.capture', fromlist=['_']).names()"
)


def neutral_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a pooled kernel: this process's, without the step variables."""
    env = dict(os.environ if environ is None else environ)
    for key in STEP_ENV_KEYS:
        env.pop(key, None)
    return env
