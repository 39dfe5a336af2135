"""``%mlops schedule`` and ``%mlops monitor`` in a real IPython shell (errors re-raised)."""

from __future__ import annotations

import pytest
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output

from jupyter_mlops import scheduler


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
            "%mlops schedule add: argument --cron: is required. See %mlops schedule add --help.",
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
