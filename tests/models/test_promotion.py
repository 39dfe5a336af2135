import json
from pathlib import Path

import pytest

from jupyter_mlops import models
from jupyter_mlops.errors import (
    ConflictError,
    FilterSyntaxError,
    GateRefused,
    MlopsUsageError,
    NotFoundError,
)


@pytest.fixture
def churn(store, make_run):
    """Model churn with v1 (roc_auc 0.90), v2 (0.95) and v3 (0.70)."""
    for auc in (0.90, 0.95, 0.70):
        models.register(make_run(metrics={"roc_auc": auc}), "churn", store=store)
    return store


def holder(store, stage="production"):
    return next(
        (v for v in [models.get("churn", n, store=store) for n in (1, 2, 3)] if stage in v.stages),
        None,
    )


def test_first_promotion_with_checks(churn):
    event = models.promote(
        "churn",
        1,
        to="production",
        checks=["metrics.roc_auc >= 0.85", "params.C = 1.0"],
        reason="baseline",
        user="ana",
        store=churn,
    )
    assert (event.outcome, event.action, event.stage) == ("promoted", "promote", "production")
    assert (event.from_version, event.to_version) == (None, 1)
    assert (event.user, event.reason) == ("ana", "baseline")
    assert [c.passed for c in event.checks] == [True, True]
    assert event.checks[0].values == {"metrics.roc_auc": 0.9}
    assert holder(churn).version == 1
    assert models.get("models:/churn@production", store=churn).version == 1


def test_compare_with_the_stage_holder(churn):
    models.promote("churn", 1, to="production", store=churn, checks=["version >= 1"])
    check = "metrics.roc_auc >= production.metrics.roc_auc - 0.01"
    event = models.promote("churn", 2, to="production", checks=[check], store=churn)
    assert event.from_version == 1
    assert event.checks[0].values == {
        "metrics.roc_auc": 0.95,
        "production.metrics.roc_auc": 0.9,
        "production.metrics.roc_auc - 0.01": pytest.approx(0.89),
    }
    with pytest.raises(GateRefused) as info:
        models.promote("churn", 3, to="production", checks=[check], store=churn)
    err = info.value
    assert str(err).startswith("Promotion of churn v3 to production refused: ")
    assert "metrics.roc_auc = 0.7" in str(err)
    assert "production.metrics.roc_auc = 0.95" in str(err)
    assert err.failed[0]["expression"] == check
    assert (err.model, err.version, err.stage) == ("churn", 3, "production")
    assert holder(churn).version == 2  # unchanged
    last = models.events("churn", store=churn)[-1]
    assert (last.id, last.outcome, last.from_version, last.to_version) == (
        err.event_id,
        "refused",
        2,
        3,
    )
    assert last.checks[0].status == "failed"


@pytest.mark.parametrize(
    ("check", "reason"),
    [
        ("metrics.auc >= 0.8", "unknown metric 'auc' in 'metrics.auc' (known: roc_auc)"),
        ("tags.reviewed = 'yes'", "unknown tag 'reviewed' in 'tags.reviewed' (no tags recorded)"),
        (
            "metrics.roc_auc >= production.metrics.roc_auc",
            "no version of 'churn' holds stage 'production' yet",
        ),
        ("metrics.roc_auc >= staging.metrics.roc_auc", "holds stage 'staging' yet"),
        ("prod.metrics.roc_auc > 0", "unknown reference 'prod.metrics.roc_auc': no 'prod'"),
        ("validation.metrics.roc_auc > 0", "no validation notebook ran"),
    ],
)
def test_bad_checks_are_refused_never_passed(churn, check, reason):
    with pytest.raises(GateRefused) as info:
        models.promote("churn", 1, to="production", checks=[check], store=churn)
    assert reason in str(info.value)
    assert holder(churn) is None
    (event,) = models.events("churn", store=churn)
    assert event.outcome == "refused"
    assert event.checks[0].status == "error"
    assert reason in event.checks[0].error


