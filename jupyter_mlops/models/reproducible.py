"""The ``reproducible`` check: a promotion (or pipeline) gate that needs a certificate.

``reproducible`` passes when the newest reproducibility certificate of the model version (or
of the run that produced it) says ``reproduced``; ``reproducible(tolerance=1e-6)`` also
accepts ``reproduced within tolerance`` when the certificate's tolerance is at most 1e-6.
A certificate is stored by ``jupyter-mlops reproduce`` (``mlops.reproduce``).
"""

from __future__ import annotations

import re

from sqlalchemy import Connection

from jupyter_mlops.errors import FilterSyntaxError
from jupyter_mlops.expressions import GateResult
from jupyter_mlops.store import reproductions

_CHECK = re.compile(r"\s*reproducible\s*(?:\((?P<args>[^)]*)\))?\s*", re.IGNORECASE)
_ARGS = re.compile(r"\s*(?:tolerance\s*=\s*)?(?P<number>[0-9.eE+-]+)\s*")


def parse_reproducible(expression: str) -> float | None:
    """The tolerance of a ``reproducible`` check (0 when bare), or None for another check.

    Raises:
        FilterSyntaxError: ``reproducible(...)`` with something other than a tolerance.
    """
    found = _CHECK.fullmatch(expression)
    if found is None:
        return None
    args = found.group("args")
    if args is None or not args.strip():
        return 0.0
    number = _ARGS.fullmatch(args)
    try:
        tolerance = float(number.group("number")) if number else -1.0
    except ValueError:
        tolerance = -1.0
    if tolerance < 0:
        raise FilterSyntaxError(
            f"Invalid check {expression.strip()!r}: write reproducible or "
            "reproducible(tolerance=1e-6) (a tolerance of 0 or more).",
            expression=expression,
            position=expression.find("(") + 1,
        )
    return tolerance


def check_reproducible(
    conn: Connection,
    expression: str,
    tolerance: float,
    *,
    run_id: str | None,
    model_version_id: int | None,
    label: str,
    same_step: bool = False,
) -> GateResult:
    """Whether the newest certificate of ``label`` (a model version or run) passes the check.

    ``same_step``: a pipeline step's gate, which a certificate of an earlier run of the same
    step with the same cache key (code, params, upstream, input data) satisfies too.
    """
    text = expression.strip()
    cert = reproductions.latest(
        conn, run_id=run_id, model_version_id=model_version_id, same_step=same_step
    )
    values: dict[str, object] = {"certificate": None if cert is None else cert.id}
    if cert is None:
        return GateResult(
            text,
            False,
            values,
            f"failed: {text}: no reproducibility certificate for {label}; "
            f"run `jupyter-mlops reproduce {label}` first",
            None,
        )
    values.update(verdict=cert.verdict, tolerance=cert.tolerance)
    passed = cert.verdict == "reproduced" or (
        cert.verdict == "reproduced within tolerance" and cert.tolerance <= tolerance
    )
    detail = f"certificate #{cert.id} says {cert.verdict}"
    if cert.verdict == "reproduced within tolerance":
        detail += f" (tolerance {cert.tolerance:g})"
    if passed:
        return GateResult(text, True, values, f"passed: {text} ({detail})", None)
    why = cert.details.get("message") if cert.verdict == "not reproduced" else None
    if cert.verdict == "reproduced within tolerance":
        why = f"more than the {tolerance:g} this check accepts"
    more = f": {why}" if why else ""
    return GateResult(text, False, values, f"failed: {text}: {detail}{more}", None)
