"""What every MLflow endpoint shares: reading fields of a request, times, tags, page tokens.

MLflow's JSON is protobuf's: ``snake_case`` names, int64 as numbers or strings, repeated
fields as lists, key/value pairs as ``[{"key": ..., "value": ...}]``. Its times are epoch
milliseconds, ours seconds.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Callable
from typing import Any

from jupyter_mlops.services.mlflow_api.errors import invalid

Payload = dict[str, Any]

#: Our run status -> MLflow's, and back (MLflow's SCHEDULED is a run that has not ended).
STATUS_OUT = {"running": "RUNNING", "finished": "FINISHED", "failed": "FAILED", "killed": "KILLED"}
STATUS_IN = {v: k for k, v in STATUS_OUT.items()} | {"SCHEDULED": "running"}
#: Run tags MLflow keeps on a run that we keep elsewhere (the run's own columns).
RUN_NAME_TAG = "mlflow.runName"
#: Tags of ours that are bookkeeping of this API, never shown to an MLflow client.
HIDDEN_TAG_PREFIX = "mlops.mlflow."


def ms(seconds: float | None) -> int | None:
    """Epoch seconds as MLflow's epoch milliseconds."""
    return None if seconds is None else round(seconds * 1000)


def seconds(millis: Any, field: str) -> float:
    """MLflow's epoch milliseconds (a number or a numeric string) as seconds."""
    return whole(millis, field) / 1000.0


INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return None
    return None


def whole(value: Any, field: str) -> int:
    """An int64 field, given as a number or a string."""
    number = _as_int(value)
    if number is None:
        raise invalid(f"{field} must be a whole number, not {value!r}.")
    if not INT64_MIN <= number <= INT64_MAX:
        raise invalid(f"{field} must fit in 64 bits (-2**63 to 2**63 - 1), not {value!r}.")
    return number


def number(value: Any, field: str) -> float:
    """A double field: a number, or protobuf's ``"NaN"``, ``"Infinity"``, ``"-Infinity"``."""
    if isinstance(value, bool):
        raise invalid(f"{field} must be a number, not {value!r}.")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    raise invalid(f"{field} must be a number, not {value!r}.")


