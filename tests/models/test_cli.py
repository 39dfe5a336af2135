"""``jupyter-mlops models`` and ``jupyter-mlops promote`` through the real command line."""

import json

import pytest
from sklearn.linear_model import LogisticRegression

import jupyter_mlops as mlops
from jupyter_mlops import models
from jupyter_mlops.cli import main
from jupyter_mlops.store import current_store

E = "jupyter-mlops: error: "


@pytest.fixture
def cli(store_dir, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")

    def run(*args):
        capsys.readouterr()
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def churn(store_dir, data):
    X, y = data
    store = current_store()
    for auc in (0.90, 0.95, 0.70):
        with mlops.start_run(store=store) as run:
            run.log_model(LogisticRegression().fit(X, y))
            run.log_metric("roc_auc", auc)
        models.register(run.id, "churn", store=store)
    return store


def test_promote_passes_and_prints_the_checks(cli, churn):
    code, out, err = cli(
        "promote", "churn", "1", "--to", "production", "--check", "metrics.roc_auc >= 0.85"
    )
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "✓ passed: metrics.roc_auc >= 0.85 (metrics.roc_auc = 0.9)",
        "✓ churn v1 now holds production (was no version).",
    ]


def test_a_refused_gate_exits_1(cli, churn):
    cli("promote", "churn", "2", "--to", "production", "--check", "metrics.roc_auc >= 0.5")
    code, out, err = cli(
        "promote",
        "churn",
        "3",
        "--to",
        "production",
        "--check",
        "metrics.roc_auc >= production.metrics.roc_auc - 0.01",
        "--check",
        "metrics.roc_auc > 0.5",
        "--reason",
        "retrain",
    )
    assert code == 1
    failed = (
        "failed: metrics.roc_auc >= production.metrics.roc_auc - 0.01 (metrics.roc_auc = 0.7, "
        "production.metrics.roc_auc = 0.95, production.metrics.roc_auc - 0.01 = 0.94)"
    )
    # Every check, passed and failed, in the order given.
    assert out == f"✗ {failed}\n✓ passed: metrics.roc_auc > 0.5 (metrics.roc_auc = 0.7)\n"
    assert err == f"{E}Promotion of churn v3 to production refused: {failed}\n"
    assert models.events("churn", store=churn)[-1].reason == "retrain"


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["promote", "churn", "1", "--to", "prod"], 2, "Unknown stage 'prod'"),
        (["promote", "churn", "--to", "production"], 2, "give the VERSION to promote"),
        (["promote", "churn", "x", "--to", "production"], 2, "VERSION: expected a whole number"),
        (["promote", "nope", "1", "--to", "production"], 2, "No registered model 'nope'"),
        (["promote", "churn", "1"], 2, "argument --to: is required"),
        # A check that does not parse is bad usage (exit 2, nothing recorded), not a refusal.
        (
            ["promote", "churn", "1", "--to", "production", "--check", "metrics.x >"],
            2,
            "Invalid gate at position 11: expected a number",
        ),
        (["models", "show", "churn", "9"], 2, "Model 'churn' has no version 9"),
        (["models", "show", "models:/churn@production"], 2, "holds stage 'production'"),
        (["models", "show", "models:churn"], 2, "Invalid model name 'models:churn'"),
        (["models", "history", "nope"], 2, "No registered model 'nope'"),
    ],
)
def test_bad_usage_and_refusals_are_one_line(cli, churn, argv, code, message):
    result_code, _, err = cli(*argv)
    assert result_code == code
    assert err.startswith(E)
    assert message in err
    assert err.count("\n") == 1


def test_a_check_that_does_not_parse_is_exit_2_and_records_nothing(cli, churn):
    models.promote("churn", 1, to="production", store=churn, checks=["version >= 1"])
    before = models.events("churn", store=churn)
    code, out, err = cli(
        "promote", "churn", "2", "--to", "production",
        "--check", "metrics.roc_auc > 0.5", "--check", "metrics.roc_auc >= (0.5",
    )  # fmt: skip
    assert (code, out) == (2, "")
    assert err == (
        f"{E}Invalid gate at position 23: expected ')' to close the '(' at position 19, found "
        "the end of the gate; see `jupyter-mlops promote --help`.\n"
    )
    assert models.events("churn", store=churn) == before


