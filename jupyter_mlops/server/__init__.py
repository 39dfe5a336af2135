"""The Jupyter server extension: a JSON API under ``/mlops/api/v1/`` over the project's store.

Enabled by ``pip install`` (``etc/jupyter/jupyter_server_config.d/jupyter_mlops.json``);
nothing is imported from jupyter_server until the server loads the extension.
"""

from __future__ import annotations

from typing import Any


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    # start-up: jupyter_server loads only when the server loads the extension, not on discovery.
    from jupyter_mlops.server.extension import MlopsExtension

    return [{"module": "jupyter_mlops.server", "app": MlopsExtension}]
