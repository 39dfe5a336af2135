"""``models.check_promotion``, ``promote --dry-run`` and ``%mlops model promote --dry-run``:
the checks exactly as a promotion evaluates them, with nothing moved and nothing recorded."""

import json

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output
from sklearn.linear_model import LogisticRegression
from traitlets.config import Config

import jupyter_mlops as mlops
from jupyter_mlops import models
from jupyter_mlops.cli import main
from jupyter_mlops.errors import GateRefused, MlopsUsageError, NotFoundError
from jupyter_mlops.store import current_store

E = "jupyter-mlops: error: "
BEAT_HOLDER = "metrics.roc_auc >= production.metrics.roc_auc - 0.01"


@pytest.fixture
def churn(store, make_run):
    """Model churn with v1 (roc_auc 0.90) in production, v2 (0.95) and v3 (0.70)."""
    for auc in (0.90, 0.95, 0.70):
        models.register(make_run(metrics={"roc_auc": auc}), "churn", store=store)
    models.promote("churn", 1, to="production", store=store, checks=["version >= 1"])
    return store


def state(store):
    """What a dry run must leave alone: the audit trail and every stage holder."""
    stages = {n: models.get("churn", n, store=store).stages for n in (1, 2, 3)}
    return [e.id for e in models.events("churn", store=store)], stages


def test_a_passing_dry_run_reports_what_promote_then_does(churn):
    before = state(churn)
    plan = models.check_promotion(
        "churn", 2, to="production", checks=[BEAT_HOLDER, "params.C = 1.0"], store=churn
    )
    assert plan.passed and plan.failed == []
    assert (plan.model, plan.version, plan.stage, plan.from_version) == (
        "churn",
        2,
        "production",
        1,
    )
    assert plan.checks[0].values["production.metrics.roc_auc"] == 0.9  # the holder, read now
    assert state(churn) == before  # no event, no stage moved

    event = models.promote(
        "churn", 2, to="production", checks=[BEAT_HOLDER, "params.C = 1.0"], store=churn
    )
    assert [c.to_dict() for c in event.checks] == [c.to_dict() for c in plan.checks]
    assert event.from_version == plan.from_version


def test_a_failing_dry_run_reports_what_promote_then_refuses(churn):
    before = state(churn)
    checks = [BEAT_HOLDER, "metrics.roc_auc > 0.5", "tags.reviewed = 'yes'"]
    plan = models.check_promotion("churn", 3, to="production", checks=checks, store=churn)
    assert not plan.passed
    assert [c.status for c in plan.checks] == ["failed", "passed", "error"]
    assert [c.expression for c in plan.failed] == [BEAT_HOLDER, "tags.reviewed = 'yes'"]
    assert state(churn) == before

    with pytest.raises(GateRefused) as info:
        models.promote("churn", 3, to="production", checks=checks, store=churn)
    assert info.value.failed == [c.to_dict() for c in plan.failed]
    refused = models.events("churn", store=churn)[-1]
    assert [c.to_dict() for c in refused.checks] == [c.to_dict() for c in plan.checks]


def test_a_dry_run_with_a_validation_notebook_runs_it(churn, tmp_path, write_notebook):
    nb = write_notebook(
        tmp_path / "validate.ipynb",
        [
            "from jupyter_mlops import start_run\n"
            "with start_run(parent=validation_run_id) as run:\n"
            "    run.log_metric('roc_auc', 0.99)"
        ],
    )
    before = state(churn)
    plan = models.check_promotion(
        "churn", 3, to="production", checks=[BEAT_HOLDER], validate=nb, store=churn
    )
    assert plan.passed  # the validated 0.99 overrides the registered 0.70
    assert [c.expression for c in plan.checks] == [f"validate {nb}", BEAT_HOLDER]
    assert plan.validation is not None and plan.validation.metrics == {"roc_auc": 0.99}
    assert state(churn) == before


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        (("nope", 1, "production"), NotFoundError, "No registered model 'nope'"),
        (("churn", 9, "production"), NotFoundError, "Model 'churn' has no version 9"),
        (("churn", 2, "prod"), MlopsUsageError, "Unknown stage 'prod'"),
        (("churn", 1, "production"), MlopsUsageError, "Version 1 of 'churn' already holds"),
    ],
)
def test_bad_input_is_an_error_and_writes_nothing(churn, args, error, message):
    before = state(churn)
    with pytest.raises(error, match=message):
        models.check_promotion(*args[:2], to=args[2], store=churn)
    assert state(churn) == before


# -- the command line and the magic ----------------------------------------------------------


