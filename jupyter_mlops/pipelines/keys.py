"""Cache keys of steps (what a step's result depends on, hashed) and run plans.

A step's key covers its notebook's code cells (normalised: markdown, outputs, execution counts,
cell ids and trailing whitespace do not count), its resolved parameters, its kernel, the keys
of the steps it needs and the digests of its declared inputs. The parts are kept too, so
``status`` can say *why* a step would run.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_mlops.artifacts.cas import hash_file
from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.identity import user_name
from jupyter_mlops.pipelines.gate import gate_failure
from jupyter_mlops.pipelines.params import _cell_source, parse_overrides, read_notebook, resolve
from jupyter_mlops.pipelines.spec import Pipeline, Step, load
from jupyter_mlops.store import Store, current_store
from jupyter_mlops.store import pipelines as records

if TYPE_CHECKING:
    from jupyter_mlops.data.state import StateCache

_code_cache: dict[tuple[str, int, int], str] = {}
_file_cache: dict[tuple[str, int, int, int], str] = {}


def _sha(data: Any) -> str:
    text = json.dumps(data, sort_keys=True, default=repr, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def normalise(source: str) -> str:
    """A code cell's source with line endings, trailing spaces and blank edges evened out."""
    lines = [line.rstrip() for line in source.replace("\r\n", "\n").split("\n")]
    return "\n".join(lines).strip("\n")


def code_digest(path: Path) -> str:
    """The digest of a notebook's code cells, cached by (path, size, mtime_ns)."""
    st = os.stat(path)
    key = (str(path), st.st_size, st.st_mtime_ns)
    found = _code_cache.get(key)
    if found is None:
        cells = read_notebook(path)["cells"]
        code = [normalise(_cell_source(c)) for c in cells if c.get("cell_type") == "code"]
        found = _sha([c for c in code if c])
        _code_cache[key] = found
    return found


def file_digest(path: Path) -> str:
    """The BLAKE3 digest of a file, cached by (path, size, mtime_ns, inode) in this process."""
    st = os.stat(path)
    key = (str(path), st.st_size, st.st_mtime_ns, st.st_ino)
    found = _file_cache.get(key)
    if found is None:
        found = hash_file(path)
        _file_cache[key] = found
    return found


def digests(
    root: Path, paths: tuple[str, ...], *, state: StateCache | None = None
) -> dict[str, str | None]:
    """Digest of each path (relative to ``root``); a folder hashes its files; None if missing.

    With ``state`` (the store's file-state cache) a file unchanged since it was last hashed,
    even by another process, is not read again.
    """

    def one(path: Path) -> str:
        return state.state(path).digest if state is not None else file_digest(path)

    out: dict[str, str | None] = {}
    for rel in paths:
        full = root / rel
        if full.is_dir():
            files = sorted(p for p in full.rglob("*") if p.is_file())
            out[rel] = _sha({p.relative_to(full).as_posix(): one(p) for p in files})
        elif full.is_file():
            out[rel] = one(full)
        else:
            out[rel] = None
    return out


@dataclass(frozen=True)
class KeyParts:
    """What a step key is made of (each part a digest or a small value)."""

    code: str
    params: str
    kernel: str
    upstream: dict[str, str]
    inputs: dict[str, str]

    @property
    def key(self) -> str:
        return _sha(self.to_dict())

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "params": self.params,
            "kernel": self.kernel,
            "upstream": dict(sorted(self.upstream.items())),
            "inputs": dict(sorted(self.inputs.items())),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> KeyParts:
        return cls(
            str(data.get("code", "")),
            str(data.get("params", "")),
            str(data.get("kernel", "")),
            dict(data.get("upstream") or {}),
            dict(data.get("inputs") or {}),
        )

    def changes(self, before: KeyParts) -> list[str]:
        """Why this key differs from ``before``, e.g. ``["changed code", "changed input x"]``."""
        why: list[str] = []
        if self.code != before.code:
            why.append("changed code")
        if self.params != before.params:
            why.append("changed params")
        if self.kernel != before.kernel:
            why.append("changed kernel")
        ups = sorted(
            k
            for k in self.upstream.keys() | before.upstream.keys()
            if self.upstream.get(k) != before.upstream.get(k)
        )
        if ups:
            why.append(f"changed upstream {', '.join(ups)}")
        ins = sorted(
            k
            for k in self.inputs.keys() | before.inputs.keys()
            if self.inputs.get(k) != before.inputs.get(k)
        )
        if ins:
            why.append(f"changed input {', '.join(ins)}")
        return why


def step_parts(
    *,
    root: Path,
    notebook: Path,
    params: dict[str, Any],
    kernel: str,
    upstream: dict[str, str],
    inputs: tuple[str, ...],
    where: str,
    state: StateCache | None = None,
) -> KeyParts:
    """The key parts of one step.

    Raises:
        MlopsUsageError: A declared input does not exist.
    """
    found = digests(root, inputs, state=state)
    missing = [k for k, v in found.items() if v is None]
    if missing:
        raise MlopsUsageError(f"{where}: declared input {missing[0]!r} does not exist.")
    return KeyParts(
        code=code_digest(notebook),
        params=_sha(params),
        kernel=kernel,
        upstream=upstream,
        inputs={k: v for k, v in found.items() if v is not None},
    )


