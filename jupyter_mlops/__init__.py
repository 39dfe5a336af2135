"""jupyter_mlops: experiments, data, models, pipelines and monitoring from notebooks.

Nothing happens at import but definitions: no store is opened, nothing is patched.
"""

import importlib as _importlib
import typing as _typing

from jupyter_mlops._version import __version__
from jupyter_mlops.errors import (
    ArtifactIntegrityError,
    ConflictError,
    FilterSyntaxError,
    GateRefused,
    MlopsError,
    MlopsUsageError,
    MlopsWarning,
    NotFoundError,
    UntrustedArtifactError,
)

# Bound at package import so that ``mlops.lineage`` is the function in every import order.
# Importing a subpackage sets the parent's attribute of that name to the subpackage, but
# only when it is first loaded: that happens here, before this name is bound, and a later
# ``import jupyter_mlops.lineage`` finds it loaded and leaves ``mlops.lineage`` alone.
from jupyter_mlops.lineage import lineage
from jupyter_mlops.tracking.fluent import (
    active_run,
    delete_run,
    end_run,
    get_metric_history,
    get_run,
    log_artifact,
    log_metric,
    log_metrics,
    log_model,
    log_param,
    log_params,
    restore_run,
    search_runs,
    set_tag,
    start_run,
)
from jupyter_mlops.tracking.run import Run

if _typing.TYPE_CHECKING:
    from jupyter_mlops import data, interop, models, monitor, pipelines, scheduler, widgets
    from jupyter_mlops.pipelines.upstream import upstream
    from jupyter_mlops.services.diff import diff_runs as diff
    from jupyter_mlops.services.reproduce import reproduce_target as reproduce
    from jupyter_mlops.services.run_notes import get_run_note, set_run_note

# Namespaces and names that pull in pandas, pyarrow or the registry load on first use,
# so `import jupyter_mlops` stays cheap (a tracked cell pays for what it uses).
_LAZY = {
    "data": ("jupyter_mlops.data", None),
    "diff": ("jupyter_mlops.services.diff", "diff_runs"),
    "interop": ("jupyter_mlops.interop", None),
    "models": ("jupyter_mlops.models", None),
    "monitor": ("jupyter_mlops.monitor", None),
    "pipelines": ("jupyter_mlops.pipelines", None),
    "scheduler": ("jupyter_mlops.scheduler", None),
    "widgets": ("jupyter_mlops.widgets", None),
    "upstream": ("jupyter_mlops.pipelines.upstream", "upstream"),
    "reproduce": ("jupyter_mlops.services.reproduce", "reproduce_target"),
    "get_run_note": ("jupyter_mlops.services.run_notes", "get_run_note"),
    "set_run_note": ("jupyter_mlops.services.run_notes", "set_run_note"),
}


def __getattr__(name: str) -> _typing.Any:
    if name in _LAZY:
        module_name, attr = _LAZY[name]
        module = _importlib.import_module(module_name)
        value = module if attr is None else getattr(module, attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'jupyter_mlops' has no attribute {name!r}")


def load_ipython_extension(ipython: object) -> None:
    """Register the ``%mlops`` magics (``%load_ext jupyter_mlops``)."""
    # start-up: IPython and the verb table load with %load_ext, not with `import jupyter_mlops`.
    from jupyter_mlops.magics import load_ipython_extension as _load

    _load(ipython)


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    # Where the built JupyterLab extension lives, for `jupyter labextension develop`.
    return [{"src": "labextension", "dest": "jupyter-mlops-labextension"}]


def unload_ipython_extension(ipython: object) -> None:
    """Stop tracking and remove the ``%mlops`` hooks."""
    # start-up: as in load_ipython_extension.
    from jupyter_mlops.magics import unload_ipython_extension as _unload

    _unload(ipython)


__all__ = [
    "ArtifactIntegrityError",
    "ConflictError",
    "FilterSyntaxError",
    "GateRefused",
    "MlopsError",
    "MlopsUsageError",
    "MlopsWarning",
    "NotFoundError",
    "Run",
    "UntrustedArtifactError",
    "__version__",
    "active_run",
    "data",
    "delete_run",
    "diff",
    "end_run",
    "get_metric_history",
    "get_run",
    "get_run_note",
    "interop",
    "lineage",
    "load_ipython_extension",
    "log_artifact",
    "log_metric",
    "log_metrics",
    "log_model",
    "log_param",
    "log_params",
    "models",
    "monitor",
    "pipelines",
    "reproduce",
    "restore_run",
    "scheduler",
    "search_runs",
    "set_run_note",
    "set_tag",
    "start_run",
    "unload_ipython_extension",
    "upstream",
    "widgets",
]