def double_out(value: float) -> float | str:
    """A double as protobuf's JSON writes it (NaN and infinities as strings)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def text(payload: Payload, field: str, *, required: bool = True) -> str:
    """A string field of the request (``required``: missing or empty is refused)."""
    value = payload.get(field)
    if value is None or value == "":
        if required:
            raise invalid(f"Missing value for required parameter '{field}'.")
        return ""
    if not isinstance(value, str):
        raise invalid(f"Parameter '{field}' must be a string, not {value!r}.")
    if "\x00" in value:
        raise invalid(f"Parameter '{field}' contains a NUL character.")
    return value


def run_id(payload: Payload) -> str:
    """The run a request names (``run_id``, or the older ``run_uuid``)."""
    value = payload.get("run_id") or payload.get("run_uuid")
    if not value:
        raise invalid("Missing value for required parameter 'run_id'.")
    return text({"run_id": value}, "run_id")


def pairs(payload: Payload, field: str) -> dict[str, str]:
    """A repeated ``{"key", "value"}`` field as a dict (later pairs win)."""
    items = payload.get(field) or []
    if not isinstance(items, list):
        raise invalid(f"Parameter '{field}' must be a list of key/value objects.")
    out: dict[str, str] = {}
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("key"), str):
            raise invalid(f"Each item of '{field}' needs a string 'key'.")
        value = item.get("value", "")
        out[item["key"]] = "" if value is None else str(value)
    return out


def pair_list(values: dict[str, str]) -> list[dict[str, str]]:
    """A dict as a repeated key/value field, in key order."""
    return [{"key": k, "value": v} for k, v in sorted(values.items())]


def visible(tags: dict[str, str]) -> dict[str, str]:
    """The tags an MLflow client sees (our bookkeeping tags left out)."""
    return {k: v for k, v in tags.items() if not k.startswith(HIDDEN_TAG_PREFIX)}


def page_token(offset: int) -> str:
    """An opaque token for the page starting at ``offset``."""
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def page_offset(token: Any) -> int:
    """The offset a token from :func:`page_token` carries (0 without one)."""
    if not token:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(str(token).encode()))
        offset = int(data["offset"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise invalid(
            f"Invalid page token {token!r}: pass the next_page_token a search returned."
        ) from None
    if offset < 0:
        raise invalid(f"Invalid page token {token!r}.")
    return offset


def max_results(payload: Payload, default: int, limit: int) -> int:
    """The ``max_results`` of a search, from 1 to ``limit``."""
    value = payload.get("max_results")
    n = default if value in (None, "") else whole(value, "max_results")
    if n < 1 or n > limit:
        raise invalid(
            f"Invalid value {n} for parameter 'max_results': it must be from 1 to {limit}."
        )
    return n


_LITERAL = r"'((?:[^']|'')*)'"
_OPS = r"(=|!=|<>|LIKE|ILIKE)"
_NAME_CLAUSE = re.compile(
    rf"\s*(?:(?:attributes?|attr)\.)?name\s*{_OPS}\s*{_LITERAL}\s*", re.IGNORECASE
)
_TAG_CLAUSE = re.compile(
    rf"\s*tags?\.(`[^`]+`|\"[^\"]+\"|[\w.\-]+)\s*{_OPS}\s*{_LITERAL}\s*", re.IGNORECASE
)

_AND = re.compile(r"\s+AND\s+", re.IGNORECASE)

#: A name and its tags -> whether they pass a filter.
Matcher = Callable[[str, dict[str, str]], bool]


def _clauses(text: str) -> list[str]:
    """``text`` cut at each ``AND`` outside quotes."""
    parts, start, quote, i = [], 0, "", 0
    while i < len(text):
        char = text[i]
        if quote:
            quote = "" if char == quote else quote
        elif char in "'`\"":
            quote = char
        elif char.isspace() and (joint := _AND.match(text, i)) is not None:
            parts.append(text[start:i])
            start = i = joint.end()
            continue
        i += 1
    parts.append(text[start:])
    return parts


def _test(op: str, value: str) -> Callable[[str | None], bool]:
    op = op.upper()
    if op == "=":
        return lambda got: got == value
    if op in ("!=", "<>"):
        # A record without the tag passes `!=` (MLflow 3's client adds
        # tag.`mlflow.prompt.is_prompt` != 'true' to every model search).
        return lambda got: got != value
    pattern = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in value)
    flags = re.IGNORECASE | re.DOTALL if op == "ILIKE" else re.DOTALL
    return lambda got: got is not None and re.fullmatch(pattern, got, flags) is not None


def _on_name(check: Callable[[str | None], bool]) -> Matcher:
    return lambda name, tags: check(name)


def _on_tag(key: str, check: Callable[[str | None], bool]) -> Matcher:
    return lambda name, tags: check(tags.get(key))


def record_matcher(text: str) -> Matcher:
    """A test of a name and its tags for MLflow's filter of experiments and registered
    models: clauses on ``name`` and ``tags.<key>`` (``tag.``, a key in backticks or double
    quotes) with ``=``, ``!=``, ``LIKE`` or ``ILIKE``, joined by ``AND`` (or none)."""
    tests: list[Matcher] = []
    if text.strip():
        for clause in _clauses(text):
            named, tagged = _NAME_CLAUSE.fullmatch(clause), _TAG_CLAUSE.fullmatch(clause)
            if named is not None:
                tests.append(_on_name(_test(named.group(1), named.group(2).replace("''", "'"))))
            elif tagged is not None:
                key = tagged.group(1)
                key = key[1:-1] if key[0] in '`"' else key
                check = _test(tagged.group(2), tagged.group(3).replace("''", "'"))
                tests.append(_on_tag(key, check))
            else:
                raise invalid(
                    f"Unsupported filter {text!r}: use clauses such as name = 'x', "
                    "name LIKE 'x%' or tags.key = 'v', joined by AND."
                )
    return lambda name, tags: all(test(name, tags) for test in tests)
