"""The filter language page, from the expressions package's own docstring and name tables."""

from __future__ import annotations

import re

from jupyter_mlops._docgen._markdown import fence

_ROLE = re.compile(r":(?:func|data|class|mod):`~?(?:[\w.]+\.)?(\w+)`")
_CODE = re.compile(r"``(.+?)``(?!`)")


def _markdown(rst: str) -> str:
    """The docstring's reST as markdown: literals, roles and the one ``::`` block."""
    out: list[str] = []
    block = False
    for line in rst.splitlines():
        if block:
            if line.strip() and not line.startswith("    "):
                while out and not out[-1]:
                    out.pop()
                out.extend(["```", ""])
                block = False
            else:
                out.append(line[4:])
                continue
        if line.endswith("::"):
            out.append(_inline(line[:-1]))
            out.append("")
            out.append("```text")
            block = True
            continue
        out.append(_inline(line))
    if block:
        out.append("```")
    # Drop the blank line that followed '::' inside the fence.
    return re.sub(r"```text\n\n", "```text\n", "\n".join(out))


def _inline(text: str) -> str:
    text = _ROLE.sub(r"``\1``", text)
    return _CODE.sub(lambda m: f"`` {m[1]} ``" if "`" in m[1] else f"`{m[1]}`", text)


def page() -> str:
    """``filter-language.md``: the grammar and the names a run filter and order_by take."""
    import jupyter_mlops.expressions as ex
    from jupyter_mlops.expressions import filters

    doc = ex.__doc__ or ""
    title, _, body = doc.partition("\n")
    attrs = "\n".join(
        f"| `{name}` | {'number' if numeric else 'text'} |"
        for name, numeric in ex.ATTRIBUTES.items()
    )
    examples = "\n".join(
        [
            "metrics.roc_auc > 0.9 and params.C = '0.5'",
            "tags.mlflow.runName LIKE 'baseline%' or attributes.status != 'FINISHED'",
            "`metrics`.`val-loss` < 0.2 and attributes.start_time > 1700000000000",
            "not (params.solver IN ('saga', 'lbfgs')) and metrics.auc IS NOT NULL",
            r"params.path = 'C:\temp\x' and start_time >= '2024-01-01'",
        ]
    )
    return f"""# Filter language

Generated from `jupyter_mlops/expressions` (its docstring and name tables). The same
language filters runs (`search_runs`, `--filter`, the REST `filter`), orders them
(`order_by`) and writes gates (promotion `--check`, a pipeline step's `gate`). How it
differs from MLflow's is listed in `docs/from-mlflow.md`.

{_inline(title)}

{_markdown(body.strip())}

## Examples

{fence(examples).rstrip()}

## Attributes

| name | compares as |
|---|---|
{attrs}

Run statuses: {", ".join(f"`{s}`" for s in filters.FILTER_STATUSES)} (any case). A time
literal of at least `{int(filters.MILLISECONDS_FROM):,}` is epoch milliseconds.
"""