def pipeline_manifest(spec: Path, notebooks: list[Path]) -> dict[str, str]:
    """Path (relative to the spec's folder) -> file digest of the spec and every notebook."""
    root = spec.parent
    files = [spec, *sorted(set(notebooks))]
    return {p.relative_to(root).as_posix(): file_digest(p) for p in files}


def manifest_of(pipeline: Pipeline) -> dict[str, str]:
    """Path -> digest of the spec and the step notebooks (paths relative to the spec folder)."""
    return pipeline_manifest(pipeline.path, [s.notebook for s in pipeline.steps.values()])


def manifest_version(manifest: dict[str, str]) -> str:
    """The pipeline version: one digest over the manifest."""
    return _sha(manifest)


@dataclass(frozen=True)
class StepPlan:
    """What a run would do with one step, and why."""

    step: str
    action: str  # run / cached / skip
    reason: str
    key: str
    parts: KeyParts
    reuse: records.StepRunRecord | None = None
    #: For a cached step with a gate: the gate's message when the reused result fails it now.
    gate_failure: str | None = None


# -- planning -----------------------------------------------------------------


def _selected(pipeline: Pipeline, only: str | None, from_step: str | None) -> set[str] | None:
    for name, flag in ((only, "--only"), (from_step, "--from")):
        if name is not None and name not in pipeline.steps:
            raise MlopsUsageError(
                f"{pipeline.path}: {flag}: no step named {name!r} "
                f"(steps: {', '.join(pipeline.steps)})"
            )
    if only is not None:
        return {only}
    if from_step is not None:
        return {from_step, *pipeline.downstream(from_step)}
    return None


def _outputs_state(
    pipeline: Pipeline, step: Step, record: records.StepRunRecord, state: Any
) -> str | None:
    """Why the recorded outputs are no longer current, or None when they are."""
    now = digests(pipeline.root, step.outputs, state=state)
    for path in step.outputs:
        if now[path] is None:
            return f"missing output {path}"
        if record.outputs.get(path) != now[path]:
            return f"changed output {path}"
    return None


def plan(
    pipeline: Pipeline,
    *,
    env: str | None = None,
    params: dict[str, dict[str, str]] | list[str] | None = None,
    force: bool = False,
    only: str | None = None,
    from_step: str | None = None,
    resume: bool = False,
    store: Store | None = None,
) -> tuple[dict[str, dict[str, Any]], dict[str, StepPlan]]:
    """Say what a run would do with each step and why, without running anything.

    Returns:
        The resolved parameters and one :class:`StepPlan` per step, in order.
    """
    store = store or current_store()
    overrides = parse_overrides(params) if isinstance(params, list) else params
    resolved = resolve(pipeline, env, overrides)
    selected = _selected(pipeline, only, from_step)
    # Digests are cached per process by stat (file_digest). The store's StateCache would keep
    # them across processes, but importing jupyter_mlops.data costs pandas (over a second).
    state = None
    resumed: dict[str, records.StepRunRecord] = {}
    if resume:
        last = records.latest_pipeline_run(
            store, pipeline.name, env=env, spec_path=str(pipeline.path), exclude_trigger="accept"
        )
        if last is not None:
            for rec in records.step_runs(store, last.id):
                if rec.status in records.DONE and rec.run_id is not None:
                    resumed[rec.step] = rec
    previous = records.latest_done_steps(store, pipeline.name, list(pipeline.steps))
    previous_parts: dict[str, KeyParts] = {}
    for step_name, rec in previous.items():
        prun = records.get_pipeline_run(store, rec.pipeline_run_id)
        raw = (prun.options.get("parts") or {}).get(step_name) if prun is not None else None
        if raw:
            previous_parts[step_name] = KeyParts.from_dict(raw)
    keys: dict[str, str] = {}
    plans: dict[str, StepPlan] = {}
    for name, step in pipeline.steps.items():
        # An input another step writes is covered by that step's key (it reruns when its
        # outputs change), and may not exist before the first run: only outside files count.
        produced = {o for n in pipeline.upstream(name) for o in pipeline.steps[n].outputs}
        parts = step_parts(
            root=pipeline.root,
            notebook=step.notebook,
            params=resolved[name],
            kernel=step.kernel,
            upstream={n: keys[n] for n in step.needs},
            inputs=tuple(i for i in step.inputs if i not in produced),
            where=f"{pipeline.path}: step {name!r}",
            state=state,
        )
        key = keys[name] = parts.key
        if name in resumed:
            plans[name] = StepPlan(
                name, "cached", "done in the resumed run", key, parts, resumed[name]
            )
            continue
        # --force with --only/--from forces the selection only: the others stay as they are.
        forced = name in selected if selected is not None else force
        hit: records.StepRunRecord | None = None
        why = ""
        for rec in records.ok_with_key(store, pipeline.name, name, key):
            why = _outputs_state(pipeline, step, rec, state) or ""
            if not why:
                hit = rec
                break
        if not why and hit is None:
            before = previous_parts.get(name)
            if before is None:
                why = "never ran"
            else:
                why = "; ".join(parts.changes(before)) or "no successful run with this key"
        if forced:
            reason = "forced" if force else "selected"
            plans[name] = StepPlan(name, "run", reason, key, parts)
        elif hit is not None:
            plans[name] = StepPlan(name, "cached", "up to date", key, parts, hit)
        elif selected is not None:
            fallback = previous.get(name)
            if fallback is not None:
                plans[name] = StepPlan(
                    name,
                    "cached",
                    f"not selected; reusing its last run ({why})",
                    key,
                    parts,
                    fallback,
                )
            else:
                plans[name] = StepPlan(name, "skip", f"not selected ({why})", key, parts)
        else:
            plans[name] = StepPlan(name, "run", why, key, parts)
    return resolved, _recheck_gates(pipeline, plans, store)


