"""The %mlops router: its table, its manual, its errors."""

from __future__ import annotations

import pkgutil

import pytest
from IPython.core.error import UsageError

import jupyter_mlops.magics
from jupyter_mlops.magics._router import VERBS, manual, verb_module

VERB_LIST = ", ".join(VERBS)  # table order; the drift test checks the table itself


def test_router_table_matches_verb_modules() -> None:
    modules = {
        m.name for m in pkgutil.iter_modules(jupyter_mlops.magics.__path__) if m.name[0] != "_"
    }
    assert set(VERBS) == modules


@pytest.mark.parametrize("verb", list(VERBS))
def test_each_verb_module_keeps_the_contract(verb: str) -> None:
    module = verb_module(verb)
    assert module.parser.prog == f"%mlops {verb}"
    assert module.parser.description.startswith(VERBS[verb].summary)
    assert isinstance(module.CELL, bool)
    assert callable(module.main)
    assert VERBS[verb].example.lstrip("%").startswith(f"mlops {verb}")


def test_the_magic_docstring_is_the_manual_with_every_verb(ip) -> None:
    doc = ip.find_magic("mlops").__doc__
    assert doc == manual()
    for verb, entry in VERBS.items():
        assert f"  {verb} " in doc
        assert entry.example in doc


def test_load_registers_the_magic_and_two_events_only(ip) -> None:
    assert ip.find_line_magic("mlops") is not None
    assert ip.find_cell_magic("mlops") is not None
    mine = {
        event: [cb for cb in callbacks if "jupyter_mlops" in getattr(cb, "__module__", "")]
        for event, callbacks in ip.events.callbacks.items()
    }
    assert {e: len(cbs) for e, cbs in mine.items() if cbs} == {
        "pre_run_cell": 1,
        "post_run_cell": 1,
    }
    ip.run_cell("%reload_ext jupyter_mlops")
    assert len([cb for cb in ip.events.callbacks["post_run_cell"] if "mlops" in repr(cb)]) == 1


def test_unload_removes_the_magic_and_events(ip) -> None:
    ip.run_cell("%unload_ext jupyter_mlops")
    assert ip.find_magic("mlops") is None
    assert not [cb for cb in ip.events.callbacks["pre_run_cell"] if "mlops" in repr(cb)]
    ip.run_cell("%load_ext jupyter_mlops")


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("%mlops", f"Give a verb: %mlops VERB. Valid verbs: {VERB_LIST}."),
        ("%mlops   ", f"Give a verb: %mlops VERB. Valid verbs: {VERB_LIST}."),
        ("%mlops frobnicate", f"Unknown verb 'frobnicate' for %mlops. Valid verbs: {VERB_LIST}."),
        ("%mlops TRACK", f"Unknown verb 'TRACK' for %mlops. Valid verbs: {VERB_LIST}."),
        ("%%mlops\nx = 1", f"Give a verb: %mlops VERB. Valid verbs: {VERB_LIST}."),
        ("%%mlops stop\nx = 1", "%%mlops stop is not a cell magic; use %mlops stop on a line."),
        ("%%mlops show\nx = 1", "%%mlops show is not a cell magic; use %mlops show on a line."),
        (
            "%%mlops runs\nx = 1",
            "%%mlops runs takes a cell body only as a run's note: %%mlops runs note RUN.",
        ),
        (
            "%mlops stop now",
            "%mlops stop: unrecognized arguments: now. See %mlops stop --help.",
        ),
        (
            "%mlops track a b",
            "%mlops track: unrecognized arguments: b. See %mlops track --help.",
        ),
        (
            "%mlops track --tag owner",
            "%mlops track: argument --tag: expected KEY=VALUE, got 'owner'. "
            "See %mlops track --help.",
        ),
        (
            "%mlops track --param =1",
            "%mlops track: argument --param: expected KEY=VALUE, got '=1'. "
            "See %mlops track --help.",
        ),
        (
            "%mlops track --experiment",
            "%mlops track: argument --experiment/-e: expected one argument. "
            "See %mlops track --help.",
        ),
        (
            '%%mlops track ""\nx = 1',
            "%mlops track: argument NAME: must not be empty. See %mlops track --help.",
        ),
        (
            "%mlops track --experiment ' '",
            "%mlops track: argument --experiment/-e: must not be empty. See %mlops track --help.",
        ),
        (
            "%mlops track 'unclosed",
            '%mlops track: No closing quotation in "\'unclosed".',
        ),
        (
            "%mlops param",
            "%mlops param: the following arguments are required: K=V. See %mlops param --help.",
        ),
        (
            "%mlops param C",
            "%mlops param: argument K=V: expected KEY=VALUE, got 'C'. See %mlops param --help.",
        ),
        (
            "%mlops param C=1",
            "No active run: start one with `with mlops.start_run():` or `%mlops track`.",
        ),
        (
            "%mlops metric auc=high",
            "%mlops metric: argument K=V: the value of 'auc' must be a number, not 'high'. "
            "See %mlops metric --help.",
        ),
        (
            "%mlops metric auc=0.9 --step x",
            "%mlops metric: argument --step: invalid int value: 'x'. See %mlops metric --help.",
        ),
        (
            "%mlops metric auc=0.9",
            "No active run: start one with `with mlops.start_run():` or `%mlops track`.",
        ),
        (
            "%mlops runs --limit -1",
            "%mlops runs: argument -n/--limit: expected zero or more, not -1. "
            "See %mlops runs --help.",
        ),
        (
            "%mlops show",
            "No run tracked in this session yet: give one, %mlops show RUN.",
        ),
        (
            "%mlops show nosuchrun",
            "No run 'nosuchrun': use a run id, a short id of 4+ characters or a run name "
            "(`jupyter-mlops runs` lists them).",
        ),
        (
            "%mlops show a b",
            "%mlops show: unrecognized arguments: b. See %mlops show --help.",
        ),
    ],
)
def test_bad_usage_is_one_line_usage_error(ip, cell: str, message: str) -> None:
    with pytest.raises(UsageError) as info:
        ip.run(cell)
    assert str(info.value) == message


def test_bad_filter_is_a_usage_error_naming_the_problem(ip) -> None:
    with pytest.raises(UsageError) as info:
        ip.run('%mlops runs --filter "metrics.auc >"')
    assert "\n" not in str(info.value)
    assert str(info.value)


@pytest.mark.parametrize("verb", list(VERBS))
def test_verb_help_prints_usage_and_example_without_error(ip, verb: str) -> None:
    ran = ip.run(f"%mlops {verb} --help")
    assert ran.value is None
    assert ran.stdout.startswith(f"usage: %mlops {verb}")
    assert VERBS[verb].summary in ran.stdout
    assert f"Example:\n  {VERBS[verb].example}" in ran.stdout


@pytest.mark.parametrize("line", ["%mlops --help", "%mlops -h", "%mlops help"])
def test_mlops_help_prints_the_manual(ip, line: str) -> None:
    assert ip.run(line).stdout == manual() + "\n"


def test_help_on_a_tracked_cell_runs_nothing(ip) -> None:
    ran = ip.run("%%mlops track --help\nside_effect = 1")
    assert "usage: %mlops track" in ran.stdout
    assert "side_effect" not in ip.user_ns
    assert ip.run("%mlops runs").stdout == "mlops: no runs match.\n"
