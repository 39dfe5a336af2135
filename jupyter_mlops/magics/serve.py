"""``%mlops serve``: serve a registered model from this kernel; list or stop those servers.

%mlops serve start models:/churn@production [--port 5000] [--log-sample 0.1]
%mlops serve list
%mlops serve stop [URL]
"""

from __future__ import annotations

import argparse

from jupyter_mlops.commands import grammar
from jupyter_mlops.commands.serve import SERVE_MAGIC
from jupyter_mlops.magics._args import parser_for
from jupyter_mlops.tracking.notebook import NotebookSession

CELL = False

parser = parser_for(SERVE_MAGIC)


def main(session: NotebookSession, args: argparse.Namespace, cell: str | None) -> object:
    """Start, list or stop this kernel's model servers."""
    # Imported here: the server, pandas and the store load on first use, not for --help.
    from jupyter_mlops.services import project, serving

    action = grammar.selected(SERVE_MAGIC, args).name
    if action == "start":
        info = serving.start(project.store(), grammar.request(SERVE_MAGIC, args))
        follows = f", following {info.uri}" if info.stage else ""
        print(
            f"mlops: serving models:/{info.model_name}/{info.version}{follows} at {info.url} "
            f"(POST {info.url}/invocations; %mlops serve stop {info.url} stops it)"
        )
        return None
    if action == "stop":
        stopped = serving.stop(getattr(args, "url", None))
        print(f"mlops: stopped {', '.join(stopped)}" if stopped else "mlops: no server runs.")
        return None
    servers = serving.running()
    if not servers:
        print("mlops: no server runs in this kernel; start one with %mlops serve start URI.")
    for info in servers:
        print(f"mlops: {info.url} serves models:/{info.model_name}/{info.version} ({info.uri})")
    return None
