"""%%mlops track: one cell as one run, through a real shell."""

from __future__ import annotations

import pytest
from IPython.core.error import UsageError

import jupyter_mlops as mlops
from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.tracking import fluent


def only_run():
    frame = mlops.search_runs()
    assert len(frame) == 1, frame
    return mlops.get_run(frame["run_id"][0])


def test_tracked_cell_is_one_finished_run_with_its_source(ip) -> None:
    cell = "%%mlops track baseline --experiment churn --tag owner=ana --param C=0.5\nx = 20\nx * 2"
    ran = ip.run(cell)
    assert ran.value == 40
    assert ip.user_ns["x"] == 20
    run = mlops.get_run("baseline")
    assert (run.status, run.experiment) == ("finished", "churn")
    assert run.tags == {"owner": "ana"}
    assert run.params == {"C": "0.5"}
    [recorded] = run.cells
    assert recorded.source == cell
    assert recorded.status == "ok"
    assert recorded.execution_count == ip.execution_count - 1
    assert recorded.duration is not None and recorded.duration >= 0
    assert fluent.active_run() is None


def test_last_expression_is_out_like_any_cell(ip) -> None:
    ip.run("%%mlops track\nvalue = [1, 2]\nvalue + [3]")
    assert ip.user_ns["Out"][ip.execution_count - 1] == [1, 2, 3]
    assert ip.run("%%mlops track\ny = 1").value is None
    assert ip.run("%%mlops track\n'only'").value == "only"


def test_ipython_syntax_works_inside(ip) -> None:
    ran = ip.run("%%mlops track\nfiles = !echo hi\n%mlops param shell=yes\nfiles")
    assert list(ran.value) == ["hi"]
    assert only_run().params == {"shell": "yes"}


def test_summary_line_is_displayed_after_the_cell(ip) -> None:
    ran = ip.run("%%mlops track sum-test --param a=1 --param b=2\n%mlops metric m=1.5\n1")
    [summary] = ran.displays
    run = only_run()
    text = summary["text/plain"]
    assert text.startswith(f"✓ run sum-test ({run.short_id}) · 2 params · 1 metric · ")
    assert text.endswith(" s")
    assert "sum-test" in summary["text/html"]


def test_failing_cell_marks_the_run_failed_and_reraises(ip) -> None:
    with pytest.raises(ZeroDivisionError):
        ip.run("%%mlops track boom\nx = 1\n1 / 0")
    run = mlops.get_run("boom")
    assert run.status == "failed"
    assert run.error.splitlines()[0] == "Traceback (most recent call last):"
    assert run.error.rstrip().endswith("ZeroDivisionError: division by zero")
    assert ", line 3, in <module>" in run.error  # numbered as in the notebook cell
    assert "jupyter_mlops" not in run.error  # only the user's frames
    [cell] = run.cells
    assert (cell.status, cell.error) == ("failed", run.error)
    assert fluent.active_run() is None


def test_failed_summary_shows_the_cross_and_the_error(ip, capsys) -> None:
    with pytest.raises(ValueError, match="bad C"):
        ip.run_cell("%%mlops track bad\nraise ValueError('bad C')")
    run = only_run()
    out = capsys.readouterr().out
    assert f"✗ run bad ({run.short_id}) failed · " in out
    assert "· ValueError: bad C" in out


def test_keyboard_interrupt_marks_the_run_killed(ip) -> None:
    with pytest.raises(KeyboardInterrupt):
        ip.run("%%mlops track stopped\nraise KeyboardInterrupt")
    run = mlops.get_run("stopped")
    assert run.status == "killed"
    assert run.cells[0].status == "killed"


def test_syntax_error_starts_no_run(ip) -> None:
    with pytest.raises(SyntaxError):
        ip.run("%%mlops track\nx = (")
    assert mlops.search_runs().empty


def test_usage_error_from_the_users_code_is_not_translated(ip) -> None:
    with pytest.raises(MlopsUsageError, match="must be a number"):
        ip.run("%%mlops track\nimport jupyter_mlops as mlops\nmlops.log_metric('auc', 'high')")
    assert only_run().status == "failed"


def test_usage_error_from_a_magic_in_the_cell_fails_the_run(ip) -> None:
    with pytest.raises(UsageError, match="must be a number"):
        ip.run("%%mlops track\n%mlops metric auc=high")
    assert only_run().status == "failed"


def test_rerunning_a_tracked_cell_makes_a_new_run_each_time(ip) -> None:
    cell = "%%mlops track again\nx = 1"
    first, second = ip.run(cell), ip.run(cell)
    assert "ended run" not in first.stdout + second.stdout
    frame = mlops.search_runs()
    assert list(frame["name"]) == ["again", "again"]
    assert set(frame["status"]) == {"finished"}


def test_tracking_while_a_run_is_active_ends_it_and_says_so(ip) -> None:
    run = mlops.start_run("left-open")
    ran = ip.run("%%mlops track next\nx = 1")
    new = mlops.get_run("next")
    assert ran.stdout == (
        f"mlops: ended run {run.label} (finished); tracking into next ({new.short_id}).\n"
    )
    assert mlops.get_run("left-open").status == "finished"
    assert new.parent_id is None
    assert fluent.active_run() is None


def test_line_run_active_then_tracked_cell_ends_the_line_run(ip) -> None:
    ip.run("%mlops track outer")
    ran = ip.run("%%mlops track inner\n2")
    assert ran.stdout.startswith("mlops: ended run outer (")
    assert mlops.get_run("outer").status == "finished"
    assert mlops.get_run("inner").status == "finished"
    ip.run("x = 3")
    assert len(mlops.get_run("outer").cells) == 2  # the track cell and the one that ended it
    assert fluent.active_run() is None


def test_no_autolog_still_records_the_cell(ip) -> None:
    ip.run("%%mlops track plain --no-autolog\nz = 5")
    run = mlops.get_run("plain")
    assert run.status == "finished"
    assert run.cells[0].source.endswith("z = 5")


def test_autolog_off_in_config(ip, store_dir) -> None:
    (store_dir / "pyproject.toml").write_text("[tool.jupyter-mlops]\nautolog = false\n")
    ip.run("%%mlops track cfg\nz = 5")
    assert mlops.get_run("cfg").status == "finished"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            "%mlops stop",
            "%mlops stop cannot run inside a %%mlops track cell: its run ends with the cell.",
        ),
        (
            "%mlops track other",
            "%mlops track cannot run inside a %%mlops track cell: the cell is one run already.",
        ),
    ],
)
def test_track_and_stop_are_refused_inside_a_tracked_cell(ip, session, line, message) -> None:
    with pytest.raises(UsageError) as info:
        ip.run(f"%%mlops track outer\nx = 1\n{line}")
    assert str(info.value) == message
    assert only_run().status == "failed"
    assert session.cell_run is None
    ip.run("%mlops track afterwards")  # the refusal left nothing behind
    ip.run("%mlops stop")
