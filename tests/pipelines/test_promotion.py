"""Pipeline promotion: versions move along the spec's promotion order, audited."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.pipelines import PipelineRefused, load, promote_pipeline
from jupyter_mlops.pipelines.keys import manifest_of, manifest_version
from jupyter_mlops.pipelines.promotion import check_promoted, is_target
from jupyter_mlops.store import current_store
from jupyter_mlops.store import pipelines as records


def notebook(path: Path, body: str = "x = 1") -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(body)]
    nbformat.write(nb, path)


@pytest.fixture
def pipe(store_dir: Path):
    notebook(store_dir / "a.ipynb")
    (store_dir / "pipeline.yaml").write_text(
        "name: promo\npromotion: [dev, staging, production]\nsteps:\n  a: {notebook: a.ipynb}\n"
        "environments: {dev: {}, staging: {}, production: {}, adhoc: {}}\n"
    )
    return load(store_dir / "pipeline.yaml")


def fake_ok_run(pipe, env: str) -> str:
    """Record a successful pipeline run in ``env`` of the current files (no kernel needed)."""
    manifest = manifest_of(pipe)
    store = current_store()
    prun = records.create_pipeline_run(
        store,
        name=pipe.name,
        spec_path=str(pipe.path),
        spec_digest=manifest["pipeline.yaml"],
        pipeline_version=manifest_version(manifest),
        env=env,
        run_id=None,
        params={},
        options={"manifest": manifest},
    )
    records.end_pipeline_run(store, prun, "ok", None)
    return prun


def test_targets_follow_the_order(pipe) -> None:
    assert [is_target(pipe, e) for e in ("dev", "staging", "production", "adhoc", None)] == [
        False,
        True,
        True,
        False,
        False,
    ]


def test_promote_records_an_audit_event_and_pins_the_version(pipe, store_dir: Path) -> None:
    store = current_store()
    with pytest.raises(PipelineRefused, match="nothing was promoted to 'staging'"):
        check_promoted(pipe, "staging", manifest_of(pipe), store)
    with pytest.raises(PipelineRefused, match="has no successful run in 'dev'"):
        promote_pipeline(pipe, from_env="dev", to_env="staging")
    prun = fake_ok_run(pipe, "dev")
    event = promote_pipeline(pipe, from_env="dev", to_env="staging", reason="ok", user="ana")
    assert event.pipeline_run_id == prun
    assert set(event.manifest) == {"pipeline.yaml", "a.ipynb"}
    (audit,) = records.promotions(store, "promo", "staging")
    assert (audit.user, audit.reason, audit.from_env) == ("ana", "ok", "dev")
    check_promoted(pipe, "staging", manifest_of(pipe), store)  # the promoted version runs
    notebook(store_dir / "a.ipynb", "x = 2")
    with pytest.raises(PipelineRefused, match=r"a\.ipynb changed since the version promoted"):
        check_promoted(pipe, "staging", manifest_of(pipe), store)
    check_promoted(pipe, "adhoc", manifest_of(pipe), store)  # not a target: anything runs


@pytest.mark.parametrize(
    ("src", "dst", "message"),
    [
        ("dev", "production", "promote one step at a time along dev -> staging -> production"),
        ("dev", "adhoc", "'adhoc' is not in the promotion order dev, staging, production"),
    ],
)
def test_promotion_usage_errors(pipe, src: str, dst: str, message: str) -> None:
    with pytest.raises(MlopsUsageError, match=message):
        promote_pipeline(pipe, from_env=src, to_env=dst)


def test_production_needs_a_gated_step_as_a_model_stage_needs_a_check(
    pipe, store_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = current_store()
    fake_ok_run(pipe, "staging")
    with pytest.raises(MlopsUsageError) as info:
        promote_pipeline(pipe, from_env="staging", to_env="production")
    assert str(info.value) == (
        f"{pipe.path}: promotion to production needs at least one step with a gate "
        '(e.g. gate: "metrics.roc_auc >= 0.8"); gated stages: production.'
    )
    assert records.promotions(store, "promo", "production") == []
    # a gate on a step: the version that passed it may go to production
    (store_dir / "pipeline.yaml").write_text(
        (store_dir / "pipeline.yaml")
        .read_text()
        .replace("a: {notebook: a.ipynb}", 'a: {notebook: a.ipynb, gate: "x >= 1"}')
    )
    gated = load(store_dir / "pipeline.yaml")
    fake_ok_run(gated, "staging")
    assert promote_pipeline(gated, from_env="staging", to_env="production").to_env == "production"
    # gated_stages = "" switches the rule off
    monkeypatch.setenv("MLOPS_GATED_STAGES", "")
    (store_dir / "pipeline.yaml").write_text(
        (store_dir / "pipeline.yaml").read_text().replace(', gate: "x >= 1"', "")
    )
    ungated = load(store_dir / "pipeline.yaml")
    fake_ok_run(ungated, "staging")
    assert promote_pipeline(ungated, from_env="staging", to_env="production").to_env == "production"
