"""The value evaluator: gates against a context of values."""

import math
import pickle

import pytest

from jupyter_mlops.errors import FilterSyntaxError, GateRefused
from jupyter_mlops.expressions import GateResult, Missing, evaluate, parse_gate

CONTEXT = {
    "metrics": {"roc_auc": 0.9, "loss": 0.25, "val.auc": 0.8, "val-loss": 0.3, "nan": math.nan},
    "params": {"C": "0.5", "solver": "lbfgs"},
    "tags": {"reviewed": "yes"},
    "version": 3,
    "production": {"metrics": {"roc_auc": 0.88}, "params": {}, "tags": {}, "version": 2},
    "staging": Missing("no version of 'churn' holds stage 'staging' yet"),
}


@pytest.mark.parametrize(
    ("expression", "passed", "values"),
    [
        ("metrics.roc_auc >= 0.85", True, {"metrics.roc_auc": 0.9}),
        ("metrics.roc_auc > 0.95", False, {"metrics.roc_auc": 0.9}),
        (
            "metrics.roc_auc >= production.metrics.roc_auc - 0.01",
            True,
            {
                "metrics.roc_auc": 0.9,
                "production.metrics.roc_auc": 0.88,
                "production.metrics.roc_auc - 0.01": pytest.approx(0.87),
            },
        ),
        ("tags.reviewed = 'yes'", True, {"tags.reviewed": "yes"}),
        ('tags.reviewed != "yes"', False, {"tags.reviewed": "yes"}),
        ("params.C = 0.5", True, {"params.C": "0.5"}),
        ("params.C * 2 = 1", True, {"params.C": "0.5", "params.C * 2": 1.0}),
        ("params.solver = 'lbfgs' and not metrics.loss > 0.3", True, None),
        ("metrics.loss > 0.3 or metrics.roc_auc > 0.8", True, None),
        ("metrics.loss > 0.3 OR metrics.roc_auc > 0.95", False, None),
        ("1 + 2 * 3 = 7", True, {"1 + 2 * 3": 7}),
        ("(1 + 2) * 3 = 9", True, {"(1 + 2) * 3": 9}),
        ("10 / 4 - -1 = 3.5", True, None),
        ("-metrics.loss < 0", True, None),
        (
            "(metrics.loss < 0.3 or metrics.roc_auc < 0) and version > production.version",
            True,
            None,
        ),
        ("metrics.`val-loss` < 0.5", True, {"metrics.`val-loss`": 0.3}),
        ("metrics.val.auc = 0.8", True, {"metrics.val.auc": 0.8}),
        ("true", True, {}),
        ("metrics.roc_auc <> 0.9", False, None),
    ],
)
def test_evaluate(expression, passed, values):
    result = evaluate(expression, CONTEXT)
    assert result.error is None, result.message
    assert result.passed is passed
    assert result.status == ("passed" if passed else "failed")
    if values is not None:
        assert result.values == values
    assert result.message.startswith("passed: " if passed else "failed: ")