@pytest.fixture
def cli(store_dir, capsys, data, monkeypatch):
    """Run ``jupyter-mlops``; the project's store has churn v1 (0.90, production), v2, v3."""
    monkeypatch.setenv("COLUMNS", "200")
    X, y = data
    store = current_store()
    for auc in (0.90, 0.95, 0.70):
        with mlops.start_run(store=store) as run:
            run.log_model(LogisticRegression().fit(X, y))
            run.log_metric("roc_auc", auc)
        models.register(run.id, "churn", store=store)
    models.promote("churn", 1, to="production", store=store, checks=["version >= 1"])

    def run_cli(*args):
        capsys.readouterr()
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return run_cli


def test_cli_dry_run_prints_every_check_and_changes_nothing(cli):
    before = state(current_store())
    argv = ["promote", "churn", "2", "--to", "production", "--check", BEAT_HOLDER, "--dry-run"]
    code, out, err = cli(*argv)
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        f"✓ passed: {BEAT_HOLDER} (metrics.roc_auc = 0.95, production.metrics.roc_auc = 0.9, "
        "production.metrics.roc_auc - 0.01 = 0.89)",
        "✓ dry run: churn v2 would take production (held by v1); nothing changed.",
    ]
    code, out, err = cli(*argv, "--check", "metrics.roc_auc > 0.99", "--format", "json")
    assert (code, err) == (1, "")
    result = json.loads(out)
    assert (result["dry_run"], result["outcome"], result["from_version"]) == (
        True,
        "would_refuse",
        1,
    )
    assert result["event"] is None
    assert [c["status"] for c in result["checks"]] == ["passed", "failed"]

    code, out, err = cli(
        "promote",
        "churn",
        "3",
        "--to",
        "production",
        "--check",
        BEAT_HOLDER,
        "--check",
        "metrics.roc_auc > 0.5",
        "--dry-run",
    )
    assert (code, err) == (1, "")
    assert out.splitlines()[0].startswith(f"✗ failed: {BEAT_HOLDER} (metrics.roc_auc = 0.7")
    assert out.splitlines()[1].startswith("✓ passed: metrics.roc_auc > 0.5")
    assert out.splitlines()[2] == (
        "✗ dry run: promoting churn v3 to production would be refused (1 of 2 checks); "
        "nothing changed."
    )
    assert state(current_store()) == before


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["nope", "1", "--to", "production"], "No registered model 'nope'"),
        (["churn", "9", "--to", "production"], "Model 'churn' has no version 9"),
        (["churn", "2", "--to", "prod"], "Unknown stage 'prod'"),
        (["churn", "x", "--to", "production"], "VERSION: expected a whole number, not 'x'"),
        (["churn", "1", "--to", "production"], "already holds stage 'production'"),
        (["churn", "--rollback", "--to", "production"], "--dry-run checks a promotion"),
        (["pipeline.yaml", "--from", "staging", "--to", "production"], "not a pipeline's"),
    ],
)
def test_cli_dry_run_bad_input_is_one_line_and_exits_2(cli, argv, message):
    before = state(current_store())
    code, out, err = cli("promote", *argv, "--dry-run")
    assert (code, out) == (2, "")
    assert err.startswith(E) and message in err and err.count("\n") == 1
    assert state(current_store()) == before


@pytest.fixture
def ip(cli):
    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    shell = InteractiveShell.instance(config=config)
    shell.run_cell("%load_ext jupyter_mlops")
    try:
        yield shell
    finally:
        shell.run_cell("%unload_ext jupyter_mlops")
        InteractiveShell.clear_instance()


def test_magic_dry_run_prints_the_checks_and_fails_the_cell_if_one_would_fail(ip):
    before = state(current_store())
    with capture_output() as captured:
        ip.run_line_magic(
            "mlops", f'model promote churn 2 --to production --check "{BEAT_HOLDER}" --dry-run'
        )
    assert captured.stdout.splitlines()[-1] == (
        "mlops: dry run: churn v2 would take production (held by v1); nothing changed."
    )
    refused = r"would be refused \(1 of 1 checks failed\)"
    with pytest.raises(UsageError, match=refused), capture_output() as captured:
        ip.run_line_magic(
            "mlops", f'model promote churn 3 --to production --check "{BEAT_HOLDER}" --dry-run'
        )
    assert captured.stdout.startswith(f"✗ failed: {BEAT_HOLDER}")
    with pytest.raises(UsageError, match="unrecognized arguments: --dry-run"):
        ip.run_line_magic("mlops", "model rollback churn --to production --dry-run")
    assert state(current_store()) == before
