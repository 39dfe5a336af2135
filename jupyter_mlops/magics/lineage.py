"""``%mlops lineage``: where a dataset version, run or model version came from and led to."""

from __future__ import annotations

import argparse

from jupyter_mlops.lineage.render import edge_frame, tree_html, tree_text
from jupyter_mlops.magics._args import VerbParser
from jupyter_mlops.magics._display import show, show_text
from jupyter_mlops.services.lineage import lineage
from jupyter_mlops.tracking.notebook import NotebookSession

CELL = False

parser = VerbParser("lineage")
parser.add_argument(
    "ref",
    metavar="REF",
    help="dataset:NAME@N, a run id / short id / name, models:/NAME/N or models:/NAME@STAGE",
)
parser.add_argument("--depth", type=int, metavar="N", help="follow at most N hops each way")
parser.add_argument("--edges", action="store_true", help="show the edges as a table")


def main(session: NotebookSession, args: argparse.Namespace, cell: str | None) -> object:
    """Display the lineage of ``REF`` as a tree (or its edges as a table)."""
    graph = lineage(None, args.ref, depth=args.depth)
    if args.edges:
        show(edge_frame(graph.nodes, graph.edges))
    else:
        text = tree_text(graph.root, graph.nodes, graph.edges, truncated=graph.truncated)
        show_text(text, tree_html(graph.root, graph.nodes, graph.edges))
    return None
