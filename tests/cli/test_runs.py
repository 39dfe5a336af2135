"""``jupyter-mlops runs``: the table, its columns and footers, JSON and CSV."""

from __future__ import annotations

import csv
import io
import json

import pytest

import jupyter_mlops as mlops

BASE = ["id", "name", "experiment", "status", "started", "duration"]


@pytest.fixture
def three_runs(make_run) -> dict[str, str]:
    """Runs a, b, c (started in that order) with metrics auc, f1 and params C, penalty."""
    return {
        name: make_run(
            name,
            params={"C": c, "penalty": "l2"},
            metrics={"auc": auc, "f1": f1},
        )
        for name, c, auc, f1 in (
            ("a", 0.1, 0.80, 0.70),
            ("b", 1.0, 0.90, 0.60),
            ("c", 10, 0.85, 0.75),
        )
    }


def table(out: str) -> tuple[list[str], list[list[str]], str]:
    """Split table output into header, rows (cells split on whitespace) and footer."""
    lines = out.splitlines()
    return lines[0].split(), [line.split() for line in lines[1:-1]], lines[-1]


def test_the_table_lists_runs_newest_first_with_metrics_then_params(cli, three_runs) -> None:
    result = cli("runs")

    header, rows, footer = table(result.out)
    assert result.code == 0
    assert header == [*BASE, "metrics.auc", "metrics.f1", "params.C", "params.penalty"]
    assert [row[:4] for row in rows] == [
        [three_runs["c"][:8], "c", "churn", "finished"],
        [three_runs["b"][:8], "b", "churn", "finished"],
        [three_runs["a"][:8], "a", "churn", "finished"],
    ]
    # started is a date and a time; duration is a number and a unit.
    assert [row[-4:] for row in rows] == [
        ["0.85", "0.75", "10", "l2"],
        ["0.9", "0.6", "1.0", "l2"],
        ["0.8", "0.7", "0.1", "l2"],
    ]
    assert footer == "(3 runs)"


def test_filter_experiment_and_order_by(cli, make_run, three_runs) -> None:
    make_run("other", experiment="fraud", metrics={"auc": 0.99})

    by_auc = cli("runs", "--order-by", "metrics.auc desc", "--experiment", "churn")
    good = cli("runs", "--filter", "metrics.auc >= 0.85 and params.penalty = 'l2'")
    fraud = cli("runs", "-e", "fraud")

    assert [row[1] for row in table(by_auc.out)[1]] == ["b", "c", "a"]
    assert [row[1] for row in table(good.out)[1]] == ["c", "b"]
    assert [row[1] for row in table(fraud.out)[1]] == ["other"]


def test_metrics_named_in_order_by_or_filter_come_first(cli, three_runs) -> None:
    result = cli("runs", "--order-by", "metrics.f1", "--filter", "params.C != '3'")

    header, rows, _ = table(result.out)
    assert header[len(BASE) :] == ["metrics.f1", "params.C", "metrics.auc", "params.penalty"]
    assert [row[1] for row in rows] == ["b", "a", "c"]


def test_columns_chooses_the_extra_columns(cli, three_runs) -> None:
    full = cli("runs", "--columns", "params.C,f1")
    missing = cli("runs", "-c", "tags.owner")

    assert table(full.out)[0] == [*BASE, "params.C", "metrics.f1"]
    header, rows, _ = table(missing.out)
    assert header == [*BASE, "tags.owner"]
    assert {row[-1] for row in rows} == {"-"}


@pytest.mark.parametrize(
    ("column", "message"),
    [
        (
            "colour",
            "no column 'colour' in these runs; give metrics.colour, params.colour or tags.colour.",
        ),
        ("C", "column 'C' is ambiguous; give metrics.C or params.C."),
    ],
)
def test_an_unknown_or_ambiguous_bare_column_is_bad_usage(
    cli, make_run, three_runs, column, message
) -> None:
    make_run("d", metrics={"C": 1.0})

    result = cli("runs", "--columns", column)

    assert (result.code, result.out) == (2, "")
    assert result.err == f"jupyter-mlops: error: {message}\n"


def test_singular_prefixes_are_accepted(cli, three_runs) -> None:
    assert table(cli("runs", "-c", "metric.f1", "-c", "param.C").out)[0] == [
        *BASE,
        "metrics.f1",
        "params.C",
    ]