@pytest.mark.parametrize("action", ["promote", "rollback"])
def test_a_check_that_does_not_parse_is_bad_usage_and_writes_nothing(churn, action):
    models.promote("churn", 1, to="production", store=churn, checks=["version >= 1"])
    before = models.events("churn", store=churn)
    checks = ["metrics.roc_auc >= 0.5", "metrics.roc_auc >="]
    with pytest.raises(FilterSyntaxError) as info:
        if action == "rollback":
            models.rollback("churn", stage="production", version=2, checks=checks, store=churn)
        else:
            models.promote("churn", 2, to="production", checks=checks, store=churn)
    assert str(info.value).startswith("Invalid gate at position 18: expected a number")
    assert isinstance(info.value, MlopsUsageError)
    assert models.events("churn", store=churn) == before
    assert holder(churn).version == 1
    # A dry run writes nothing anyway: it reports the check as an error beside the others.
    plan = models.check_promotion("churn", 2, to="production", checks=checks, store=churn)
    assert [c.status for c in plan.checks] == ["passed", "error"]
    assert plan.checks[1].error.startswith("Invalid gate at position 18: expected a number")


def test_tags_gate(churn):
    with pytest.raises(GateRefused):
        models.promote("churn", 1, checks="tags.reviewed = 'yes'", store=churn)
    models.set_tag("churn", 1, "reviewed", "yes", store=churn)
    assert models.promote("churn", 1, checks="tags.reviewed = 'yes'", store=churn).outcome == (
        "promoted"
    )


def test_stages_are_independent_and_configurable(churn):
    models.promote("churn", 1, to="staging", store=churn)
    models.promote("churn", 2, to="production", store=churn, checks=["version >= 1"])
    models.promote("churn", 3, to="canary", stages=["canary", "production"], store=churn)
    assert models.get("churn", 1, store=churn).stages == ["staging"]
    assert models.get("churn", 3, store=churn).stages == ["canary"]
    event = models.promote(
        "churn",
        3,
        to="staging",
        checks=["canary.metrics.roc_auc = metrics.roc_auc", "current.version = 1"],
        store=churn,
    )
    assert event.outcome == "promoted"


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"to": "prod"},
            MlopsUsageError,
            "Unknown stage 'prod'; the stages are staging, production",
        ),
        ({"to": "metrics", "stages": ["metrics"]}, MlopsUsageError, "'metrics' cannot be a stage"),
        ({"to": "pro-d"}, MlopsUsageError, "Invalid stage 'pro-d'"),
        ({"version": 9}, NotFoundError, "Model 'churn' has no version 9 (versions are 1 to 3)."),
        ({"version": 0}, MlopsUsageError, "positive integer"),
        ({"name": "nope"}, NotFoundError, "No registered model 'nope'. Registered models: churn."),
        ({"validate": "missing.ipynb"}, MlopsUsageError, "No validation notebook 'missing.ipynb'"),
        ({"checks": [1]}, MlopsUsageError, "checks must be gate expressions"),
    ],
)
def test_bad_promotion_arguments(churn, kwargs, error, message):
    args = {"name": "churn", "version": 1, "to": "production", **kwargs}
    with pytest.raises(error) as info:
        models.promote(args.pop("name"), args.pop("version"), args.pop("to"), store=churn, **args)
    assert message in str(info.value)
    assert models.events("churn", store=churn) == []


def test_promoting_the_holder_again_is_a_usage_error(churn):
    models.promote("churn", 1, store=churn, checks=["version >= 1"])
    with pytest.raises(MlopsUsageError, match="Version 1 of 'churn' already holds stage"):
        models.promote("churn", 1, store=churn, checks=["version >= 1"])


