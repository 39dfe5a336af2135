"""The registry panels: versions with stage badges, card, history, two-step promote."""

from __future__ import annotations

import pytest
from sklearn.linear_model import LogisticRegression

import jupyter_mlops as mlops
from jupyter_mlops.errors import NotFoundError
from jupyter_mlops.store import Store
from jupyter_mlops.widgets.models import preview_checks


@pytest.fixture
def churn(project: Store) -> Store:
    """Model ``churn`` v1 (auc 0.9, in production) and v2 (auc 0.8)."""
    for auc in (0.9, 0.8):
        with mlops.start_run(experiment="churn", store=project) as run:
            run.log_model(LogisticRegression().fit([[0], [1]], [0, 1]), "model")
            run.log_metric("auc", auc)
        mlops.models.register(run.id, "churn", store=project)
    mlops.models.promote("churn", 1, to="production", store=project, checks=["version >= 1"])
    return project


def test_registry_lists_models_and_opens_one(churn: Store) -> None:
    panel = mlops.widgets.models()
    assert "<td>churn</td>" in panel.table.value and "mlops-production" in panel.table.value
    panel.pick.value = "churn"
    assert "v2" in panel.model.versions.value
    assert "churn" in panel._repr_mimebundle_()["text/plain"]


def test_model_view_versions_card_history(churn: Store) -> None:
    panel = mlops.widgets.model("churn")
    html = panel.to_html()
    assert "mlops-production" in html and "metrics.auc" in html
    assert "models:/churn/2" in html  # the card of the latest version
    assert "mlops-promoted" in html  # history of the first promotion
    panel.version.value = 1
    assert "models:/churn/1" in panel.card.value


def test_promote_shows_checks_before_asks_then_shows_after(churn: Store) -> None:
    panel = mlops.widgets.model("churn")
    panel.version.value = 2
    panel.stage.value = "staging"
    panel.checks.value = "metrics.auc >= 0.5\nmetrics.auc >= production.metrics.auc"
    panel.promote_button.click()
    assert "dry run" in panel.before.value
    assert "mlops-passed" in panel.before.value and "mlops-failed" in panel.before.value
    assert panel.confirm_box.layout.display == "flex"  # nothing happened yet: it asks
    assert mlops.models.get("churn", 2, store=churn).stages == []
    panel.confirm_button.click()
    assert "After: refused" in panel.after.value and "mlops-failed" in panel.after.value
    assert mlops.models.get("churn", 2, store=churn).stages == []

    panel.checks.value = "metrics.auc >= 0.5"
    panel.promote_button.click()
    panel.cancel_button.click()
    assert panel.confirm_box.layout.display == "none"
    panel.promote_button.click()
    panel.confirm_button.click()
    assert "now holds staging" in panel.after.value
    assert mlops.models.get("churn", 2, store=churn).stages == ["staging"]
    assert "mlops-staging" in panel.versions.value  # refreshed after promoting


def test_preview_bad_stage_and_unknown_model(churn: Store) -> None:
    panel = mlops.widgets.model("churn")
    panel.checks.value = "metrics.auc >"
    panel.check_button.click()
    assert "mlops-error" in panel.before.value
    with pytest.raises(NotFoundError, match="No registered model 'nope'"):
        mlops.widgets.model("nope")
    with pytest.raises(mlops.MlopsUsageError, match="Unknown stage 'qa'"):
        preview_checks("churn", 1, "qa", [])


def test_empty_registry(project: Store) -> None:
    assert "No model is registered yet" in mlops.widgets.models().table.value


def test_the_panel_dry_run_is_check_promotion(churn: Store) -> None:
    checks = ["metrics.auc >= production.metrics.auc", "metrics.auc >= 0.5"]
    expected = mlops.models.check_promotion("churn", 2, to="production", checks=checks)
    previewed = preview_checks("churn", 2, "production", checks)
    assert [c.model_dump() for c in previewed] == [c.to_dict() for c in expected.checks]
    panel = mlops.widgets.model("churn")
    panel.version.value = 1
    panel.stage.value = "production"
    panel.check_button.click()  # v1 holds production: promote would refuse to start, so does this
    assert "already holds stage" in panel.before.value and 'class="error"' in panel.before.value
    assert len(mlops.models.events("churn", store=churn)) == 1  # only the fixture's promotion


def test_gate_values_are_rounded_in_the_panel(churn: Store) -> None:
    mlops.models.set_tag("churn", 2, "roc_auc", 0.912345678901234, store=churn)
    panel = mlops.widgets.model("churn")
    panel.version.value = 2
    panel.stage.value = "staging"
    panel.checks.value = "tags.roc_auc >= 0.9"
    panel.promote_button.click()
    assert "tags.roc_auc = 0.912346" in panel.before.value
    assert "0.912345678901234" not in panel.before.value