@pytest.mark.parametrize(
    ("expression", "error"),
    [
        # syntax
        ("", "Invalid gate at position 0: the gate is empty; write e.g. metrics.roc_auc >= 0.85"),
        (
            "metrics.roc_auc >=",
            "Invalid gate at position 18: expected a number, a string, a "
            "reference such as metrics.roc_auc, or '(', found the end of the gate",
        ),
        ("metrics.roc_auc >= 0.8 and", "Invalid gate at position 26: expected a number"),
        (
            "metrics.roc_auc",
            "Invalid gate at position 0: 'metrics.roc_auc' is a value, not a "
            "condition; compare it, e.g. metrics.roc_auc >= 0.85",
        ),
        ("metrics.roc_auc + 1", "'metrics.roc_auc + 1' is a value, not a condition"),
        ("0 < metrics.roc_auc < 1", "Invalid gate at position 20: comparisons do not chain"),
        ("(metrics.roc_auc > 1) + 1 > 0", "'(metrics.roc_auc > 1)' is a condition where a value"),
        (
            "roc_auc > 0.8",
            "unknown reference 'roc_auc': no 'roc_auc' in this gate's context (known: metrics, "
            "params, production, staging, tags, version); write metrics.roc_auc, params.roc_auc "
            "or tags.roc_auc, or quote a string",
        ),
        # The filter's wording (an operator after a complete condition would chain it).
        (
            "metrics.roc_auc > 0.8)",
            "Invalid gate at position 21: expected 'and', 'or' or the end of the gate, found ')'",
        ),
        ("(metrics.roc_auc > 0.8", "expected ')' to close the '(' at position 0"),
        ("metrics.roc_auc ~ 1", "Invalid gate at position 16: unexpected character '~'"),
        ("tags.x = 'open", "Invalid gate at position 9: unterminated string"),
        ("__import__('os').system('x') = 0", "unexpected character"),
        # references
        (
            "metrics.auc > 0.8",
            "unknown metric 'auc' in 'metrics.auc' (known: loss, nan, roc_auc, val-loss, val.auc)",
        ),
        (
            "production.metrics.pr_auc > 0",
            "unknown metric 'pr_auc' of production in 'production.metrics.pr_auc' (known: roc_auc)",
        ),
        (
            "production.tags.x = 'y'",
            "unknown tag 'x' of production in 'production.tags.x' (no tags recorded)",
        ),
        ("staging.metrics.roc_auc > 0", "no version of 'churn' holds stage 'staging' yet"),
        (
            "prod.metrics.roc_auc > 0",
            "unknown reference 'prod.metrics.roc_auc': no 'prod' in "
            "this gate's context (known: metrics, params, production, staging, tags, version)",
        ),
        ("production.metrics > 0", "'production.metrics' names a group, not a value"),
        ("version.x > 0", "'version.x': 'version' has no fields"),
        ("metrics.nan > 0", "'metrics.nan' has no value (NaN or null)"),
        # evaluation
        ("tags.reviewed > 1", "'tags.reviewed > 1' compares a string with a number ('yes' > 1)"),
        ("tags.reviewed * 2 = 1", "'tags.reviewed' is the string 'yes', not a number"),
        ("metrics.loss / 0 > 1", "division by zero in 'metrics.loss / 0'"),
    ],
)
def test_bad_gates_are_refused_with_the_reason(expression, error):
    result = evaluate(expression, CONTEXT)
    assert result.passed is False
    assert result.status == "error"
    assert error in result.error
    assert result.message.startswith("refused: ")


def test_unknown_reference_on_the_untaken_side_of_or_still_refuses():
    result = evaluate("metrics.roc_auc > 0.5 or metrics.typo > 0.5", CONTEXT)
    assert not result.passed
    assert "unknown metric 'typo'" in result.error
    assert result.values == {"metrics.roc_auc": 0.9}


def test_parse_gate_raises_with_position():
    with pytest.raises(FilterSyntaxError) as info:
        parse_gate("metrics.x >= >= 1")
    assert info.value.position == 13
    assert info.value.expression == "metrics.x >= >= 1"
    gate = parse_gate("a.b > c.d.e - 1")
    assert [r.text for r in gate.references] == ["a.b", "c.d.e"]


def test_result_round_trips_and_error_pickles():
    result = evaluate("metrics.roc_auc > 0.5", CONTEXT)
    assert GateResult.from_dict(result.to_dict()) == result
    assert str(result) == "passed: metrics.roc_auc > 0.5 (metrics.roc_auc = 0.9)"
    err = pickle.loads(pickle.dumps(GateRefused("refused", failed=[result.to_dict()])))
    assert err.failed == [result.to_dict()]
    assert str(err) == "refused"


def test_non_string_gate_is_refused():
    result = evaluate(3, CONTEXT)  # type: ignore[arg-type]
    assert not result.passed
    assert "A gate must be a string expression, not int." in result.error