def test_a_narrow_terminal_hides_columns_and_says_so(cli, three_runs, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")

    result = cli("runs")

    header, _, footer = table(result.out)
    assert header == [*BASE, "metrics.auc"]
    assert max(len(line) for line in result.out.splitlines()[:-1]) <= 80
    assert footer == "(3 runs; 3 columns hidden: choose with --columns, or use --format csv)"


def test_a_narrow_terminal_shows_the_metric_most_runs_have(cli, make_run, monkeypatch) -> None:
    make_run("tuned", metrics={"roc_auc": 0.9, "accuracy": 0.8})
    for name in ("trained", "retrained"):
        make_run(name, metrics={"roc_auc": 0.85})
    monkeypatch.setenv("COLUMNS", "96")  # room for one metric column

    header, rows, _ = table(cli("runs").out)

    assert header == [*BASE, "metrics.roc_auc"]  # not accuracy, which one run of three has
    assert [row[-1] for row in rows] == ["0.85", "0.85", "0.9"]


def test_limit_says_when_there_are_more(cli, three_runs) -> None:
    two = cli("runs", "--limit", "2")
    three = cli("runs", "--limit", "3")

    assert [row[1] for row in table(two.out)[1]] == ["c", "b"]
    assert table(two.out)[2] == "(2 runs; more not shown: use --limit N (0 for all))"
    assert table(three.out)[2] == "(3 runs)"


def test_long_values_are_cut_with_a_mark(cli, make_run) -> None:
    make_run("n" * 40, params={"solver": "s" * 40})

    _, rows, _ = table(cli("runs").out)

    assert rows[0][1] == "n" * 29 + "…"
    assert rows[0][-1] == "s" * 19 + "…"


def test_failed_and_running_runs(cli, make_run, store) -> None:
    make_run("broken", status="failed")
    live = mlops.start_run("live", experiment="churn", store=store)
    try:
        _, rows, _ = table(cli("runs").out)
    finally:
        live.end()

    assert [(row[1], row[3], row[-1]) for row in rows] == [
        ("live", "running", "running"),
        ("broken", "failed", "ms"),
    ]


def test_empty_results(cli, project) -> None:
    assert cli("runs").out == "No runs yet.\n"
    assert cli("runs", "--filter", "metrics.auc > 0").out == "No runs match.\n"
    page = json.loads(cli("runs", "--format", "json").out)
    assert (page["items"], page["total"]) == ([], 0)


def test_json_is_the_rest_apis_page_of_runs(cli, three_runs) -> None:
    result = cli("runs", "--format", "json", "--order-by", "name")

    page = json.loads(result.out)
    assert (page["total"], page["limit"], page["offset"]) == (3, 50, 0)
    runs = page["items"]
    assert result.code == 0
    assert [r["name"] for r in runs] == ["a", "b", "c"]
    first = runs[0]
    assert first["run_id"] == three_runs["a"]
    assert first["short_id"] == three_runs["a"][:8]
    assert (first["experiment"], first["status"], first["parent_id"]) == ("churn", "finished", None)
    assert first["params"] == {"C": "0.1", "penalty": "l2"}
    assert first["metrics"] == {"auc": 0.8, "f1": 0.7}
    assert first["tags"] == {}
    assert first["end_time"] - first["start_time"] == pytest.approx(first["duration"], abs=1e-5)


def test_json_leaves_out_what_a_run_did_not_log(cli, make_run) -> None:
    make_run("with", metrics={"auc": 0.9}, params={"C": 1})
    make_run("without")

    runs = {r["name"]: r for r in json.loads(cli("runs", "--format", "json").out)["items"]}

    assert (runs["without"]["metrics"], runs["without"]["params"]) == ({}, {})
    assert runs["with"]["metrics"] == {"auc": 0.9}


def test_every_format_pages_alike_and_limit_zero_gives_all(cli, make_run) -> None:
    for i in range(55):
        make_run(f"r{i}")

    page = json.loads(cli("runs", "--format", "json").out)
    assert (len(page["items"]), page["total"]) == (50, 55)
    assert len(table(cli("runs").out)[1]) == 50
    assert len(cli("runs", "--format", "csv").out.splitlines()) == 1 + 50
    assert len(json.loads(cli("runs", "--format", "json", "--limit", "0").out)["items"]) == 55
    assert len(cli("runs", "--format", "csv", "--limit", "0").out.splitlines()) == 1 + 55
    page = json.loads(cli("runs", "--format", "json", "--limit", "5", "--offset", "50").out)
    assert (len(page["items"]), page["offset"], page["total"]) == (5, 50, 55)


def test_csv_is_the_search_frame(cli, three_runs) -> None:
    result = cli("runs", "--format", "csv", "--order-by", "name")

    rows = list(csv.DictReader(io.StringIO(result.out)))
    assert result.code == 0
    assert [r["run_id"] for r in rows] == [three_runs[n] for n in "abc"]
    assert list(rows[0])[:3] == ["run_id", "short_id", "name"]
    assert (rows[0]["params.C"], rows[0]["metrics.auc"]) == ("0.1", "0.8")


# -- runs note ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--set", "a", "--clear"), "runs note: give one of --set and --clear, not both."),
        (("--set", "a", "--file", "n.md"), "runs note: give one of --set and --file, not both."),
        (
            ("--set", "a", "--file", "n.md", "--clear"),
            "runs note: give one of --set, --file and --clear, not several.",
        ),
        (("--file", "missing.md"), "runs note: cannot read missing.md: No such file or directory."),
        (("--file", "latin1.md"), "runs note: latin1.md is not UTF-8 text."),
        (("--set", "a\x00b"), "A note cannot contain a NUL character; remove it and save again."),
    ],
)
def test_a_bad_note_is_one_line_exit_2_and_keeps_the_note(
    cli, make_run, project, argv: tuple[str, ...], message: str
) -> None:
    run_id = make_run("noted")
    mlops.set_run_note(run_id, "kept")
    (project / "latin1.md").write_bytes("caf\xe9".encode("latin-1"))
    result = cli("runs", "note", run_id, *argv)
    assert (result.code, result.out, result.err) == (2, "", f"jupyter-mlops: error: {message}\n")
    assert mlops.get_run_note(run_id) == "kept"


def test_a_note_from_a_file_is_kept_as_written_and_printed_as_is(cli, make_run, project) -> None:
    run_id = make_run("noted")
    text = "# Findings\n\n| C | auc |\n|---|---|\n| 0.5 | 0.91 |\n"
    (project / "findings.md").write_text(text, encoding="utf-8")
    kept = cli("runs", "note", "noted", "--file", "findings.md")
    assert (kept.code, kept.out) == (0, f"kept the note of run {run_id[:8]} (49 characters)\n")
    assert cli("runs", "note", "noted").out == text  # already ends with a newline: none added
    shown = json.loads(cli("runs", "note", "noted", "--format", "json").out)
    assert shown["note"] == text and "<table>" in shown["html"]
