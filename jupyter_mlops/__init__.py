"""jupyter_mlops: experiments, data, models, pipelines and monitoring from notebooks.

Nothing happens at import but definitions: no store is opened, nothing is patched.
"""

from jupyter_mlops._version import __version__
from jupyter_mlops.errors import (
    ArtifactIntegrityError,
    ConflictError,
    FilterSyntaxError,
    MlopsError,
    MlopsUsageError,
    NotFoundError,
    UntrustedArtifactError,
)
from jupyter_mlops.tracking.fluent import (
    active_run,
    end_run,
    get_metric_history,
    get_run,
    log_artifact,
    log_metric,
    log_metrics,
    log_model,
    log_param,
    log_params,
    search_runs,
    set_tag,
    start_run,
)
from jupyter_mlops.tracking.run import MlopsWarning, Run


def load_ipython_extension(ipython: object) -> None:
    """Register the ``%mlops`` magics (``%load_ext jupyter_mlops``)."""
    from jupyter_mlops.magics import load_ipython_extension as _load

    _load(ipython)


def unload_ipython_extension(ipython: object) -> None:
    """Stop tracking and remove the ``%mlops`` hooks."""
    from jupyter_mlops.magics import unload_ipython_extension as _unload

    _unload(ipython)


__all__ = [
    "ArtifactIntegrityError",
    "ConflictError",
    "FilterSyntaxError",
    "MlopsError",
    "MlopsUsageError",
    "MlopsWarning",
    "NotFoundError",
    "Run",
    "UntrustedArtifactError",
    "__version__",
    "active_run",
    "end_run",
    "get_metric_history",
    "get_run",
    "load_ipython_extension",
    "log_artifact",
    "log_metric",
    "log_metrics",
    "log_model",
    "log_param",
    "log_params",
    "search_runs",
    "set_tag",
    "start_run",
    "unload_ipython_extension",
]
