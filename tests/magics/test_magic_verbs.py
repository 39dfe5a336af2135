"""%mlops runs, show and status through a real shell."""

from __future__ import annotations

import re

import pytest
from IPython.core.error import UsageError

import jupyter_mlops as mlops


def test_runs_shows_a_table_newest_first(ip) -> None:
    ip.run("%%mlops track one --experiment a --param C=1\nx = 1")
    ip.run("%%mlops track two --experiment b --param C=2\n%mlops metric auc=0.9")
    ran = ip.run("%mlops runs")
    [table] = ran.displays
    html, text = table["text/html"], table["text/plain"]
    assert text.index("two") < text.index("one")
    for column in ("name", "experiment", "status", "params.C", "metrics.auc"):
        assert column in html
    assert "run_id" not in html
    assert "application/vnd.jupyter.widget-view+json" in table  # the live runs table


def test_compare_shows_runs_side_by_side(ip) -> None:
    ip.run("%%mlops track one --param C=1\n%mlops metric auc=0.8")
    ip.run("%%mlops track two --param C=2\n%mlops metric auc=0.9")
    [panel] = ip.run("%mlops compare one two").displays
    assert '<tr class="diff"><td>C</td><td>1</td><td>2</td></tr>' in panel["text/html"]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("%mlops compare one", "Give two runs or more to compare (ids, short ids or names)."),
        ("%mlops compare one one", "Give two runs or more to compare"),
        ("%mlops compare ghost one", "No run 'ghost': use a run id"),
    ],
)
def test_compare_bad_usage(ip, line: str, message: str) -> None:
    ip.run("%%mlops track one\nx = 1")
    with pytest.raises(UsageError, match=re.escape(message)):
        ip.run(line)


def test_runs_filter_experiment_and_limit(ip) -> None:
    for i in range(3):
        ip.run(f"%%mlops track r{i} --experiment {'even' if i % 2 == 0 else 'odd'}\nx = {i}")
    ran = ip.run("%mlops runs --filter \"name = 'r1'\"")
    assert "r1" in ran.texts[0] and "r0" not in ran.texts[0]
    ran = ip.run("%mlops runs --experiment even")
    assert "r0" in ran.texts[0] and "r2" in ran.texts[0] and "r1" not in ran.texts[0]
    ran = ip.run("%mlops runs -e even -e odd --limit 1")
    assert "r2" in ran.texts[0] and "r1" not in ran.texts[0]
    assert ip.run("%mlops runs --filter \"status = 'failed'\"").stdout == "mlops: no runs match.\n"


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        (
            "(" * 2000 + "metrics.auc > 1" + ")" * 2000,
            "Invalid filter at position 20: more than 20 nested parentheses, 'not's and signs; "
            "write the filter with fewer levels",
        ),
        (
            " or ".join(["metrics.auc > 1"] * 2000),
            "Invalid filter at position 10000: the filter is 37,996 characters long, over the "
            "limit of 10,000; write a shorter filter",
        ),
    ],
)
def test_a_hostile_filter_is_a_usage_error(ip, expr: str, message: str) -> None:
    with pytest.raises(UsageError) as info:
        ip.run(f'%mlops runs --filter "{expr}"')
    assert str(info.value) == message


def test_show_displays_the_run_text_and_html(ip) -> None:
    ip.run("%%mlops track shown --param C=0.5\n%mlops metric auc=0.75")
    run = mlops.get_run("shown")
    for ref in ("", "shown", run.short_id, run.id):
        [shown] = ip.run(f"%mlops show {ref}").displays
        assert shown["text/plain"].splitlines() == [
            f"Run shown ({run.short_id})  [finished]  experiment=Default",
            "  params:",
            "    C = 0.5",
            "  metrics:",
            "    auc = 0.75",
        ]
        assert "shown" in shown["text/html"] and "<td>C</td><td>0.5</td>" in shown["text/html"]
        assert "application/vnd.jupyter.widget-view+json" in shown  # the live panel


def test_show_defaults_to_the_active_run(ip) -> None:
    ip.run("%%mlops track earlier\nx = 1")
    ip.run("%mlops track current")
    assert ip.run("%mlops show").texts[0].startswith("Run current (")
    ip.run("%mlops stop")


def test_status_names_the_active_run_the_store_and_counts(ip, store_dir) -> None:
    ip.run("%%mlops track done\nx = 1")
    ip.run("%mlops track now")
    ran = ip.run("%mlops status")
    run = mlops.active_run()
    [status] = ran.displays
    lines = status["text/plain"].splitlines()
    assert lines == [
        f"active run  {run.label} · line form · 1 cell recorded",
        f"store       sqlite:///{store_dir.resolve()}/.mlops/mlops.db",
        f"artifacts   {store_dir.resolve()}/.mlops/objects",
        "runs        1 finished · 1 running",
        "autolog     on",
    ]
    assert "<table" in status["text/html"]
    ip.run("%mlops stop")


def test_status_with_no_runs(ip) -> None:
    text = ip.run("%mlops status").texts[0]
    assert "active run  none" in text
    assert "runs        none yet" in text


def test_runs_note_shows_the_note_rendered_and_keeps_a_cells_body(ip) -> None:
    ip.run("%%mlops track noted\nx = 1")
    assert ip.run("%mlops runs note noted").stdout.endswith("has no note\n")
    ip.run("%%mlops runs note noted\nRaw <b>html</b> is *escaped*\n")
    [shown] = ip.run("%mlops runs note noted").displays
    assert shown["text/plain"] == "Raw <b>html</b> is *escaped*"
    assert shown["text/html"] == "<p>Raw &lt;b&gt;html&lt;/b&gt; is <em>escaped</em></p>\n"
    assert ip.run("%mlops runs note noted --clear").stdout.startswith("removed the note of run")
    assert mlops.get_run_note("noted") == ""


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("%%mlops runs note noted\n\n  \n", "runs note: the cell is empty"),
        ("%%mlops runs note noted --set x\nbody", "give one of --set and a cell body, not both"),
        ("%%mlops runs note noted --clear\nbody", "give one of --clear and a cell body"),
        ("%%mlops runs\nbody", "%%mlops runs takes a cell body only as a run's note"),
        ("%%mlops runs delete noted\nbody", "%%mlops runs takes a cell body only as a run's note"),
        ("%mlops runs note", "the following arguments are required: RUN"),
        ("%mlops runs note ghost", "No run 'ghost': use a run id"),
        ("%mlops runs note noted --file missing.md", "cannot read missing.md"),
    ],
)
def test_runs_note_bad_usage_is_one_line_and_keeps_the_note(ip, cell: str, message: str) -> None:
    ip.run("%%mlops track noted\nx = 1")
    mlops.set_run_note("noted", "kept")
    with pytest.raises(UsageError, match=re.escape(message)):
        ip.run(cell)
    assert mlops.get_run_note("noted") == "kept"
    assert mlops.get_run("noted").deleted_at is None
