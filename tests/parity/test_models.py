"""The model registry: the same list, versions, promotions and refusals from the Python API,
``%mlops model``, the CLI's JSON and REST."""

from __future__ import annotations

import json
import shlex
from typing import Any

import pytest
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output
from sklearn.dummy import DummyClassifier

import jupyter_mlops as mlops
from jupyter_mlops.errors import FilterSyntaxError, GateRefused, MlopsUsageError
from tests.parity.conftest import Faces

FACES = ("api", "magic", "cli", "rest")


def register(faces: Faces, name: str, *aucs: float) -> None:
    """Versions 1, 2, ... of model ``name``, each from a run that logged metric ``auc``."""
    for auc in aucs:
        with mlops.start_run(experiment="parity-models", store=faces.store) as run:
            run.log_model(DummyClassifier().fit([[0], [1]], [0, 1]), "model")
            run.log_metric("auc", auc)
            run.log_param("C", "0.5")
        mlops.models.register(run.id, name, store=faces.store)


def no_nulls(value: Any) -> Any:
    """``value`` without null fields (a REST error body leaves them out)."""
    if isinstance(value, dict):
        return {k: no_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [no_nulls(v) for v in value]
    return value


def marks(checks: list[dict[str, Any]]) -> list[str]:
    """The lines ``%mlops model promote`` prints for ``checks``."""
    return [f"{'✓' if c['passed'] else '✗'} {c['message']}" for c in checks]


def test_the_registry_and_its_versions_read_the_same_everywhere(faces: Faces) -> None:
    register(faces, "p-models-b", 0.7, 0.8)
    register(faces, "P-models-a", 0.9)
    mlops.models.promote("p-models-b", 1, to="staging", store=faces.store)

    rest = faces.rest("models")
    assert faces.cli_json("models", "list") == rest == faces.cli_json("models")
    mine = [m for m in rest["items"] if m["name"].lower().startswith("p-models-")]
    assert [m["name"] for m in mine] == ["P-models-a", "p-models-b"]  # code-point order
    frame = mlops.models.list().set_index("name")
    for m in mine:
        row = frame.loc[m["name"]]
        assert (row["versions"], row["latest_version"]) == (m["versions"], m["latest_version"])
        assert row["stages"] == ", ".join(f"{s}=v{v}" for s, v in m["stages"].items())
    assert mine[1]["stages"] == {"staging": 1}
    html = faces.magic("model list").displays[0]["text/html"]
    assert html.index("<td>P-models-a</td>") < html.index("<td>p-models-b</td>")

    versions = faces.rest("models/p-models-b")
    assert faces.cli_json("models", "show", "p-models-b") == versions
    assert [v["version"] for v in versions["items"]] == [2, 1]
    assert list(mlops.models.list_versions("p-models-b")["version"]) == [2, 1]
    assert "metrics.auc=0.8" in faces.magic("model show p-models-b").texts[0]

    one = faces.rest("models/p-models-b/versions/1")
    assert one == versions["items"][1]
    assert faces.cli_json("models", "show", "p-models-b", "1") == one
    assert faces.cli_json("models", "show", "models:/p-models-b@staging") == one
    api = mlops.models.get("models:/p-models-b@staging")
    assert {k: v for k, v in one.items() if k not in ("metrics", "params")} == json.loads(
        json.dumps(api.to_dict())
    )
    assert (one["metrics"], one["params"]) == ({"auc": 0.7}, {"C": "0.5"})
    shown = faces.magic("model show models:/p-models-b@staging").displays[0]
    assert shown["text/plain"] == str(api)


CHECKS = ["metrics.auc >= 0.5", "params.C = '0.5'"]


def test_a_promotion_answers_the_same_everywhere(faces: Faces) -> None:
    for face in FACES:
        register(faces, f"p-promote-{face}", 0.9)
    words = ["1", "--to", "staging", *(w for c in CHECKS for w in ("--check", c))]

    event = mlops.models.promote("p-promote-api", 1, to="staging", checks=CHECKS)
    ran = faces.magic(f"model promote p-promote-magic {shlex.join(words)}")
    cli = faces.cli_json("promote", "p-promote-cli", *words)
    answer = faces.send(
        "POST",
        "models/p-promote-rest/promote",
        {"version": 1, "stage": "staging", "checks": CHECKS},
    )
    assert answer.status_code == 200, answer.text
    rest = answer.json()

    assert _same(cli) == _same(rest)
    assert rest["outcome"] == "promoted" and rest["from_version"] is None
    assert [c["status"] for c in rest["checks"]] == ["passed", "passed"]
    assert [c.to_dict() for c in event.checks] == rest["checks"]
    assert ran.stdout.splitlines() == [
        *marks(rest["checks"]),
        "mlops: p-promote-magic v1 now holds staging (was no version).",
    ]
    for face in FACES:  # every face's promotion is one audited event, the same
        history = faces.rest(f"models/p-promote-{face}/promotions")
        assert history == faces.cli_json("models", "history", f"p-promote-{face}")
        assert [e["checks"] for e in history["items"]] == [rest["checks"]]
        assert mlops.models.get(f"p-promote-{face}", 1).stages == ["staging"]


def _same(result: dict[str, Any]) -> dict[str, Any]:
    """``result`` without what is each face's own: its model's name, its event's id and time."""
    event = {k: v for k, v in result["event"].items() if k not in ("id", "created_at", "model")}
    return {**{k: v for k, v in result.items() if k != "model"}, "event": event}


def test_a_rollback_answers_the_same_everywhere(faces: Faces) -> None:
    for face in FACES:
        register(faces, f"p-back-{face}", 0.9, 0.8)
        mlops.models.promote(f"p-back-{face}", 1, to="production", checks=["version >= 1"])
        mlops.models.promote(f"p-back-{face}", 2, to="production", checks=["version >= 1"])

    event = mlops.models.rollback("p-back-api", stage="production", reason="v2 misbehaves")
    ran = faces.magic('model rollback p-back-magic --to production --reason "v2 misbehaves"')
    cli = faces.cli_json(
        "promote", "p-back-cli", "--rollback", "--to", "production", "--reason", "v2 misbehaves"
    )
    answer = faces.send(
        "POST", "models/p-back-rest/rollback", {"stage": "production", "reason": "v2 misbehaves"}
    )
    assert answer.status_code == 200, answer.text
    rest = answer.json()

    assert _same(cli) == _same(rest)
    assert (rest["version"], rest["from_version"]) == (1, 2)
    assert rest["event"]["action"] == "rollback"
    assert (event.action, event.to_version, event.from_version) == ("rollback", 1, 2)
    assert ran.stdout == "mlops: p-back-magic v1 now holds production (was v2).\n"
    for face in FACES:
        assert mlops.models.get(f"models:/p-back-{face}@production").version == 1
        last = faces.rest(f"models/p-back-{face}/promotions")["items"][-1]
        assert (last["action"], last["reason"]) == ("rollback", "v2 misbehaves")


REFUSED = [
    "metrics.auc >= 0.5",
    "metrics.auc >= production.metrics.auc",
    "tags.reviewed = 'yes'",
]


def test_a_refused_promotion_lists_every_check_the_same_everywhere(faces: Faces) -> None:
    register(faces, "p-refused", 0.9, 0.8)
    mlops.models.promote("p-refused", 1, to="production", checks=["version >= 1"])
    words = ["2", "--to", "production", *(w for c in REFUSED for w in ("--check", c))]

    with pytest.raises(GateRefused) as api:
        mlops.models.promote("p-refused", 2, to="production", checks=REFUSED)
    with pytest.raises(UsageError) as magic, capture_output() as printed:
        faces.shell.run_cell(f"%mlops model promote p-refused {shlex.join(words)}")
    cli = faces.cli("promote", "p-refused", *words, "--format", "json")
    answer = faces.send(
        "POST", "models/p-refused/promote", {"version": 2, "stage": "production", "checks": REFUSED}
    )

    assert answer.status_code == 422, answer.text
    rest = answer.json()
    assert [c["status"] for c in rest["checks"]] == ["passed", "failed", "error"]
    assert [c["expression"] for c in rest["checks"]] == REFUSED
    assert rest["error"].startswith("Promotion of p-refused v2 to production refused: failed: ")
    assert (cli.code, json.loads(cli.out)) == (1, rest)
    assert cli.err == f"jupyter-mlops: error: {rest['error']}\n"
    assert str(magic.value) == rest["error"]
    assert printed.stdout.splitlines() == marks(rest["checks"])  # before the cell failed
    assert no_nulls(api.value.fields["checks"]) == rest["checks"]
    assert api.value.message == rest["error"]
    # Every face's refusal is recorded once, with every check.
    refused = [e for e in mlops.models.events("p-refused") if e.outcome == "refused"]
    assert len(refused) == 4
    assert all(no_nulls([c.to_dict() for c in e.checks]) == rest["checks"] for e in refused)
    assert mlops.models.get("models:/p-refused@production").version == 1


def test_a_gate_that_does_not_parse_is_bad_usage_everywhere_and_records_nothing(
    faces: Faces,
) -> None:
    register(faces, "p-typo", 0.9, 0.8)
    mlops.models.promote("p-typo", 1, to="production", checks=["version >= 1"])
    before = mlops.models.events("p-typo")
    checks = ["metrics.auc > 0.5", "metrics.auc >= (0.5"]
    words = ["2", "--to", "production", *(w for c in checks for w in ("--check", c))]

    with pytest.raises(FilterSyntaxError) as api:
        mlops.models.promote("p-typo", 2, to="production", checks=checks)
    with pytest.raises(UsageError) as magic:
        faces.magic(f"model promote p-typo {shlex.join(words)}")
    cli = faces.cli("promote", "p-typo", *words, "--format", "json")
    answer = faces.send(
        "POST", "models/p-typo/promote", {"version": 2, "stage": "production", "checks": checks}
    )

    assert answer.status_code == 400, answer.text
    message = answer.json()["error"]
    assert message == str(api.value)
    assert message.startswith("Invalid gate at position ")
    assert "expected ')' to close the '('" in message
    assert (cli.code, cli.out) == (2, "")
    assert cli.err == f"jupyter-mlops: error: {message}; see `jupyter-mlops promote --help`.\n"
    assert str(magic.value) == message
    assert mlops.models.events("p-typo") == before  # nothing recorded, by any face
    assert mlops.models.get("models:/p-typo@production").version == 1


NO_CHECK = (
    "Promotion to production needs at least one check (e.g. --check 'metrics.roc_auc >= 0.8') "
    "or a default policy (stage_checks in [tool.jupyter-mlops]); gated stages: production."
)


def test_production_with_no_check_is_bad_usage_everywhere_and_records_nothing(
    faces: Faces,
) -> None:
    register(faces, "p-nogate", 0.9)
    words = ["1", "--to", "production"]

    with pytest.raises(MlopsUsageError) as api:
        mlops.models.promote("p-nogate", 1, to="production")
    with pytest.raises(UsageError) as magic:
        faces.magic(f"model promote p-nogate {shlex.join(words)}")
    cli = faces.cli("promote", "p-nogate", *words, "--format", "json")
    answer = faces.send("POST", "models/p-nogate/promote", {"version": 1, "stage": "production"})

    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == str(api.value) == str(magic.value) == NO_CHECK
    assert (cli.code, cli.out) == (2, "")
    assert cli.err.startswith(f"jupyter-mlops: error: {NO_CHECK[:-1]}")
    assert mlops.models.events("p-nogate") == []  # nothing recorded, by any face
    assert mlops.models.get("p-nogate", 1).stages == []

    # The dry run (the sidebar's "Check") reports the same refusal as its one result.
    plan = mlops.models.check_promotion("p-nogate", 1, to="production")
    dry = faces.send(
        "POST", "models/p-nogate/promote", {"version": 1, "stage": "production", "dry_run": True}
    ).json()
    ran = faces.cli("promote", "p-nogate", *words, "--dry-run", "--format", "json")
    cli_dry = json.loads(ran.out)
    assert ran.code == 1  # as for any dry run that would be refused
    assert dry["outcome"] == cli_dry["outcome"] == "would_refuse"
    assert [c["error"] for c in dry["checks"]] == [c.error for c in plan.checks] == [NO_CHECK]
    assert cli_dry["checks"] == dry["checks"]
    # staging is not gated: the same promotion with no check moves it.
    assert mlops.models.promote("p-nogate", 1, to="staging").outcome == "promoted"