def test_rollback_is_a_promotion_of_an_earlier_version(churn):
    models.promote("churn", 1, store=churn, checks=["version >= 1"])
    models.promote("churn", 2, store=churn, checks=["version >= 1"])
    event = models.rollback("churn", reason="v2 misbehaves", user="ops", store=churn)
    assert (event.action, event.outcome, event.from_version, event.to_version) == (
        "rollback",
        "promoted",
        2,
        1,
    )
    assert holder(churn).version == 1
    assert models.rollback("churn", version=3, store=churn).to_version == 3
    with pytest.raises(MlopsUsageError, match="nothing to roll back"):
        models.rollback("churn", stage="staging", store=churn)

    frame = models.history("churn", store=churn)
    assert list(frame["action"]) == ["promote", "promote", "rollback", "rollback"]
    assert list(frame["to_version"]) == [1, 2, 1, 3]
    assert list(frame["from_version"].astype(object)) == [pd_na(), 1, 2, 1]
    assert frame.loc[2, "reason"] == "v2 misbehaves"
    assert frame.loc[2, "user"] == "ops"
    assert str(frame["created_at"].dt.tz) == "UTC"


def pd_na():
    import pandas as pd

    return pd.NA


def test_history_records_every_attempt_with_checks(churn):
    models.promote("churn", 1, checks=["metrics.roc_auc > 0.5"], store=churn)
    with pytest.raises(GateRefused):
        models.promote("churn", 3, checks=["metrics.roc_auc > 0.8"], reason="try", store=churn)
    frame = models.history("churn", stage="production", store=churn)
    assert list(frame["outcome"]) == ["promoted", "refused"]
    assert frame.loc[1, "checks"] == ("failed: metrics.roc_auc > 0.8 (metrics.roc_auc = 0.7)")
    assert frame.loc[1, "results"][0]["values"] == {"metrics.roc_auc": 0.7}
    assert frame.loc[1, "reason"] == "try"
    assert models.history("churn", stage="staging", store=churn).empty
    # The stored JSON is self-describing for other readers.
    with churn.read() as conn:
        raw = conn.exec_driver_sql("SELECT checks FROM promotion_events ORDER BY id").all()
    stored = json.loads(raw[1][0])
    assert stored["action"] == "promote"
    assert stored["checks"][0]["passed"] is False


def test_lost_race_is_a_conflict_with_its_own_event(churn, tmp_path, write_notebook):
    """A validation notebook promotes another version meanwhile: the first promotion loses."""
    nb = write_notebook(
        tmp_path / "racer.ipynb",
        [
            "from jupyter_mlops import models",
            "models.promote('churn', 2, to='production', checks='version >= 1', reason='racer')",
        ],
    )
    models.promote("churn", 1, store=churn, checks=["version >= 1"])
    with pytest.raises(ConflictError) as info:
        models.promote("churn", 3, validate=nb, store=churn)
    assert str(info.value) == (
        "Promotion of churn v3 to production lost a race: stage production moved from v1 to v2 "
        "while this promotion was being checked; nothing changed. "
        "Run it again to check against the new holder."
    )
    assert holder(churn).version == 2
    outcomes = [
        (e.outcome, e.from_version, e.to_version) for e in models.events("churn", store=churn)
    ]
    assert outcomes == [("promoted", None, 1), ("promoted", 1, 2), ("conflict", 1, 3)]
    assert models.events("churn", store=churn)[-1].id == info.value.event_id


def test_stages_come_from_config(monkeypatch: pytest.MonkeyPatch) -> None:
    from jupyter_mlops.models.promotion import check_stages

    monkeypatch.setenv("MLOPS_STAGES", "qa, canary ,production")
    assert check_stages(None) == ("qa", "canary", "production")
    monkeypatch.setenv("MLOPS_STAGES", " , ")
    with pytest.raises(MlopsUsageError, match="stages must name at least one"):
        check_stages(None)


# -- the gate rule: a gated stage (default: production) is never reached through no check ----

NO_CHECK = (
    "Promotion to production needs at least one check (e.g. --check 'metrics.roc_auc >= 0.8') "
    "or a default policy (stage_checks in [tool.jupyter-mlops]); gated stages: production."
)


