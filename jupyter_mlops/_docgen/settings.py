"""The pipeline spec and configuration pages, from the validators' own key tables."""

from __future__ import annotations

import dataclasses
import textwrap
from typing import Any

from jupyter_mlops import config
from jupyter_mlops._docgen._markdown import cell, escape, fence
from jupyter_mlops.pipelines import spec

# What each pipeline.yaml key means; the key lists themselves come from pipelines/spec.py,
# so a key added there shows up here (marked) before anyone writes its description.
SPEC_KEYS: dict[str, str] = {
    "name": "the pipeline's name (letters, digits, `_`, `-`, `.`)",
    "steps": "a mapping of step name to step; at least one",
    "environments": "a mapping of environment name to its overlay (`params`)",
    "promotion": "the order versions are promoted in, e.g. `[dev, staging, production]`; "
    "every environment after the first runs only the version promoted into it",
    "description": "free text shown in listings",
    "notebook": "the step's notebook, a `.ipynb` path inside the pipeline folder",
    "params": "parameters injected into the notebook's `parameters` cell (checked against "
    "it, parsed by the type of its default)",
    "needs": "steps that must succeed first",
    "inputs": "files or folders the step reads; their digests are part of the cache key",
    "outputs": "files or folders the step writes; a cached step is reused only while they "
    "are unchanged",
    "gate": "a check on the step's run, e.g. `metrics.roc_auc >= 0.85`; a failed gate "
    "fails the step",
    "kernel": "the Jupyter kernel name",
    "timeout": "seconds a cell may run before the step fails",
    "retries": "how many times a failed step is rerun",
    "env.params": "`STEP.PARAM: value` pairs that override a step's params in this environment",
}

_UNDESCRIBED = "(not described yet: add it to jupyter_mlops/_docgen/settings.py)"


def _table(keys: tuple[str, ...], types: dict[str, tuple[str, str]], prefix: str = "") -> str:
    rows = ["| key | type | default | meaning |", "|---|---|---|---|"]
    for key in keys:
        kind, default = types.get(key, ("", ""))
        meaning = SPEC_KEYS.get(prefix + key, _UNDESCRIBED)
        rows.append(f"| `{key}` | {cell(kind)} | {cell(default)} | {cell(escape(meaning))} |")
    return "\n".join(rows) + "\n"


def _fields(cls: Any) -> dict[str, tuple[str, str]]:
    found = {}
    for f in dataclasses.fields(cls):
        if f.default is not dataclasses.MISSING:
            default = f"`{f.default!r}`"
        elif f.default_factory is not dataclasses.MISSING:
            default = f"`{f.default_factory()!r}`"
        else:
            default = "required"
        found[f.name] = (f"`{f.type}`", default)
    return found


def pipeline_spec_page() -> str:
    """Markdown for ``pipeline.yaml``: top-level, step and environment keys."""
    top = _fields(spec.Pipeline)
    top["steps"] = ("mapping", "required")
    top["environments"] = ("mapping", "`{}`")
    top["promotion"] = ("list of names", "`[]`")
    step = _fields(spec.Step)
    step["notebook"] = ("path", "required")
    for key in ("needs", "inputs", "outputs"):
        step[key] = ("list of strings", "`[]`")
    step["params"] = ("mapping", "`{}`")
    return "\n".join(
        [
            "# `pipeline.yaml`",
            "",
            "Validated by `jupyter_mlops.pipelines.load` before anything runs: an unknown key,",
            "a wrong type, a `needs` naming no step or a cycle is one error line naming the file,",
            "the step and the key. Paths are relative to the spec's folder.",
            "",
            fence(
                textwrap.dedent((spec.__doc__ or "").split("A spec::", 1)[-1].split("\n\n")[1]),
                "yaml",
            ),
            "## Top-level keys",
            "",
            _table(spec._TOP_KEYS, top),
            "## Step keys (`steps.NAME`)",
            "",
            _table(spec._STEP_KEYS, step),
            "## Environment keys (`environments.NAME`)",
            "",
            _table(spec._ENV_KEYS, {"params": ("mapping `STEP.PARAM: value`", "`{}`")}, "env."),
            _PARAMS_AND_GATES,
        ]
    )


_PARAMS_AND_GATES = """\
## Parameters in a step's run

A step's parameters (`params`, the environment's overlay, `-p STEP.KEY=VALUE`; for
`jupyter-mlops run NB.ipynb`, `-p KEY=VALUE`) are typed by the defaults of the notebook's
`parameters` cell and recorded in the step's run under their own names: `-p train.C=0.5`
is `params.C = 0.5`. Params captured from estimators the notebook fits are prefixed with the
estimator's name (the notebook variable holding it, else its lowercase class name with `_2`,
`_3` on repeats): `model = LogisticRegression(C=C * 10).fit(X, y)` records
`params.model.C = 5.0`, so a gate or a
filter on `params.C` always means the notebook's parameter. (In a cell tracked with
`%mlops track`, which has no notebook parameters, the first model keeps bare names, as
MLflow's autolog does.)

## Cache and gates

A step is cached while its key (code cells, parameters, kernel, upstream keys, declared
inputs) matches an earlier successful run whose declared outputs are unchanged. The `gate`
is not part of the key: changing it does not rerun the step, but a cached step's gate is
checked again on the run it reuses, so a tightened gate fails the step (and skips what
follows it) without running it. `--force` with `--only` or `--from` forces those steps only.
A run ends with what ran and what was reused: `4 steps cached, 0 ran`.
"""


def config_page() -> str:
    """Markdown for the settings: every key, its variable and what it means."""
    rows = ["| key | environment variable | meaning |", "|---|---|---|"]
    for key, meaning in config.CONFIG_KEYS.items():
        rows.append(f"| `{key}` | `MLOPS_{key.upper()}` | {cell(escape(meaning))} |")
    return "\n".join(
        [
            "# Configuration",
            "",
            " ".join((config.__doc__ or "").split("\n\n")[1].split()),
            "",
            "```toml",
            "# pyproject.toml",
            "[tool.jupyter-mlops]",
            'store_uri = "postgresql+psycopg://mlops@db.example/mlops"',
            'artifacts_uri = "s3://ml-team/mlops"',
            "```",
            "",
            "An unknown key in `[tool.jupyter-mlops]` is an error naming the valid keys.",
            "`jupyter-mlops doctor` shows each setting's value and where it came from.",
            "",
            *rows,
        ]
    )
