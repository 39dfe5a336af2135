"""The runs table, driven through its widget state as a person would use it."""

from __future__ import annotations

from collections.abc import Callable

import jupyter_mlops as mlops
from jupyter_mlops.store import Store
from jupyter_mlops.widgets.runs import RunsTable, runs_page


def test_empty_store_says_how_to_start(project: Store) -> None:
    table = mlops.widgets.runs()
    assert "No runs yet" in table.table.value
    assert "No runs yet" in table._repr_mimebundle_()["text/html"]
    assert table.next_button.disabled and table.prev_button.disabled


def test_rows_badges_and_chosen_columns(make_run: Callable[..., str]) -> None:
    make_run("alpha", params={"C": 0.5}, metrics={"auc": 0.91})
    make_run("beta", params={"C": 1.0}, metrics={"auc": 0.85}, status="failed")
    table = mlops.widgets.runs(columns=["metrics.auc"])
    body = table.table.value
    assert "alpha" in body and "beta" in body
    assert "mlops-failed" in body and "mlops-finished" in body  # status badges
    assert "<th>metrics.auc</th>" in body and "params.C" not in body
    assert table.column_picker.options == ("params.C", "metrics.auc")
    table.column_picker.value = ("params.C",)
    assert "<th>params.C</th>" in table.table.value and "metrics.auc" not in table.table.value


def test_filter_box_and_inline_error(make_run: Callable[..., str]) -> None:
    make_run("alpha", metrics={"auc": 0.91})
    make_run("beta", metrics={"auc": 0.85})
    table = mlops.widgets.runs()
    table.filter.value = "metrics.auc > 0.9"
    assert "alpha" in table.table.value and "beta" not in table.table.value
    table.filter.value = "metrics.auc >>> 1"
    assert "Filter error" in table.table.value and "error" in table.to_html()
    table.filter.value = "metrics.auc < 0"
    assert "No runs match" in table.table.value


def test_sort_by_metric_both_ways(make_run: Callable[..., str]) -> None:
    for name, auc in (("mid", 0.5), ("top", 0.9), ("low", 0.1)):
        make_run(name, metrics={"auc": auc})
    table = mlops.widgets.runs()
    table.sort.value = "metrics.auc"
    table.direction.value = "asc"
    assert [r.name for r in table.page.items] == ["low", "mid", "top"]
    table.direction.value = "desc"
    assert [r.name for r in table.page.items] == ["top", "mid", "low"]


def test_pages_come_from_the_store(make_run: Callable[..., str], project: Store) -> None:
    for i in range(5):
        make_run(f"run-{i}", metrics={"i": i})
    table = RunsTable(order_by="metrics.i asc", page_size=2, store=project)
    assert [r.name for r in table.page.items] == ["run-0", "run-1"]
    assert "page 1 of 3 (5 runs)" in table.pager.value
    table.next_button.click()
    table.next_button.click()
    assert [r.name for r in table.page.items] == ["run-4"]
    assert table.next_button.disabled
    table.prev_button.click()
    assert [r.name for r in table.page.items] == ["run-2", "run-3"]
    assert len(table.page.items) == 2  # only one page is ever read


def test_select_rows_then_compare(make_run: Callable[..., str]) -> None:
    a = make_run("alpha", params={"C": 0.5}, metrics={"auc": 0.91})
    b = make_run("beta", params={"C": 1.0}, metrics={"auc": 0.85})
    table = mlops.widgets.runs()
    table.picker.value = (a,)
    table.compare_button.click()
    assert "at least two runs" in table.message.value
    table.picker.value = (a, b)
    table.compare_button.click()
    assert table.compare_box.children and "C" in table.comparison.to_html()


def test_thousands_of_params_show_a_few_columns(make_run: Callable[..., str]) -> None:
    make_run("wide", params={f"p{i:04d}": i for i in range(1000)})
    page = runs_page()
    assert len(page.columns) == 8 and page.hidden == 992
    assert "992 more param/metric columns" in mlops.widgets.runs().table.value


def test_running_runs_refresh_by_themselves(project: Store) -> None:
    run = mlops.start_run("live", experiment="churn", store=project)
    table = RunsTable(store=project, interval=0.05)
    try:
        assert table.auto.active
        run.log_metric("loss", 0.5)
        run.end()
        table.auto._thread.join(5)  # stops once nothing runs any more
        assert not table.auto.active
        assert "mlops-finished" in table.table.value and "metrics.loss" in table.table.value
    finally:
        table.close()
    assert not table.auto._wanted()  # a closed panel never refreshes again


def test_runs_without_metrics_and_an_unknown_selected_id(make_run: Callable[..., str]) -> None:
    a = make_run("bare")
    b = make_run("bare-too")
    table = mlops.widgets.runs()
    assert "bare-too" in table.table.value and table.page.columns == []
    table.select([a, b, "0" * 32])
    table.compare_button.click()
    assert "No run '00000000000000000000000000000000'" in table.comparison.message.value
    assert "None of these runs logged metrics." in table.comparison.metrics.value


def test_child_runs_show_indented_under_their_parent(project: Store) -> None:
    with mlops.start_run("grid-search", experiment="tuning", store=project) as search:
        search.log_metric("auc", 0.9)
    for i in range(12):
        with mlops.start_run(f"trial-{i:02d}", experiment="tuning", parent=search, store=project):
            pass
    with mlops.start_run("baseline", experiment="tuning", store=project):
        pass

    table = RunsTable(store=project)
    # Collapsed at first: the parent with its count, no trial as a row of its own.
    assert [r.name for r in table.page.items] == ["baseline", "grid-search"]
    assert "▸ 12 child runs" in table.table.value
    assert "trial-03" not in table.table.value
    assert "page 1 of 1 (2 runs)" in table.pager.value
    assert table.children_picker.options == (("grid-search: ▸ 12 child runs", search.id),)

    table.children_picker.value = (search.id,)
    body = table.table.value
    assert "▾ 12 child runs" in body
    assert body.count('class="mlops-child"') == 12
    # The trials right under their parent, indented, in the table's order (newest first).
    rows = body.split("<tr")
    at = next(i for i, r in enumerate(rows) if "grid-search" in r)
    assert "└ trial-11" in rows[at + 1] and "padding-left" in rows[at + 1]
    assert "└ trial-00" in rows[at + 12]
    assert "  └ trial-00" in table.to_text()

    table.open_children([search.id], opened=False)
    assert "trial-00" not in table.table.value

    # A filter lists every matching run flat, the trials too.
    table.filter.value = "name LIKE 'trial-0%'"
    assert len(table.page.items) == 10 and 'class="mlops-child"' not in table.table.value
