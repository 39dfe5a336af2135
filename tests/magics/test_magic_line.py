"""%mlops track (line form): every following cell into one run, until %mlops stop."""

from __future__ import annotations

import pytest

import jupyter_mlops as mlops
from jupyter_mlops.tracking import fluent


def test_cells_after_track_are_recorded_until_stop(ip, session) -> None:
    ran = ip.run("%mlops track lineform --experiment exp --param lr=0.1")
    run = fluent.active_run()
    assert run is not None and run.name == "lineform"
    assert ran.stdout == f"mlops: tracking every cell into run {run.label} until %mlops stop.\n"
    ip.run("a = 1")
    ip.run("%mlops metric loss=0.5\n%mlops metric loss=0.25")
    ran = ip.run("%mlops stop")
    assert fluent.active_run() is None
    assert ran.texts[0].startswith(
        f"✓ run lineform ({run.short_id}) · 4 cells · 1 param · 1 metric"
    )
    ip.run("b = 2")  # after stop: not recorded
    record = mlops.get_run("lineform")
    assert record.status == "finished"
    assert record.experiment == "exp"
    assert [c.source for c in record.cells] == [
        "%mlops track lineform --experiment exp --param lr=0.1",
        "a = 1",
        "%mlops metric loss=0.5\n%mlops metric loss=0.25",
        "%mlops stop",
    ]
    assert [c.execution_count for c in record.cells] == [2, 3, 4, 5]  # In[1] was %load_ext
    assert [p.value for p in mlops.get_metric_history("lineform", "loss")] == [0.5, 0.25]
    assert not session.capturing


def test_code_after_track_in_the_same_cell_is_recorded(ip) -> None:
    ip.run("%mlops track same\nx = 1")
    ip.run("%mlops stop")
    [cell] = mlops.get_run("same").cells[:1]
    assert cell.source == "%mlops track same\nx = 1"


def test_a_failing_cell_is_recorded_failed_and_the_run_goes_on(ip, session) -> None:
    ip.run("%mlops track survives")
    with pytest.raises(ZeroDivisionError):
        ip.run("1 / 0")
    assert not session.capturing  # the failing cell left no capture switched on
    with pytest.raises(SyntaxError):
        ip.run("x = (")
    assert not session.capturing
    ip.run("y = 2")
    assert fluent.active_run() is not None
    ip.run("%mlops stop")
    record = mlops.get_run("survives")
    assert record.status == "finished"
    assert [c.status for c in record.cells] == ["ok", "failed", "failed", "ok", "ok"]
    assert record.cells[1].error.rstrip().endswith("ZeroDivisionError: division by zero")
    assert "SyntaxError" in record.cells[2].error


def test_interrupted_cell_is_recorded_killed(ip, session) -> None:
    ip.run("%mlops track interrupted")
    with pytest.raises(KeyboardInterrupt):
        ip.run("raise KeyboardInterrupt")
    assert not session.capturing
    ip.run("%mlops stop")
    assert [c.status for c in mlops.get_run("interrupted").cells] == ["ok", "killed", "ok"]


def test_capture_is_on_only_during_cells(ip, session) -> None:
    ip.run("%mlops track window")
    assert not session.capturing
    ip.run("inside = get_ipython().magics_manager.registry['MlopsMagics'].session.capturing")
    assert ip.user_ns["inside"] is True
    ip.run("%mlops stop")
    ip.run("inside = get_ipython().magics_manager.registry['MlopsMagics'].session.capturing")
    assert ip.user_ns["inside"] is False


def test_track_again_ends_the_previous_run_and_says_so(ip) -> None:
    ip.run("%mlops track first")
    first = fluent.active_run()
    ran = ip.run("%mlops track second")
    second = fluent.active_run()
    assert ran.stdout.splitlines() == [
        f"mlops: ended run {first.label} (finished); tracking into {second.label}.",
        f"mlops: tracking every cell into run {second.label} until %mlops stop.",
    ]
    ip.run("x = 1")
    ip.run("%mlops stop")
    assert mlops.get_run("first").status == "finished"
    assert [c.source for c in mlops.get_run("second").cells] == [
        "%mlops track second",
        "x = 1",
        "%mlops stop",
    ]
    assert mlops.get_run("second").parent_id is None


def test_stop_without_a_run_says_so(ip) -> None:
    assert ip.run("%mlops stop").stdout == "mlops: no run in progress.\n"


def test_stop_ends_a_run_started_from_python(ip) -> None:
    run = mlops.start_run("api")
    ran = ip.run("%mlops stop")
    assert ran.texts[0].startswith(f"✓ run api ({run.short_id}) · ")
    assert "cells" not in ran.texts[0]
    assert mlops.get_run("api").status == "finished"


def test_a_run_ended_from_python_is_forgotten_by_the_line_form(ip, session) -> None:
    ip.run("%mlops track ended-elsewhere")
    ip.run("import jupyter_mlops as mlops\nmlops.end_run()")
    ip.run("x = 1")
    assert session.line_run is None and not session.capturing
    assert ip.run("%mlops stop").stdout == "mlops: no run in progress.\n"
    assert mlops.get_run("ended-elsewhere").status == "finished"


def test_unload_ends_the_line_run(ip) -> None:
    ip.run("%mlops track unloaded")
    ip.run_cell("%unload_ext jupyter_mlops")
    assert fluent.active_run() is None
    assert mlops.get_run("unloaded").status == "finished"
    ip.run_cell("%load_ext jupyter_mlops")


def test_param_and_metric_go_into_the_line_run(ip) -> None:
    ip.run("%mlops track verbs")
    ip.run("%mlops param C=0.5 penalty=l2 layers=[64,32] name='quoted' note=\"two words\"")
    ip.run("%mlops metric auc=0.91 n=3 --step 7")
    ip.run("%mlops stop")
    run = mlops.get_run("verbs")
    assert run.params == {
        "C": "0.5",
        "penalty": "l2",
        "layers": "[64, 32]",
        "name": "quoted",
        "note": "two words",
    }
    assert run.metrics == {"auc": 0.91, "n": 3.0}
    assert [p.step for p in mlops.get_metric_history("verbs", "auc")] == [7]
