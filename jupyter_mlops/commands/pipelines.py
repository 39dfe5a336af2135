"""``run``, ``status``, ``accept`` and ``cancel`` (``%mlops pipeline run|status|accept|cancel``):
run a pipeline or a notebook, say what a run would do, take a step's outputs as up to date,
cancel a running pipeline run."""

from __future__ import annotations

from jupyter_mlops.commands.grammar import CLI, Opt, Verb, text_or_json
from jupyter_mlops.services.schema import (
    PipelineAcceptRequest,
    PipelineRunDetail,
    PipelineRunRequest,
    PipelineStatusQuery,
)

_SPEC = Opt("spec", metavar="PIPELINE", help="the pipeline .yaml")
_ENV = Opt("env", ("--env",), metavar="ENV")
_PARAMS = Opt("params", ("-p", "--param"), metavar="STEP.KEY=VALUE")

RUN = Verb(
    "run",
    "Run a notebook or a pipeline, headless, as tracked runs.",
    example="%mlops pipeline run pipeline.yaml --env dev -p train.C=0.5 --jobs 2",
    request=PipelineRunRequest,
    opts=(
        Opt("spec", metavar="NOTEBOOK|PIPELINE", help="a .ipynb or a pipeline .yaml"),
        Opt(
            "params",
            ("-p", "--param"),
            metavar="KEY=VALUE",
            help="a parameter (STEP.KEY=VALUE for a pipeline), typed by the default in the "
            "notebook's parameters cell",
        ),
        _ENV,
        Opt("jobs", ("-j", "--jobs"), metavar="N"),
        Opt(
            "executor",
            ("--executor",),
            metavar="SPEC",
            default="local",
            help="local (default) or dask://HOST:PORT",
        ),
        Opt("junit", ("--junit",), metavar="FILE", faces=CLI, help="write a JUnit XML report here"),
        Opt("force", ("--force",)),
        Opt("only", ("--only",), metavar="STEP"),
        Opt("from_step", ("--from",), metavar="STEP"),
        Opt("resume", ("--resume",)),
        Opt(
            "output",
            ("--output",),
            metavar="FILE",
            faces=CLI,
            help="copy the executed notebook here (a notebook run)",
        ),
        text_or_json("PipelineRunDetail"),
    ),
    description="""\
A NOTEBOOK.ipynb runs as a one-step pipeline (always run, never cached): -p KEY=VALUE sets
its parameters, --output keeps a copy of the executed notebook. A pipeline.yaml runs its
steps in order, in parallel up to --jobs, skipping steps whose key (code, params, kernel,
upstream, inputs) matches an earlier successful run whose outputs are unchanged; a cached
step's gate is checked again on the result it reuses. -p STEP.KEY=VALUE sets a step's
parameter (typed by the notebook's default); the step's run records it as params.KEY.
--force with --only or --from forces only those steps.
The last line says what ran and what was reused ("4 steps cached, 0 ran").
Exits 1 when a step or a gate fails (the failing cell and the saved notebook are named),
2 on bad usage (bad spec, unknown parameter).

examples:
  jupyter-mlops run train.ipynb -p C=0.5 --output out/train.ipynb
  jupyter-mlops run pipeline.yaml --env dev --jobs 4 --junit reports/pipeline.xml
  jupyter-mlops run pipeline.yaml --env staging --resume
  jupyter-mlops run pipeline.yaml --executor dask://scheduler:8786 --only train -p train.C=2
""",
)

STATUS = Verb(
    "status",
    "Say what a run of a pipeline would do with each step, and why; nothing runs.",
    example="%mlops pipeline status pipeline.yaml --env dev",
    request=PipelineStatusQuery,
    opts=(
        _SPEC,
        _ENV,
        _PARAMS,
        Opt("force", ("--force",)),
        Opt("only", ("--only",), metavar="STEP"),
        Opt("from_step", ("--from",), metavar="STEP"),
        text_or_json("PipelineStatus"),
    ),
    description="""\
A step runs when its code, params, kernel, upstream steps or declared inputs changed, when a
declared output is missing or changed, or when it never ran; otherwise it is cached.

examples:
  jupyter-mlops status pipeline.yaml --env dev
  jupyter-mlops status pipeline.yaml -p train.C=0.5 --format json
""",
)

ACCEPT = Verb(
    "accept",
    "Take a pipeline step's current outputs as up to date, so the next run caches it.",
    example="%mlops pipeline accept pipeline.yaml prepare --env dev",
    request=PipelineAcceptRequest,
    opts=(
        _SPEC,
        Opt("step", metavar="STEP", help="the step whose outputs to accept"),
        _ENV,
        _PARAMS,
        text_or_json("PipelineRunDetail"),
    ),
    description="""\
Records a successful run of STEP with its current key and the digests of its declared
outputs (which must exist), without running it: for outputs made by hand or elsewhere.

example:
  jupyter-mlops accept pipeline.yaml prepare --env dev
""",
)

CANCEL = Verb(
    "cancel",
    "Cancel a running pipeline run: its kernels are killed, its unfinished steps end cancelled.",
    example="%mlops pipeline cancel 3f9c2a7e",
    opts=(
        Opt(
            "run_id",
            metavar="PIPELINE_RUN",
            help="the pipeline run's id or a prefix of 4+ characters (`run` prints 8)",
        ),
        text_or_json("PipelineRunDetail"),
    ),
    description="""\
The run, its running step and the steps still to come end `cancelled`; a run in another
process (a shell, the lab, a schedule) sees it within half a second, kills its kernels and
exits 1. Steps on a Dask cluster finish, and nothing runs after them.
Exits 1 when the run has ended already, 2 when no pipeline run has that id.

examples:
  jupyter-mlops cancel 3f9c2a7e
  jupyter-mlops cancel 3f9c2a7e --format json | jq -r .run.status
""",
)


def cancelled_text(detail: PipelineRunDetail) -> str:
    """What ``cancel`` did: the run, and the steps it cancelled."""
    run = detail.run
    steps = [s.step for s in detail.step_runs if s.status == "cancelled"]
    which = f": {', '.join(steps)} cancelled" if steps else ""
    return f"cancelled pipeline run {run.id[:8]} of {run.name}{which}."


PIPELINE = Verb(
    "pipeline",
    "Run a pipeline.yaml with live step progress, say what a run would do, accept outputs, "
    "cancel a run.",
    example="%mlops pipeline run pipeline.yaml --env dev -p train.C=0.5",
    actions=(RUN, STATUS, ACCEPT, CANCEL),
    description="""\
The actions are the command line's `jupyter-mlops run`, `status`, `accept` and `cancel`.

examples:
  %mlops pipeline run pipeline.yaml --env dev -p train.C=0.5 --jobs 2
  %mlops pipeline status pipeline.yaml --env dev
  %mlops pipeline accept pipeline.yaml prepare
  %mlops pipeline cancel 3f9c2a7e
""",
)
