import math
import pickle

import pytest

from jupyter_mlops.errors import FilterSyntaxError
from jupyter_mlops.gates import GateRefused, GateResult, Missing, evaluate, parse_gate

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
        ("metrics.roc_auc > 0.8)", "Invalid gate at position 21: expected an operator"),
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
