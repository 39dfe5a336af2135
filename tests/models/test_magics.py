"""``%mlops model`` and ``%mlops lineage`` in a real IPython shell whose cells re-raise."""

import pytest
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output
from sklearn.linear_model import LogisticRegression

import jupyter_mlops as mlops
from jupyter_mlops import models
from jupyter_mlops.store import current_store


@pytest.fixture
def churn(ip, data):
    X, y = data
    for auc in (0.90, 0.95):
        with mlops.start_run(store=current_store()) as run:
            run.log_model(LogisticRegression().fit(X, y))
            run.log_metric("roc_auc", auc)
        models.register(run.id, "churn", store=current_store())
    return current_store()


def test_register_from_the_last_run_and_from_a_variable(ip, data):
    X, y = data
    ip.user_ns.update(X=X, y=y)
    ip.run_cell("from sklearn.linear_model import LogisticRegression")
    ip.run_cell("%mlops track fit")
    ip.run_cell("clf = LogisticRegression().fit(X, y)")  # captured: the fitted model
    _, out, _ = ip.run("%mlops model register churn --tag owner=ana")
    assert out.startswith("mlops: registered models:/churn/1 (LogisticRegression).")
    ip.run_cell("%mlops stop")
    _, out, _ = ip.run("%mlops model register churn")  # the last run of this session
    assert out.startswith("mlops: registered models:/churn/2")
    _, out, _ = ip.run("%mlops model register other --from clf")
    assert out.startswith("mlops: registered models:/other/1")
    assert models.get("churn", 1).tags == {"owner": "ana"}


def test_list_show_promote_history_and_load(ip, churn):
    _, _, displays = ip.run("%mlops model list")
    assert "churn" in displays[0]["text/plain"]
    _, _, displays = ip.run("%mlops model show churn")
    assert "metrics.roc_auc" in displays[0]["text/plain"]
    _, _, displays = ip.run("%mlops model show churn 1")
    assert displays[0]["text/plain"].startswith("models:/churn/1")
    assert "<table>" in displays[0]["text/html"]

    _, out, _ = ip.run(
        '%mlops model promote churn 1 --to production --check "metrics.roc_auc >= 0.85"'
    )
    assert out.splitlines() == [
        "✓ passed: metrics.roc_auc >= 0.85 (metrics.roc_auc = 0.9)",
        "mlops: churn v1 now holds production (was no version).",
    ]
    with pytest.raises(UsageError) as info, capture_output() as captured:
        ip.run_cell(
            "%mlops model promote churn 2 --to production "
            '--check "metrics.roc_auc >= production.metrics.roc_auc + 0.1" --reason try'
        )
    assert str(info.value).startswith("Promotion of churn v2 to production refused: failed: ")
    assert captured.stdout.startswith("✗ failed: metrics.roc_auc >= production.metrics.roc_auc")

    _, _, displays = ip.run("%mlops model history churn")
    assert "refused" in displays[0]["text/html"]
    assert "failed: metrics.roc_auc &gt;= production" in displays[0]["text/html"]

    model, _, _ = ip.run("%mlops model load models:/churn@production")
    assert isinstance(model, LogisticRegression)
    _, out, _ = ip.run("%mlops model load models:/churn/2 --as candidate")
    assert out == "mlops: loaded models:/churn/2 as candidate.\n"
    assert isinstance(ip.user_ns["candidate"], LogisticRegression)

    ip.run('%mlops model promote churn 2 --to production --check "metrics.roc_auc >= 0.5"')
    _, out, _ = ip.run("%mlops model rollback churn --to production")
    assert out.endswith("mlops: churn v1 now holds production (was v2).\n")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("%mlops model", "give an action: register, list, show, promote, rollback, history"),
        ("%mlops model frob", "%mlops model: argument ACTION: invalid choice: 'frob'"),
        ("%mlops model show", "%mlops model show: the following arguments are required: MODEL"),
        ("%mlops model show nope", "No registered model 'nope'. Registered models: churn."),
        ("%mlops model show churn 7", "Model 'churn' has no version 7 (versions are 1 to 2)."),
        ("%mlops model load churn", "Invalid model URI 'churn'"),
        ("%mlops model promote churn 1", "%mlops model promote: argument --to: is required."),
        (
            "%mlops model promote churn --to production",
            "the following arguments are required: VERSION",
        ),
        ("%mlops model promote churn 1 --to prod", "Unknown stage 'prod'"),
        ("%mlops model register churn", "No run to register"),
        ("%mlops model register churn --from nothing", "No variable 'nothing' to register."),
        ("%mlops lineage models:/churn/9", "Model 'churn' has no version 9"),
        ("%mlops lineage", "%mlops lineage: the following arguments are required: REF"),
    ],
)
def test_mistakes_are_one_line_usage_errors(ip, churn, line, message):
    with pytest.raises(UsageError) as info:
        ip.run_cell(line)
    assert message in str(info.value)


def test_lineage_magic(ip, churn):
    ip.run("%mlops model promote churn 1 --to staging")
    _, _, displays = ip.run("%mlops lineage models:/churn@staging")
    text = displays[0]["text/plain"]
    assert text.splitlines()[0] == "models:/churn/1 LogisticRegression [staging]"
    assert "[promoted] staging: none -> v1" in text
    assert "<ul>" in displays[0]["text/html"]
    _, _, displays = ip.run("%mlops lineage models:/churn/1 --edges")
    assert "registered" in displays[0]["text/html"]
