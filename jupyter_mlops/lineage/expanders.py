"""Every way a lineage graph grows: the table of expanders, by node kind and direction.

An expander takes the store's :class:`~jupyter_mlops.store.lineage.LineageReader` and a node
and yields ``(edge, neighbour)`` pairs, edges oriented the way data flows. To follow a new
kind of link, write its expander in the module of its kind and add it to :data:`EXPANDERS`:
the table is the whole list, nothing registers itself at import.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import TypeAlias

from jupyter_mlops.lineage.datasets import data_downstream, dataset_downstream, dataset_upstream
from jupyter_mlops.lineage.graph import Direction, Edge, Node, NodeKind
from jupyter_mlops.lineage.models import model_downstream, model_upstream
from jupyter_mlops.lineage.monitors import triggered_downstream, triggered_upstream
from jupyter_mlops.lineage.reproductions import reproduced_downstream, reproduced_upstream
from jupyter_mlops.lineage.runs import run_downstream, run_upstream
from jupyter_mlops.store.lineage import LineageReader

Expander: TypeAlias = Callable[[LineageReader, Node], Iterable[tuple[Edge, Node]]]
ExpanderTable: TypeAlias = Mapping[tuple[NodeKind, Direction], Sequence[Expander]]

#: The expanders of each (node kind, direction), applied in this order. Kinds and directions
#: not listed have no neighbours: a promotion is an end, ``data`` (a file or frame outside
#: the dataset registry) has no recorded producer, a pipeline run leads nowhere lineage follows.
EXPANDERS: ExpanderTable = MappingProxyType(
    {
        ("dataset_version", "upstream"): (dataset_upstream,),
        ("dataset_version", "downstream"): (dataset_downstream,),
        ("data", "downstream"): (data_downstream,),
        ("run", "upstream"): (run_upstream, reproduced_upstream),
        ("run", "downstream"): (run_downstream, triggered_downstream, reproduced_downstream),
        ("model_version", "upstream"): (model_upstream,),
        ("model_version", "downstream"): (model_downstream,),
        ("pipeline_run", "upstream"): (triggered_upstream,),
    }
)
