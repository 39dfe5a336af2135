"""``jupyter-mlops show RUN``: one run as text or JSON, found by id, short id or name."""

from __future__ import annotations

import json

import pytest


@pytest.fixture
def run_id(make_run) -> str:
    return make_run(
        "brisk-otter",
        params={"C": 0.5},
        metrics={"auc": 0.91},
        artifacts={"report.txt": b"all good"},
    )


@pytest.mark.parametrize("ref", ["id", "short id", "name"])
def test_show_finds_the_run_by_id_short_id_or_name(cli, run_id, ref) -> None:
    given = {"id": run_id, "short id": run_id[:8], "name": "brisk-otter"}[ref]

    result = cli("show", given)

    assert (result.code, result.err) == (0, "")
    lines = result.out.splitlines()
    assert lines[0] == f"Run brisk-otter ({run_id[:8]})  [finished]  experiment=churn"
    assert lines[2:] == [
        "  params:",
        "    C = 0.5",
        "  metrics:",
        "    auc = 0.91",
        "  artifacts:",
        "    report.txt (8 B)",
    ]


def test_show_json_is_the_whole_record(cli, run_id, store) -> None:
    result = cli("show", run_id[:6], "--format", "json")

    record = json.loads(result.out)
    assert result.code == 0
    assert (record["run_id"], record["short_id"], record["name"]) == (
        run_id,
        run_id[:8],
        "brisk-otter",
    )
    assert (record["params"], record["metrics"]) == ({"C": "0.5"}, {"auc": 0.91})
    [artifact] = record["artifacts"]
    assert artifact["path"] == "report.txt"
    assert store.objects.read_bytes(artifact["digest"]) == b"all good"


def test_show_json_keeps_nan_metrics_valid_json(cli, make_run) -> None:
    make_run("diverged", metrics={"loss": float("nan")})

    result = cli("show", "diverged", "--format", "json")

    assert json.loads(result.out)["metrics"] == {"loss": "NaN"}
    assert "NaN," not in result.out and ": NaN" not in result.out


def test_show_unknown_run_is_bad_usage(cli, run_id) -> None:
    result = cli("show", "calm-heron")

    assert (result.code, result.out) == (2, "")
    assert result.err == (
        "jupyter-mlops: error: No run 'calm-heron': use a run id, a short id of 4+ characters "
        "or a run name (`jupyter-mlops runs` lists them).\n"
    )
