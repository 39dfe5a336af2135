"""Lineage: where a dataset version, run or model version came from, and what it led to.

``mlops.lineage(x)`` returns a :class:`Lineage` graph around ``x``: its ancestors (upstream)
and descendants (downstream), edges pointing the way data flows (see
:mod:`~jupyter_mlops.lineage.graph`). The graph grows by the expanders listed in
:data:`~jupyter_mlops.lineage.expanders.EXPANDERS`, one module per kind of thing
(:mod:`.datasets`, :mod:`.runs`, :mod:`.models`, :mod:`.monitors`); the store answers their
reads (:mod:`jupyter_mlops.store.lineage`).

``jupyter_mlops.lineage`` the attribute is the function (``jupyter_mlops/__init__.py`` binds
it after loading this package), so import names from here: ``from jupyter_mlops.lineage
import Node``.
"""

from jupyter_mlops.lineage.expanders import EXPANDERS, Expander, ExpanderTable
from jupyter_mlops.lineage.graph import DIRECTIONS, MAX_NODES, Direction, Edge, Node, NodeKind
from jupyter_mlops.lineage.result import Lineage
from jupyter_mlops.lineage.trace import lineage, walk

__all__ = [
    "DIRECTIONS",
    "EXPANDERS",
    "MAX_NODES",
    "Direction",
    "Edge",
    "Expander",
    "ExpanderTable",
    "Lineage",
    "Node",
    "NodeKind",
    "lineage",
    "walk",
]
