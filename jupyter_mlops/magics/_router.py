"""The ``%mlops VERB`` router: one table entry and one module per verb.

Adding a verb is two edits: a module ``jupyter_mlops/magics/<verb>.py`` defining ``parser``
and ``main(session, args, cell)``, and one entry in :data:`VERBS`. The module is imported on
first use, so loading the extension stays cheap; a test checks the table against the modules.
"""

from __future__ import annotations

import argparse
import importlib
from typing import TYPE_CHECKING, Protocol, cast

from IPython.core.error import UsageError

from jupyter_mlops.commands.data import DATA
from jupyter_mlops.commands.grammar import Verb
from jupyter_mlops.commands.interop import EXPORT, IMPORT
from jupyter_mlops.commands.models import MODEL
from jupyter_mlops.commands.monitor import MONITOR
from jupyter_mlops.commands.pipelines import PIPELINE
from jupyter_mlops.commands.reproduce import REPRODUCE
from jupyter_mlops.commands.runs import COMPARE, DIFF, RUNS, SHOW
from jupyter_mlops.commands.schedule import SCHEDULE
from jupyter_mlops.commands.serve import SERVE_MAGIC
from jupyter_mlops.errors import MlopsUsageError, OptionError
from jupyter_mlops.magics._args import HelpShown, VerbParser

if TYPE_CHECKING:
    from jupyter_mlops.tracking.notebook import NotebookSession


VERBS: dict[str, Verb] = {
    "track": Verb(
        "track",
        "Track one cell (%%mlops) or every following cell (%mlops) as one run.",
        "%%mlops track churn-baseline --experiment churn --tag owner=ana --param C=0.5",
    ),
    "stop": Verb("stop", "End the run started by %mlops track.", "%mlops stop"),
    "param": Verb("param", "Log params into the active run.", "%mlops param C=0.5 penalty=l2"),
    "metric": Verb("metric", "Log metrics into the active run.", "%mlops metric auc=0.93 --step 3"),
    "runs": RUNS,
    "show": SHOW,
    "compare": COMPARE,
    "diff": DIFF,
    "data": DATA,
    "model": MODEL,
    "pipeline": PIPELINE,
    "lineage": Verb(
        "lineage",
        "Show where a dataset version, run or model version came from and led to.",
        "%mlops lineage models:/churn@production",
    ),
    "schedule": SCHEDULE,
    "import": IMPORT,
    "export": EXPORT,
    "monitor": MONITOR,
    "serve": SERVE_MAGIC,
    "reproduce": REPRODUCE,
    "status": Verb("status", "Show the active run, the store and run counts.", "%mlops status"),
    "config": Verb(
        "config",
        "Show every setting, its value and where it came from (env, pyproject.toml, default).",
        "%mlops config",
    ),
}


class VerbModule(Protocol):
    """The contract of ``jupyter_mlops.magics.<verb>``."""

    parser: VerbParser
    CELL: bool

    def main(self, session: NotebookSession, args: argparse.Namespace, cell: str | None) -> object:
        """Run the verb; the return value is shown as the cell's ``Out``."""


def manual() -> str:
    """The ``%mlops?`` help: every verb with one example."""
    width = max(map(len, VERBS))
    lines = [
        "Track experiments from the notebook (load with ``%load_ext jupyter_mlops``).",
        "",
        "Usage: ``%mlops VERB [options]``, or ``%%mlops track [options]`` on a cell's first line.",
        "``%mlops VERB --help`` prints a verb's options.",
        "",
        "Verbs::",
        "",
    ]
    for name, verb in VERBS.items():
        lines.append(f"  {name.ljust(width)}  {verb.summary}")
        lines.append(f"  {' ' * width}  {verb.example}")
    return "\n".join(lines) + "\n"


def verb_module(verb: str) -> VerbModule:
    """Import the module implementing ``verb``."""
    return cast("VerbModule", importlib.import_module(f"jupyter_mlops.magics.{verb}"))


def dispatch(session: NotebookSession, line: str, cell: str | None) -> object:
    """Route ``%mlops VERB ARGS`` (or ``%%mlops VERB ARGS`` with ``cell``) to its verb module.

    Raises:
        UsageError: for a missing or unknown verb, bad arguments, or an MlopsUsageError
            raised by the API (same one-line message).
    """
    __tracebackhide__ = True
    verb, _, rest = line.strip().partition(" ")
    if verb in ("", "-h", "--help", "help"):
        if verb:
            print(manual())
            return None
        raise UsageError(f"Give a verb: %mlops VERB. Valid verbs: {', '.join(VERBS)}.")
    if verb not in VERBS:
        raise UsageError(f"Unknown verb {verb!r} for %mlops. Valid verbs: {', '.join(VERBS)}.")
    module = verb_module(verb)
    if cell is not None and not module.CELL:
        raise UsageError(f"%%mlops {verb} is not a cell magic; use %mlops {verb} on a line.")
    try:
        args = module.parser.parse(rest)
    except HelpShown:
        return None
    try:
        return module.main(session, args, cell)
    except OptionError as exc:
        raise UsageError(f"%mlops {exc.verb}: {exc}. See %mlops {exc.verb} --help.") from None
    except MlopsUsageError as exc:
        if exc is session.cell_exception:
            raise  # raised by the user's code in a tracked cell: theirs to see in full
        raise UsageError(str(exc)) from None
    finally:
        session.cell_exception = None
