import pytest

from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.models import ModelURI, parse_model_uri


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("models:/churn/3", ModelURI("churn", version=3)),
        ("models:/churn@production", ModelURI("churn", stage="production")),
        ("models:/churn", ModelURI("churn")),
        ("models:/churn/latest", ModelURI("churn")),
        ("models:/churn-v2.x_1/12", ModelURI("churn-v2.x_1", version=12)),
    ],
)
def test_parse_model_uri(uri, expected):
    assert parse_model_uri(uri) == expected
    assert str(expected) in (uri, uri.removesuffix("/latest"))


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("churn/3", "Invalid model URI 'churn/3': expected models:/NAME/VERSION"),
        ("models:churn/3", "Invalid model URI 'models:churn/3': expected"),
        ("models:/", "Invalid model URI 'models:/': Invalid model name ''"),
        ("models:/churn/0", "A model version is a positive integer, not 0."),
        ("models:/churn/x", "A model version is a positive integer, not 'x'."),
        ("models:/churn/3/4", "not '3/4'"),
        ("models:/churn@", "Invalid stage ''"),
        ("models:/churn@prod-1", "Invalid stage 'prod-1'"),
        ("models:/ch urn", "Invalid model name 'ch urn'"),
    ],
)
def test_malformed_model_uri_is_one_clear_line(uri, message):
    with pytest.raises(MlopsUsageError) as info:
        parse_model_uri(uri)
    text = str(info.value)
    assert message in text
    assert "\n" not in text