def test_production_without_a_check_is_refused_and_nothing_is_recorded(churn):
    with pytest.raises(MlopsUsageError) as info:
        models.promote("churn", 1, to="production", store=churn)
    assert str(info.value) == NO_CHECK
    assert models.events("churn", store=churn) == []
    assert holder(churn) is None
    plan = models.check_promotion("churn", 1, to="production", store=churn)
    assert not plan.passed
    assert [(c.status, c.error) for c in plan.checks] == [("error", NO_CHECK)]


def test_staging_is_not_gated_by_default_and_rollback_never_is(churn):
    models.promote("churn", 1, to="staging", store=churn)
    models.promote("churn", 1, to="production", checks="version >= 1", store=churn)
    models.promote("churn", 2, to="production", checks="version >= 1", store=churn)
    event = models.rollback("churn", stage="production", store=churn)
    assert (event.action, event.to_version, event.checks) == ("rollback", 1, [])


def test_the_configured_policy_always_applies_and_is_audited(churn, monkeypatch):
    monkeypatch.setenv("MLOPS_STAGE_CHECKS", '{"production": ["metrics.roc_auc >= 0.8"]}')
    event = models.promote("churn", 1, to="production", store=churn)
    assert [c.expression for c in event.checks] == ["metrics.roc_auc >= 0.8"]
    # an explicit, weaker check adds to the policy; it does not replace it
    with pytest.raises(GateRefused) as info:
        models.promote("churn", 3, to="production", checks=["version >= 1"], store=churn)
    assert [c["expression"] for c in info.value.checks] == [
        "metrics.roc_auc >= 0.8",
        "version >= 1",
    ]
    refused = models.events("churn", store=churn)[-1]
    assert refused.outcome == "refused"
    assert [(c.expression, c.passed) for c in refused.checks] == [
        ("metrics.roc_auc >= 0.8", False),
        ("version >= 1", True),
    ]
    assert holder(churn).version == 1


def test_the_policy_from_pyproject_and_gated_stages(churn, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    Path("pyproject.toml").write_text(
        "[tool.jupyter-mlops]\n"
        'gated_stages = ["staging", "production"]\n'
        "[tool.jupyter-mlops.stage_checks]\n"
        'staging = ["metrics.roc_auc >= 0.85"]\n'
    )
    plan = models.check_promotion("churn", 3, to="staging", store=churn)
    assert [(c.expression, c.passed) for c in plan.checks] == [("metrics.roc_auc >= 0.85", False)]
    with pytest.raises(MlopsUsageError, match="gated stages: staging, production"):
        models.promote("churn", 1, to="production", store=churn)
    monkeypatch.setenv("MLOPS_GATED_STAGES", "")  # "" switches the rule off
    assert models.promote("churn", 1, to="production", store=churn).checks == []


@pytest.mark.parametrize(
    ("env", "value", "message"),
    [
        ("MLOPS_STAGE_CHECKS", "production = x", "stage_checks must be JSON like"),
        ("MLOPS_STAGE_CHECKS", '["x"]', "stage_checks must be a table of stage"),
        ("MLOPS_STAGE_CHECKS", '{"production": [1]}', "stage_checks.production must be a list"),
        (
            "MLOPS_STAGE_CHECKS",
            '{"production": ["metrics.roc_auc >="]}',
            "stage_checks.production in the configuration: Invalid gate at position",
        ),
    ],
)
def test_bad_gate_settings_are_one_line_errors(churn, monkeypatch, env, value, message):
    monkeypatch.setenv(env, value)
    with pytest.raises(MlopsUsageError) as info:
        models.promote("churn", 1, to="production", checks="version >= 1", store=churn)
    assert str(info.value).startswith(message) and "\n" not in str(info.value)
    assert models.events("churn", store=churn) == []


def test_bad_gated_stages_in_pyproject_is_a_one_line_error(churn, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    Path("pyproject.toml").write_text("[tool.jupyter-mlops]\ngated_stages = 3\n")
    with pytest.raises(MlopsUsageError) as info:
        models.promote("churn", 1, to="staging", store=churn)
    assert str(info.value) == 'gated_stages must be a list of stage names (or "" for none), not 3.'
