"""``%mlops schedule`` and ``%mlops monitor`` in a real IPython shell (errors re-raised)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output
from traitlets.config import Config

from jupyter_mlops import scheduler


class RaisingShell(InteractiveShell):
    def run_cell(self, raw_cell: str, store_history: bool = True, **kwargs: Any) -> Any:
        result = super().run_cell(raw_cell, store_history=store_history, **kwargs)
        result.raise_error()
        return result


@pytest.fixture
def ip(store_dir: Path) -> Iterator[RaisingShell]:
    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    shell = RaisingShell.instance(config=config)
    shell.run_cell("%load_ext jupyter_mlops")
    try:
        yield shell
    finally:
        shell.run_cell("%unload_ext jupyter_mlops")
        RaisingShell.clear_instance()


def test_schedule_add_list_export_remove(ip, make_notebook) -> None:
    make_notebook("nb.ipynb")
    with capture_output():
        ip.run_cell('%mlops schedule add s --notebook nb.ipynb --cron "0 6 * * *" -p x=2')
    assert scheduler.get("s").params == {"x": 2}
    with capture_output() as out:
        ip.run_cell("%mlops schedule list")
    assert "nb.ipynb" in str(out.outputs[0].data)
    with capture_output() as out:
        ip.run_cell("%mlops schedule export s --format crontab")
    assert "CRON_TZ=UTC" in out.stdout + str([o.data for o in out.outputs])
    with capture_output() as out:
        ip.run_cell("%mlops schedule remove s")
    assert out.stdout == "mlops: removed schedule s.\n"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            '%mlops schedule add s --notebook nb.ipynb --cron "0 6 *"',
            "Invalid cron expression '0 6 *': expected 5 fields (minute hour day-of-month "
            "month day-of-week), like '0 6 * * *'.",
        ),
        (
            '%mlops schedule add s --cron "0 6 * * *"',
            "Give exactly one of --notebook NOTEBOOK or --pipeline SPEC.",
        ),
        ("%mlops schedule pause ghost", "No schedule named 'ghost'; there are none yet."),
        (
            "%mlops schedule add s --notebook nb.ipynb",
            'Give --cron "MIN HOUR DOM MON DOW", like --cron "0 6 * * *".',
        ),
        ("%mlops monitor history ghost", None),
    ],
)
def test_bad_usage_is_a_usage_error(ip, make_notebook, line: str, message: str | None) -> None:
    make_notebook("nb.ipynb")
    with pytest.raises(UsageError) as info:
        ip.run_cell(line)
    if message is not None:
        assert str(info.value) == message
