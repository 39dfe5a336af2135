from __future__ import annotations

import pytest

from jupyter_mlops.data.names import Ref, check_name, check_role, check_tag_key, parse_ref
from jupyter_mlops.errors import MlopsUsageError

NAME_RULE = "use 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit."
REF_RULE = "use 'name' for the latest version or 'name@N' for version N (1, 2, …)."


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("churn", Ref("churn")),
        ("churn@1", Ref("churn", 1)),
        ("churn@12", Ref("churn", 12)),
        ("Churn.v2_final-x@3", Ref("Churn.v2_final-x", 3)),
        ("0day", Ref("0day")),
        ("a" * 128 + "@7", Ref("a" * 128, 7)),
    ],
)
def test_parse_ref(ref: str, expected: Ref) -> None:
    assert parse_ref(ref) == expected
    assert str(parse_ref(ref)) == ref


@pytest.mark.parametrize(
    "ref",
    ["", "churn@", "churn@0", "churn@01", "churn@-1", "churn@x", "churn@1@2", "@1", "a/b@1",
     "churn @1", ".churn", "a" * 129, "churn@latest", None, 3],
)  # fmt: skip
def test_parse_ref_refuses(ref: object) -> None:
    with pytest.raises(MlopsUsageError) as info:
        parse_ref(ref)
    assert str(info.value) == f"Invalid dataset reference {ref!r}: {REF_RULE}"


@pytest.mark.parametrize(
    "name", ["a/b", "../x", "", " churn", "churn!", "-x", "_x", "a" * 129, "x@1", None]
)
def test_check_name_refuses(name: object) -> None:
    with pytest.raises(MlopsUsageError) as info:
        check_name(name)
    assert str(info.value) == f"Invalid dataset name {name!r}: {NAME_RULE}"


def test_roles() -> None:
    assert check_role("training") == "training"
    with pytest.raises(MlopsUsageError) as info:
        check_role("train")
    assert str(info.value) == (
        "Unknown dataset role 'train': use one of training, evaluation, input, reference, "
        "current, product."
    )


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("", "A tag key must be a non-empty string, not ''."),
        (None, "A tag key must be a non-empty string, not None."),
        ("k" * 251, f"Tag key {'k' * 40!r} is too long or contains a NUL character; "
         "use up to 250 characters."),
    ],
)  # fmt: skip
def test_tag_keys(key: object, message: str) -> None:
    with pytest.raises(MlopsUsageError) as info:
        check_tag_key(key)
    assert str(info.value) == message
