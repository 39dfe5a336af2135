"""The run filter: the shared grammar read as comparisons of run keys."""

from __future__ import annotations

import pytest

from jupyter_mlops.errors import FilterSyntaxError, MlopsUsageError
from jupyter_mlops.expressions import And, Comparison, Not, Or, parse_filter


def metric(key: str, op: str, value: object) -> Comparison:
    return Comparison("metric", key, op, value)  # type: ignore[arg-type]


def param(key: str, op: str, value: object) -> Comparison:
    return Comparison("param", key, op, value)  # type: ignore[arg-type]


def tag(key: str, op: str, value: object) -> Comparison:
    return Comparison("tag", key, op, value)  # type: ignore[arg-type]


def attr(key: str, op: str, value: object) -> Comparison:
    return Comparison("attribute", key, op, value)  # type: ignore[arg-type]


AUC = metric("auc", ">", 0.9)
C = param("C", "=", "0.5")
OWNER = tag("owner", "=", "ana")


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        # comparisons and operators
        ("metrics.auc > 0.9", AUC),
        ("metrics.auc >= 1", metric("auc", ">=", 1)),
        ("metrics.auc < -1.5e-3", metric("auc", "<", -0.0015)),
        ("metrics.auc <= +2", metric("auc", "<=", 2)),
        ("metrics.auc == 1", metric("auc", "=", 1)),
        ("metrics.auc = .5", metric("auc", "=", 0.5)),
        ("metrics.auc != 1", metric("auc", "!=", 1)),
        ("metrics.auc <> 1", metric("auc", "!=", 1)),
        ("metrics.auc IN (1, 2.5)", metric("auc", "IN", (1, 2.5))),
        ("metrics.auc not in (1)", metric("auc", "NOT IN", (1,))),
        ("metrics.auc IS NULL", metric("auc", "IS NULL", None)),
        ("metrics.auc is not null", metric("auc", "IS NOT NULL", None)),
        # keys: dotted, quoted, prefix aliases
        ("metrics.drift.share < 0.3", metric("drift.share", "<", 0.3)),
        ("metrics.`val-loss` < 1", metric("val-loss", "<", 1)),
        ('metrics."val loss" < 1', metric("val loss", "<", 1)),
        ("metric.auc > 0.9", AUC),
        ("Metrics.auc > 0.9", AUC),
        ("metrics.5fold_auc > 0.9", metric("5fold_auc", ">", 0.9)),
        ("params.C = '0.5'", C),
        ('param.C = "0.5"', C),
        ("tag.`mlflow.user` = 'ana'", tag("mlflow.user", "=", "ana")),
        # params and tags compare as text; numbers stand for their Python string form
        ("params.C = 0.5", C),
        ("params.max_iter = 100", param("max_iter", "=", "100")),
        ("params.C = 1e3", param("C", "=", "1000.0")),
        ("params.C in (0.5, '1')", param("C", "IN", ("0.5", "1"))),
        ("params.solver LIKE 'lb%'", param("solver", "LIKE", "lb%")),
        ("params.solver ilike 'LB%'", param("solver", "ILIKE", "LB%")),
        ("params.solver not like 'lb%'", param("solver", "NOT LIKE", "lb%")),
        ("params.solver NOT ILIKE 'x'", param("solver", "NOT ILIKE", "x")),
        ("tags.owner = 'ana'", OWNER),
        # strings: no backslash escapes (MLflow), doubled quotes, LIKE escapes kept
        (r"tags.note = 'it\'s'", tag("note", "=", "it\\'s")),
        ("tags.note = 'it''s'", tag("note", "=", "it's")),
        (r'tags.note = "say \"hi\""', tag("note", "=", 'say \\"hi\\"')),
        (r"tags.note = 'a\\b\tc'", tag("note", "=", "a\\\\b\\tc")),
        (r"params.path = 'C:\temp\x'", param("path", "=", "C:\\temp\\x")),
        (r"tags.note like '100\%'", tag("note", "LIKE", "100\\%")),
        # attributes
        ("status = 'FINISHED'", attr("status", "=", "finished")),
        ("attributes.status != 'failed'", attr("status", "!=", "failed")),
        ("attribute.run_name = 'x'", attr("name", "=", "x")),
        ("name like 'brisk-%'", attr("name", "LIKE", "brisk-%")),
        ("experiment = 'churn'", attr("experiment", "=", "churn")),
        ("run_id = 'ab12'", attr("run_id", "=", "ab12")),
        ("user = 'ana'", attr("user", "=", "ana")),
        ("parent_id is null", attr("parent_id", "IS NULL", None)),
        ("duration > 60", attr("duration", ">", 60)),
        ("start_time >= 1700000000", attr("start_time", ">=", 1700000000)),
        ("start_time > '2024-01-01'", attr("start_time", ">", 1704067200.0)),
        ("end_time < '2024-01-01T01:00:00+01:00'", attr("end_time", "<", 1704067200.0)),
        ("status in ('running', 'Killed')", attr("status", "IN", ("running", "killed"))),
        # logic and precedence: not > and > or
        ("metrics.auc > 0.9 and params.C = '0.5'", And((AUC, C))),
        ("metrics.auc > 0.9 AND params.C = '0.5' And tags.owner = 'ana'", And((AUC, C, OWNER))),
        ("metrics.auc > 0.9 or params.C = '0.5'", Or((AUC, C))),
        (
            "metrics.auc > 0.9 or params.C = '0.5' and tags.owner = 'ana'",
            Or((AUC, And((C, OWNER)))),
        ),
        (
            "(metrics.auc > 0.9 or params.C = '0.5') and tags.owner = 'ana'",
            And((Or((AUC, C)), OWNER)),
        ),
        ("not metrics.auc > 0.9", Not(AUC)),
        ("NOT NOT metrics.auc > 0.9", Not(Not(AUC))),
        ("not metrics.auc > 0.9 and params.C = '0.5'", And((Not(AUC), C))),
        ("not (metrics.auc > 0.9 or params.C = '0.5')", Not(Or((AUC, C)))),
        ("((metrics.auc > 0.9))", AUC),
        ("  metrics.auc>0.9  ", AUC),
    ],
)
def test_parse_filter(expr: str, expected: object) -> None:
    assert parse_filter(expr) == expected


