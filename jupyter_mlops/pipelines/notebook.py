"""A notebook run as a pipeline of one step (``jupyter-mlops run NB.ipynb``, a schedule).

The step is named after the notebook, so ``-p KEY=VALUE`` of a notebook is ``-p STEP.KEY=
VALUE`` of its pipeline, and every check of a pipeline (its parameters known and typed by
the ``parameters`` cell, the environment) applies to the notebook as well.
"""

from __future__ import annotations

import re
from pathlib import Path

from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.keyvalue import split
from jupyter_mlops.pipelines.spec import Pipeline, Step


def notebook_pipeline(path: Path) -> Pipeline:
    """The one-step pipeline that runs notebook ``path``.

    Raises:
        MlopsUsageError: there is no notebook at ``path``.
    """
    if not path.is_file():
        raise MlopsUsageError(f"no notebook {str(path)!r}.")
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", path.stem) or "notebook"
    if not re.match(r"^[A-Za-z_]", name):
        name = f"nb_{name}"
    path = path.absolute()
    return Pipeline(name=name, path=path, steps={name: Step(name=name, notebook=path)})


def step_overrides(pipeline: Pipeline, pairs: list[str]) -> list[str]:
    """A notebook's ``KEY=VALUE`` pairs as its one step's ``STEP.KEY=VALUE`` pairs.

    Raises:
        MlopsUsageError: a pair without ``=``.
    """
    (step,) = pipeline.steps
    overrides = []
    for pair in pairs:
        try:
            split(pair)
        except MlopsUsageError:
            raise MlopsUsageError(f"-p {pair!r}: expected KEY=VALUE (e.g. C=0.5).") from None
        overrides.append(f"{step}.{pair}")
    return overrides
