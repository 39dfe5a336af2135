"""Datasets over HTTP: the list, a dataset's versions, one version, a diff, tagging."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import jupyter_mlops as mlops
from jupyter_mlops.store import Store
from tests.server.conftest import Server


@pytest.fixture
def store(server: Server) -> Iterator[Store]:
    """The server's store, opened from the test (to write what a test asks about)."""
    opened = server.open_store()
    yield opened
    opened.close()


def add(store: Store, root: Path, name: str, text: str) -> None:
    path = root / "data" / f"{name}.csv"
    path.write_text(text)
    mlops.data.add(path, name, store=store)


def test_datasets_and_their_versions(server: Server) -> None:
    items = {d["name"]: d for d in server.get("datasets").json()["items"]}
    item = items["churn"]
    assert (item["name"], item["latest"], item["versions"], item["rows"]) == ("churn", 1, 1, 3)
    versions = server.get("datasets/churn").json()
    (version,) = versions["items"]
    assert version["ref"] == "churn@1"
    assert [c["name"] for c in version["columns"]] == ["a", "b"]
    one = server.get("datasets/churn/1").json()
    assert one["digest"] == version["digest"]
    content = server.get(one["url"].split("/v1/", 1)[1])
    assert content.content == (server.root / "data" / "churn.csv").read_bytes()
    assert server.get("datasets/nope").status_code == 404
    assert server.get("datasets/churn/9").status_code == 404
    assert server.get("datasets/churn/x").status_code == 400
    assert server.get("datasets/churn/²").status_code == 400


def test_a_diff_of_two_versions_is_the_python_apis(server: Server, store: Store) -> None:
    add(store, server.root, "rest-diff", "a,b\n1,x\n2,y\n")
    add(store, server.root, "rest-diff", "a,b,c\n1,x,0.5\n2,y,1.5\n3,z,2.5\n")
    expected = mlops.data.diff("rest-diff@1", "rest-diff@2", store=store).to_dict()

    answer = server.get("datasets/rest-diff/diff", params={"from": 1, "to": 2})
    assert answer.status_code == 200, answer.text
    assert answer.json() == json.loads(json.dumps(expected))
    assert answer.json()["added"] == [{"name": "c", "type": "float64"}]
    same = server.get("datasets/rest-diff/diff", params={"from": 2, "to": 2}).json()
    assert same["same_content"] is True


@pytest.mark.parametrize(
    ("path", "params", "status", "error"),
    [
        ("rest-diff-bad", {"from": 1}, 400, "to: is required."),
        ("rest-diff-bad", {"from": 0, "to": 1}, 400, "from: expected 1 or more, not 0."),
        ("rest-diff-bad", {"from_": 1, "to": 1}, 400, "from: is required; "
         "from_: is not an option of this request."),
        ("nope", {"from": 1, "to": 2}, 404, "No dataset 'nope' — `mlops.data.list()` shows the "
         "datasets."),
        ("rest-diff-bad", {"from": 1, "to": 7}, 404, "Dataset 'rest-diff-bad' has no version 7 "
         "(latest is 1) — `mlops.data.list('rest-diff-bad')` shows its versions."),
    ],
)  # fmt: skip
def test_a_diff_refused(
    server: Server,
    store: Store,
    path: str,
    params: dict[str, int],
    status: int,
    error: str,
) -> None:
    add(store, server.root, "rest-diff-bad", "a\n1\n")
    answer = server.get(f"datasets/{path}/diff", params=params)
    assert (answer.status_code, answer.json()) == (status, {"error": error})


def test_tags_set_over_http(server: Server, store: Store) -> None:
    add(store, server.root, "rest-tags", "a\n1\n")
    answer = server.post("datasets/rest-tags/1/tags", {"tags": {"stage": "clean", "owner": "ana"}})
    assert answer.status_code == 200, answer.text
    assert answer.json()["tags"] == {"owner": "ana", "stage": "clean"}
    assert list(answer.json()["tags"]) == ["owner", "stage"]
    server.post("datasets/rest-tags/1/tags", {"tags": {"stage": "raw"}})
    assert server.get("datasets/rest-tags/1").json()["tags"] == {"owner": "ana", "stage": "raw"}
    assert mlops.data.get("rest-tags@1", store=store).tags == {"owner": "ana", "stage": "raw"}


@pytest.mark.parametrize(
    ("path", "body", "status", "error"),
    [
        ("rest-tags-bad/1", {"tags": {}}, 400, "Give at least one tag to set: KEY=VALUE."),
        ("rest-tags-bad/1", {}, 400, "tags: is required."),
        ("rest-tags-bad/1", {"tags": {" ": "x"}}, 400, "A tag key must be a non-empty string, "
         "not ' '."),
        ("rest-tags-bad/2", {"tags": {"a": "b"}}, 404, "Dataset 'rest-tags-bad' has no version 2 "
         "(latest is 1) — `mlops.data.list('rest-tags-bad')` shows its versions."),
        ("rest-tags-bad/0", {"tags": {"a": "b"}}, 400, "The version is a whole number from 1, "
         "not '0'."),
    ],
)  # fmt: skip
def test_tags_refused(
    server: Server, store: Store, path: str, body: dict[str, object], status: int, error: str
) -> None:
    add(store, server.root, "rest-tags-bad", "a\n1\n")
    answer = server.post(f"datasets/{path}/tags", body)
    assert (answer.status_code, answer.json()) == (status, {"error": error})
    assert mlops.data.get("rest-tags-bad@1", store=store).tags == {}