def _recheck_gates(
    pipeline: Pipeline, plans: dict[str, StepPlan], store: Store
) -> dict[str, StepPlan]:
    """Check each cached step's gate on the result it reuses: the gate is not in the key (a
    changed gate does not rerun the step), but a result the gate now refuses fails it."""
    for name, step_plan in plans.items():
        gate = pipeline.steps[name].gate
        reuse = step_plan.reuse
        # An accepted step without a run (outputs made by hand) has nothing to check.
        if step_plan.action != "cached" or not gate or reuse is None or reuse.run_id is None:
            continue
        failure = gate_failure(store, gate, reuse.run_id)
        if failure is not None:
            plans[name] = replace(
                step_plan,
                reason=f"{step_plan.reason}; gate {failure}",
                gate_failure=f"gate {failure}",
            )
    return plans


def status(
    pipeline: Pipeline | str | os.PathLike[str],
    *,
    env: str | None = None,
    params: list[str] | None = None,
    force: bool = False,
    only: str | None = None,
    from_step: str | None = None,
    store: Store | None = None,
) -> dict[str, StepPlan]:
    """What ``run`` would do with each step, and why (nothing runs)."""
    if not isinstance(pipeline, Pipeline):
        pipeline = load(pipeline)
    _resolved, plans = plan(
        pipeline,
        env=env,
        params=params,
        force=force,
        only=only,
        from_step=from_step,
        store=store,
    )
    return plans


def accept(
    pipeline: Pipeline | str | os.PathLike[str],
    step: str,
    *,
    env: str | None = None,
    params: list[str] | None = None,
    store: Store | None = None,
) -> str:
    """Take the current outputs of ``step`` as up to date (recorded as an ``ok`` step run).

    Returns:
        The id of the pipeline run (trigger ``accept``) that holds the record.

    Raises:
        MlopsUsageError: No such step, or a declared output is missing.
    """
    if not isinstance(pipeline, Pipeline):
        pipeline = load(pipeline)
    if step not in pipeline.steps:
        raise MlopsUsageError(
            f"{pipeline.path}: no step named {step!r} (steps: {', '.join(pipeline.steps)})"
        )
    store = store or current_store()
    resolved, plans = plan(pipeline, env=env, params=params, store=store)
    spec = pipeline.steps[step]
    outputs = digests(pipeline.root, spec.outputs)
    missing = [p for p, d in outputs.items() if d is None]
    if missing:
        raise MlopsUsageError(
            f"{pipeline.path}: step {step!r}: declared output {missing[0]!r} does not exist; "
            "nothing to accept."
        )
    manifest = manifest_of(pipeline)
    previous = records.latest_done_steps(store, pipeline.name, [step]).get(step)
    prun = records.create_pipeline_run(
        store,
        name=pipeline.name,
        spec_path=str(pipeline.path),
        spec_digest=manifest[pipeline.path.name],
        pipeline_version=manifest_version(manifest),
        env=env,
        run_id=None,
        params={step: resolved[step]},
        options={
            "accept": step,
            "manifest": manifest,
            "parts": {step: plans[step].parts.to_dict()},
        },
        trigger="accept",
        user=user_name(),
    )
    records.add_step_run(
        store,
        prun,
        step,
        status="ok",
        cache_key=plans[step].key,
        run_id=previous.run_id if previous is not None else None,
        output_notebook=previous.output_notebook if previous is not None else None,
        outputs={p: d for p, d in outputs.items() if d is not None},
        error={"note": "accepted"},
        started=time.time(),
        ended=time.time(),
    )
    records.end_pipeline_run(store, prun, "ok", None)
    return prun