def test_rollback(cli, churn):
    cli("promote", "churn", "1", "--to", "production", "--check", "metrics.roc_auc >= 0.5")
    cli("promote", "churn", "2", "--to", "production", "--check", "metrics.roc_auc >= 0.5")
    code, out, _ = cli("promote", "churn", "--rollback", "--to", "production", "--reason", "bad")
    assert code == 0
    assert out.splitlines()[-1] == "✓ churn v1 now holds production (was v2)."
    assert models.events("churn", store=churn)[-1].action == "rollback"


def test_models_list_show_and_history(cli, churn):
    cli("promote", "churn", "1", "--to", "production", "--check", "metrics.roc_auc > 0.5")
    code, out, _ = cli("models")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["name", "versions", "latest", "stages", "updated"]
    assert lines[1].split()[:4] == ["churn", "3", "3", "production=v1"]
    assert cli("models", "list")[1] == out

    code, out, _ = cli("models", "show", "churn")
    assert out.splitlines()[0] == "churn: 3 versions"
    assert out.splitlines()[1].split()[:2] == ["version", "stages"]
    assert out.splitlines()[4].split()[:2] == ["1", "production"]

    code, out, _ = cli("models", "show", "churn", "1")
    assert out.startswith("models:/churn/1  sklearn.linear_model._logistic.LogisticRegression")

    code, out, _ = cli("models", "show", "models:/churn@production", "--format", "json")
    assert json.loads(out)["card"]["metrics"] == {"roc_auc": 0.9}

    code, out, _ = cli("models", "--format", "json")
    assert [m["name"] for m in json.loads(out)["items"]] == ["churn"]

    code, out, _ = cli("models", "history", "churn")
    assert "production: none -> v1  promoted (promote) by" in out
    assert "    ✓ passed: metrics.roc_auc > 0.5 (metrics.roc_auc = 0.9)" in out
    code, out, _ = cli("models", "history", "churn", "--format", "json")
    assert json.loads(out)["items"][0]["checks"][0]["passed"] is True


def test_empty_registry(cli):
    assert cli("models")[1] == (
        "No registered models yet: register one with mlops.models.register(run, NAME).\n"
    )


def test_stages_comma_separated_or_repeated(cli, churn):
    code, _, err = cli("promote", "churn", "1", "--to", "canary")
    assert code == 2 and "Unknown stage 'canary'" in err
    code, out, _ = cli("promote", "churn", "1", "--to", "canary", "--stages", "canary,production")
    assert code == 0 and out.endswith("churn v1 now holds canary (was no version).\n")
    code, out, _ = cli(
        "promote", "churn", "2", "--to", "canary", "--stages", "canary", "--stages", "production"
    )
    assert code == 0 and out.endswith("churn v2 now holds canary (was v1).\n")


def test_json_answers_are_the_rest_records(cli, churn):
    code, out, _ = cli("promote", "churn", "1", "--to", "staging", "--format", "json")
    result = json.loads(out)
    assert code == 0
    assert (result["outcome"], result["event"]["outcome"], result["dry_run"]) == (
        "promoted",
        "promoted",
        False,
    )
    code, out, _ = cli(
        "promote", "churn", "2", "--to", "staging", "--dry-run", "--format", "json",
        "--check", "metrics.roc_auc > staging.metrics.roc_auc",
    )  # fmt: skip
    plan = json.loads(out)
    assert (code, plan["outcome"], plan["event"], plan["from_version"]) == (
        0,
        "would_promote",
        None,
        1,
    )
    assert [e.outcome for e in models.events("churn", store=churn)] == ["promoted"]
