"""The ``order_by`` items of a run search: ``metrics.auc desc``, ``start_time``."""

from __future__ import annotations

from dataclasses import dataclass

from jupyter_mlops.expressions.filters import Kind, run_key
from jupyter_mlops.expressions.parser import check_size
from jupyter_mlops.expressions.syntax import Ref
from jupyter_mlops.expressions.tokens import Cursor


@dataclass(frozen=True)
class OrderKey:
    """One ``order_by`` item such as ``metrics.auc desc``."""

    kind: Kind
    key: str
    descending: bool


def parse_order_by(item: str) -> OrderKey:
    """Parse one ``order_by`` item such as ``metrics.auc desc`` or ``start_time``.

    Names are those of a filter (see :mod:`jupyter_mlops.expressions`), then ``ASC``
    (the default) or ``DESC``.

    Raises:
        FilterSyntaxError: for an unknown name or anything after ASC/DESC.
    """
    cur = Cursor(check_size(item, "order_by"), "order_by")
    tok = cur.tok
    if not isinstance(tok.value, tuple):
        raise cur.error("a metric, param, tag or attribute name")
    cur.advance()
    kind, key = run_key(Ref(tok.value, tok.start, tok.end), item, "order_by")
    if kind == "dataset":
        raise cur.fail(tok.start, "runs are not ordered by their datasets (nor in MLflow)")
    descending = False
    if cur.at_keyword("ASC", "DESC"):
        descending = cur.advance().value == "DESC"
    if not cur.at("EOF"):
        raise cur.error("ASC, DESC or the end of the order_by item")
    return OrderKey(kind, key, descending)