# LIKE, IN and IS NULL: in gates too, with the semantics of a run search.
MORE = {
    "metrics": {"roc_auc": 0.9, "nan": math.nan},
    "params": {"C": "0.5", "solver": "lbfgs", "note": "100% sure", "path": "a\\b"},
    "tags": {"reviewed": "yes", "empty": None},
    "version": 3,
    "production": {"metrics": {"roc_auc": 0.88}, "tags": {}, "version": 2},
    "staging": Missing("no version of 'churn' holds stage 'staging' yet"),
}


@pytest.mark.parametrize(
    ("expression", "passed"),
    [
        ("params.solver like 'lb%'", True),
        ("params.solver LIKE 'LB%'", False),
        ("params.solver ilike 'LB%'", True),
        ("params.solver not like 'lb%'", False),
        ("params.solver not ilike 'x%'", True),
        ("params.solver like 'lbfg_'", True),
        ("params.solver like 'lbf_'", False),
        (r"params.note like '100\%%'", True),
        (r"params.note like '100\% s%'", True),
        (r"params.note like '100\_%'", False),
        # No string escapes (as in MLflow): 'a\\b' is the pattern a\\b, an escaped backslash.
        (r"params.path like 'a\\b'", True),
        (r"params.path like 'a\b'", False),
        ("params.path like 'a_b'", True),
        ("params.solver like params.solver", True),
        ("params.solver in ('saga', 'lbfgs')", True),
        ("params.solver not in ('saga', 'lbfgs')", False),
        ("params.C in (0.5, 1)", True),
        ("params.C in ('0.50')", False),
        ("version in (1, 2, 3)", True),
        ("version not in (production.version, 4)", True),
        ("tags.reviewed is not null", True),
        ("tags.owner is null", True),
        ("tags.empty IS NULL", True),
        ("production.tags.reviewed is null", True),
        ("production.metrics.roc_auc is null", False),
        ("metrics.nan is not null", True),
        ("not tags.owner is not null and metrics.roc_auc > 0.5", True),
    ],
)
def test_like_in_and_is_null(expression, passed):
    result = evaluate(expression, MORE)
    assert result.error is None, result.message
    assert result.passed is passed


def test_is_null_shows_an_absent_value_as_null():
    result = evaluate("tags.owner is null and tags.reviewed = 'yes'", MORE)
    assert result.values == {"tags.owner": None, "tags.reviewed": "yes"}
    assert result.message == (
        "passed: tags.owner is null and tags.reviewed = 'yes' "
        "(tags.owner = null, tags.reviewed = 'yes')"
    )
    assert result.to_dict()["values"] == {"tags.owner": None, "tags.reviewed": "yes"}


@pytest.mark.parametrize(
    ("expression", "error"),
    [
        (
            "metrics.roc_auc like '0.9%'",
            "'metrics.roc_auc like '0.9%'' matches a string with a pattern; "
            "'metrics.roc_auc' is 0.9, not a string",
        ),
        (
            "params.solver like 1",
            "'params.solver like 1' matches a string with a pattern; '1' is 1, not a string",
        ),
        (
            "params.solver in ('lbfgs', 1)",
            "'params.solver in ('lbfgs', 1)' compares a string with a number ('lbfgs' = 1)",
        ),
        # IS NULL asks whether a key is recorded, not whether its group or owner exists.
        (
            "prod.tags.x is null",
            "unknown reference 'prod.tags.x': no 'prod' in this gate's context",
        ),
        ("owner is null", "unknown reference 'owner': no 'owner' in this gate's context"),
        ("production.tagz.x is null", "unknown reference 'production.tagz.x': no 'tagz'"),
        ("version.x is null", "'version.x': 'version' has no fields"),
        ("staging.tags.x is null", "no version of 'churn' holds stage 'staging' yet"),
        ("production.tags is null", "'production.tags' names a group, not a value"),
        # Outside IS NULL the same reference must be there.
        ("tags.owner is null or tags.owner = 'ana'", "unknown tag 'owner' in 'tags.owner'"),
        ("tags.empty is null or tags.empty = 'x'", "'tags.empty' has no value (NaN or null)"),
    ],
)
def test_like_in_and_is_null_refuse_with_the_reason(expression, error):
    result = evaluate(expression, MORE)
    assert result.status == "error"
    assert error in result.error
