"""The dataset panels: list, versions, per-column profile, diff."""

from __future__ import annotations

import pandas as pd
import pytest

import jupyter_mlops as mlops
from jupyter_mlops.errors import NotFoundError
from jupyter_mlops.store import Store


@pytest.fixture
def churn(project: Store) -> Store:
    mlops.data.add(pd.DataFrame({"age": [30, 40], "plan": ["a", "b"]}), "churn", store=project)
    mlops.data.add(
        pd.DataFrame({"age": [30, 40, 50], "plan": ["a", "b", None], "tenure": [1, 2, 3]}),
        "churn",
        store=project,
    )
    return project


def test_list_then_open_a_dataset(churn: Store) -> None:
    panel = mlops.widgets.datasets()
    assert "<td>churn</td>" in panel.table.value and "<td>@2</td>" in panel.table.value
    panel.pick.value = "churn"
    assert panel.dataset is not None and "churn@1" in panel.dataset.table.value


def test_version_profile_and_diff(churn: Store) -> None:
    panel = mlops.widgets.dataset("churn")
    assert panel.version.value == 2
    assert "<td>tenure</td>" in panel.card.value  # the per-column profile
    panel.version.value = 1
    assert "tenure" not in panel.card.value
    panel.diff_button.click()
    assert "tenure" in panel.diff_view.value  # the added column
    panel.new.value = 1
    panel.diff_button.click()
    assert "two different versions" in panel.diff_view.value
    assert "churn@1" in panel.to_html() and panel.to_text().startswith("churn@1")


def test_empty_and_unknown(project: Store) -> None:
    assert "No datasets yet" in mlops.widgets.datasets().table.value
    with pytest.raises(NotFoundError, match="No dataset 'nope'"):
        mlops.widgets.dataset("nope")
