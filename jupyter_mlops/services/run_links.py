"""What a run is linked to: the dataset versions it used, the model versions it produced,
the pipeline run it belongs to, and its reproductions (the run page's and a model version's
links)."""

from __future__ import annotations

from pathlib import Path

from jupyter_mlops.reproduction.execute import REPRODUCES_TAG
from jupyter_mlops.services.paths import in_root
from jupyter_mlops.services.runs import datasets
from jupyter_mlops.services.schema import CertificateInfo, ModelVersionLink, PipelineLink, RunLinks
from jupyter_mlops.store import Store, reproductions
from jupyter_mlops.store.lineage import reading
from jupyter_mlops.store.pipelines import pipeline_of_run
from jupyter_mlops.store.runs import load_run


def _pipeline(store: Store, run_id: str, root: Path) -> PipelineLink | None:
    found = pipeline_of_run(store, run_id)
    if found is None:
        return None
    pipeline, step = found
    return PipelineLink(
        pipeline_run_id=pipeline.id,
        pipeline=pipeline.name,
        status=pipeline.status,
        step=None if step is None else step.step,
        output_notebook=None if step is None else in_root(root, step.output_notebook),
    )


def links(store: Store, ref: str, *, root: Path) -> RunLinks:
    """The dataset versions, model versions, pipeline run and reproductions of run ``ref``.

    Raises:
        NotFoundError: no run has that id.
    """
    run = load_run(store, ref)
    with reading(store) as reads:
        versions = reads.model_versions_of_run(run.id)
    certificates = reproductions.for_run(store, run.id)
    return RunLinks(
        run_id=run.id,
        datasets=datasets(store, run.id),
        models=[
            ModelVersionLink(
                name=v.name,
                version=v.version,
                uri=f"models:/{v.name}/{v.version}",
                stages=list(v.stages),
            )
            for v in sorted(versions, key=lambda v: (v.name, v.version))
        ],
        pipeline=_pipeline(store, run.id, root),
        reproductions=[
            CertificateInfo(
                id=c.id,
                verdict=c.verdict,
                tolerance=c.tolerance,
                created_at=c.created_at,
                reproduction_run_id=c.reproduction_run_id,
                message=str(c.details.get("message") or c.verdict),
                cause=None if c.details.get("cause") is None else str(c.details["cause"]),
            )
            for c in certificates
        ],
        reproduction_of=run.tags.get(REPRODUCES_TAG),
    )