@pytest.mark.parametrize("expr", [None, "", "   ", "\n\t"])
def test_empty_filter_is_none(expr: str | None) -> None:
    assert parse_filter(expr) is None


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        (
            "metrics.auc auc2 > 1",
            "Invalid filter at position 12: expected a comparison operator after 'metrics.auc', "
            "found 'auc2'",
        ),
        (
            "metrics.auc > 'x'",
            "Invalid filter at position 14: expected a number after 'metrics.auc >', found 'x'",
        ),
        (
            "metrics.auc > -'x'",
            "Invalid filter at position 14: expected a number after 'metrics.auc >', found '-'",
        ),
        (
            "metrics.auc in (1, 'x')",
            "Invalid filter at position 19: expected a number in the IN list of 'metrics.auc', "
            "found 'x'",
        ),
        (
            "metrics.auc like 'x%'",
            "Invalid filter at position 12: 'LIKE' compares strings; metrics.auc is a number "
            "(use =, !=, <, <=, >, >= or IN)",
        ),
        (
            "params.C > 1",
            "Invalid filter at position 9: '>' compares numbers; params.C is a string "
            "(use =, !=, LIKE or IN)",
        ),
        (
            "params.C like 5",
            "Invalid filter at position 14: expected a string pattern after 'params.C LIKE', "
            "found '5'",
        ),
        (
            "params.C = null",
            "Invalid filter at position 11: expected a string after 'params.C =', found 'null'",
        ),
        (
            "auc > 0.9",
            "Invalid filter at position 0: unknown attribute 'auc'; expected one of duration, "
            "end_time, experiment, name, parent_id, run_id, start_time, status, user "
            "or metrics.KEY, params.KEY, tags.KEY",
        ),
        (
            "attributes.auc > 0.9",
            "Invalid filter at position 0: unknown attribute 'attributes.auc'; expected one of "
            "duration, end_time, experiment, name, parent_id, run_id, start_time, status, user "
            "or metrics.KEY, params.KEY, tags.KEY",
        ),
        (
            "metric2.auc > 0.9",
            "Invalid filter at position 0: unknown prefix 'metric2.' in 'metric2.auc'; "
            "expected metrics., params., tags. or attributes.",
        ),
        (
            "status = 'done'",
            "Invalid filter at position 9: unknown status 'done'; "
            "expected one of failed, finished, killed, running, scheduled",
        ),
        (
            "start_time > 'yesterday'",
            "Invalid filter at position 13: expected a number (epoch seconds, or milliseconds "
            "as in MLflow) or an ISO date "
            "after 'start_time >', found 'yesterday'",
        ),
        (
            "(metrics.auc > 0.9",
            "Invalid filter at position 18: expected ')' to close the '(' at position 0, "
            "found the end of the filter",
        ),
        (
            "metrics.auc > 0.9)",
            "Invalid filter at position 17: expected 'and', 'or' or the end of the filter, "
            "found ')'",
        ),
        (
            "metrics.auc > 0.9 params.C = '1'",
            "Invalid filter at position 18: expected 'and', 'or' or the end of the filter, "
            "found 'params.C'",
        ),
        (
            "metrics.auc > 0.9 and",
            "Invalid filter at position 21: expected a metric, param, tag or attribute name, "
            "found the end of the filter",
        ),
        (
            "and metrics.auc > 0.9",
            "Invalid filter at position 0: expected a metric, param, tag or attribute name, "
            "found 'and'",
        ),
        (
            "()",
            "Invalid filter at position 1: expected a metric, param, tag or attribute name, "
            "found ')'",
        ),
        (
            "metrics.auc >",
            "Invalid filter at position 13: expected a number after 'metrics.auc >', "
            "found the end of the filter",
        ),
        (
            "metrics.auc is 1",
            "Invalid filter at position 15: expected NULL or NOT NULL after 'metrics.auc IS', "
            "found '1'",
        ),
        (
            "metrics.auc not > 1",
            "Invalid filter at position 16: expected IN, LIKE or ILIKE after 'metrics.auc NOT', "
            "found '>'",
        ),
        (
            "metrics.auc in 1",
            "Invalid filter at position 15: expected '(' after 'metrics.auc IN', found '1'",
        ),
        (
            "metrics.auc in (1 2)",
            "Invalid filter at position 18: expected ',' or ')' in the IN list, found '2'",
        ),
        (
            "metrics.auc in ()",
            "Invalid filter at position 16: expected a number in the IN list of 'metrics.auc', "
            "found ')'",
        ),
        (
            "metrics.auc = * 1",
            "Invalid filter at position 14: expected a number after 'metrics.auc =', found '*'",
        ),
        # tokenizer errors
        (
            "metrics. > 1",
            "Invalid filter at position 8: expected a key after 'metrics.', found a space",
        ),
        (
            "metrics.",
            "Invalid filter at position 8: expected a key after 'metrics.', "
            "found the end of the filter",
        ),
        (
            "metrics.`` > 1",
            "Invalid filter at position 8: expected a key between the quotes, found none",
        ),
        (
            "params.C = 'abc",
            "Invalid filter at position 11: unterminated string; expected a closing '",
        ),
        (
            "metrics.`val-loss > 1",
            "Invalid filter at position 8: unterminated string; expected a closing `",
        ),
        ("metrics.auc > 1.5.3", "Invalid filter at position 14: invalid number '1.5.3'"),
        ("metrics.auc > 1abc", "Invalid filter at position 14: invalid number '1abc'"),
        ("metrics.auc ! 1", "Invalid filter at position 12: unexpected character '!'"),
        ("metrics.auc > 1; drop", "Invalid filter at position 15: unexpected character ';'"),
    ],
)
def test_filter_errors(expr: str, message: str) -> None:
    with pytest.raises(FilterSyntaxError) as info:
        parse_filter(expr)
    assert str(info.value) == message


def test_filter_error_fields() -> None:
    with pytest.raises(FilterSyntaxError) as info:
        parse_filter("metrics.auc auc2 > 1")
    err = info.value
    assert err.position == 12  # type: ignore[attr-defined]
    assert err.expression == "metrics.auc auc2 > 1"  # type: ignore[attr-defined]
    assert isinstance(err, MlopsUsageError)
