"""The ``%mlops`` page: every verb of the router, with its parser's help."""

from __future__ import annotations

from jupyter_mlops._docgen._markdown import fence, portable
from jupyter_mlops.magics._router import VERBS, verb_module


def page() -> str:
    """Markdown for every ``%mlops`` verb in router order."""
    out = [
        "# `%mlops` magics",
        "",
        "Load with `%load_ext jupyter_mlops`. `%mlops?` prints the manual and",
        "`%mlops VERB --help` a verb's options. A verb marked *line and cell magic* also",
        "works as `%%mlops VERB` on a cell's first line.",
        "",
        "| verb | what it does |",
        "|---|---|",
    ]
    out += [f"| [`{name}`](#mlops-{name}) | {verb.summary} |" for name, verb in VERBS.items()]
    out.append("")
    for name in VERBS:
        module = verb_module(name)
        out.append(f"## %mlops {name}")
        out.append("")
        form = "line and cell magic" if module.CELL else "line magic"
        out.append(f"*{form}*")
        out.append("")
        doc = (module.__doc__ or "").strip()
        usage = doc.split("\n\n", 1)[1].strip() if "\n\n" in doc else ""
        if usage:
            out.append(fence(portable(usage)))
        out.append(fence(portable(module.parser.format_help())))
    return "\n".join(out)
