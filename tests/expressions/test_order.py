"""``order_by`` items of a run search."""

from __future__ import annotations

import pytest

from jupyter_mlops.errors import FilterSyntaxError
from jupyter_mlops.expressions import OrderKey, parse_order_by


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ("metrics.roc_auc desc", OrderKey("metric", "roc_auc", True)),
        ("metrics.`val-loss` ASC", OrderKey("metric", "val-loss", False)),
        ("params.C", OrderKey("param", "C", False)),
        ("tags.owner desc", OrderKey("tag", "owner", True)),
        ("start_time asc", OrderKey("attribute", "start_time", False)),
        ("name", OrderKey("attribute", "name", False)),
        ("attributes.duration DESC", OrderKey("attribute", "duration", True)),
    ],
)
def test_parse_order_by(item: str, expected: OrderKey) -> None:
    assert parse_order_by(item) == expected


@pytest.mark.parametrize(
    ("item", "message"),
    [
        (
            "metrics.auc descending",
            "Invalid order_by at position 12: expected ASC, DESC or the end of the order_by "
            "item, found 'descending'",
        ),
        (
            "auc desc",
            "Invalid order_by at position 0: unknown attribute 'auc'; expected one of duration, "
            "end_time, experiment, name, parent_id, run_id, start_time, status, user "
            "or metrics.KEY, params.KEY, tags.KEY",
        ),
        (
            "",
            "Invalid order_by at position 0: expected a metric, param, tag or attribute name, "
            "found the end of the order_by",
        ),
    ],
)
def test_order_by_errors(item: str, message: str) -> None:
    with pytest.raises(FilterSyntaxError) as info:
        parse_order_by(item)
    assert str(info.value) == message
