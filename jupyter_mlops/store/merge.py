"""Merge one store's records into another that may already hold data (``store migrate``).

Integer ids are given afresh on the target and every reference to them is rewritten; run and
pipeline-run uuids are kept. Things with a name are merged by it: an experiment, a dataset, a
registered model or a schedule of the same name is the same one. A dataset version with the
same content, or a model version of the same artifact from the same run, is the existing
version; any other version is appended (its own number when that is still the newest, else
the next free one, then tagged ``mlops.migrated_from`` with its store and number there). The
target's stage assignments and schedules win; metric points are copied where the target lacks
them. Which source row became which target row is kept in ``migrated_ids``, in the
same transaction as the rows, so a re-run (or a run after an interruption) copies nothing twice.
"""

from __future__ import annotations

import json
import math
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import Connection, Table, and_, func, select, tuple_
from sqlalchemy.exc import IntegrityError

from jupyter_mlops.store import tables as t
from jupyter_mlops.store.core import Store
from jupyter_mlops.store.merge_report import MigrationReport, TableCopy
from jupyter_mlops.store.metric_chunks import Curve, insert_points, read_curves

BATCH = 500
#: Runs whose metric points are compared and copied in one transaction.
RUN_CHUNK = 50
STORE_ID_KEY = "store_id"
MIGRATED_FROM_TAG = "mlops.migrated_from"
_VALIDATION_FOR_TAG = "mlops.validation_for"  # models.validation.VALIDATION_FOR_TAG

Row = dict[str, Any]
#: What changes in a run as it goes on; the rest is fixed when it starts.
_RUN_PROGRESS = ["status", "end_time", "heartbeat", "error"]


def store_identity(store: Store) -> str:
    """The store's permanent id (made and saved the first time it is asked for)."""
    meta = t.store_meta
    with store.read() as conn:
        found = conn.execute(select(meta.c.value).where(meta.c.key == STORE_ID_KEY)).scalar()
    if found is not None:
        return str(found)
    try:
        with store.write() as conn:
            conn.execute(meta.insert().values(key=STORE_ID_KEY, value=uuid.uuid4().hex))
    except IntegrityError:
        pass  # another process made it first: use theirs
    with store.read() as conn:
        return str(conn.execute(select(meta.c.value).where(meta.c.key == STORE_ID_KEY)).scalar())


def _batches(store: Store, table: Table) -> Iterator[list[Row]]:
    order = list(table.primary_key.columns)
    last: tuple[Any, ...] | None = None
    while True:
        # Keyset pagination: each batch is its own short read, however big the table.
        stmt = select(table).order_by(*order).limit(BATCH)
        if last is not None:
            stmt = stmt.where(tuple_(*order) > tuple_(*last))
        with store.read() as conn:
            rows = [dict(row._mapping) for row in conn.execute(stmt)]
        if not rows:
            return
        yield rows
        last = tuple(rows[-1][c.name] for c in order)


def _same(table: Table, row: Row) -> Any:
    """Every column of ``row`` equal, NULL matching NULL (``=`` where it can: indexable)."""
    return and_(*[table.c[k].is_(None) if v is None else table.c[k] == v for k, v in row.items()])


class Merger:
    """One merge of ``source`` into ``target``; :meth:`run` does every table in order."""

    def __init__(
        self, source: Store, target: Store, report: MigrationReport, say: Callable[[str], None]
    ) -> None:
        self.source, self.target, self.report, self.say = source, target, report, say
        self.source_id = store_identity(source)
        report.source_store_id = self.source_id
        #: table -> {source id: target id}, from earlier runs and this one.
        self.ids: dict[str, dict[int, int]] = {}
        with target.read() as conn:
            m = t.migrated_ids
            for name, old, new in conn.execute(
                select(m.c.table_name, m.c.source_id, m.c.target_id).where(
                    m.c.source_store == self.source_id
                )
            ):
                self.ids.setdefault(str(name), {})[int(old)] = int(new)
        self._forget_deleted()
        #: (dataset or model name, source version number) -> target version number.
        self.dataset_numbers: dict[tuple[str, int], int] = {}
        self.model_numbers: dict[tuple[str, int], int] = {}
        with source.read() as conn:
            self.dataset_names = {
                int(i): str(n) for i, n in conn.execute(select(t.datasets.c.id, t.datasets.c.name))
            }
            rm = t.registered_models
            self.model_names = {int(i): str(n) for i, n in conn.execute(select(rm.c.id, rm.c.name))}

    def _forget_deleted(self) -> None:
        """Drop map entries whose target row was deleted since: such rows are copied again."""
        m = t.migrated_ids
        with self.target.write() as conn:
            for name, mapped in self.ids.items():
                table = t.metadata.tables[name]
                there = select(table.c.id)
                gone = conn.execute(
                    m.delete()
                    .where(m.c.source_store == self.source_id, m.c.table_name == name)
                    .where(m.c.target_id.not_in(there))
                    .returning(m.c.source_id)
                )
                for (old,) in gone:
                    del mapped[int(old)]

    # -- the order of tables: parents before children, registry before the tags naming it
    def run(self) -> None:
        steps: list[tuple[Table, Callable[[Table], TableCopy]]] = [
            (t.experiments, lambda tb: self.mapped(tb, match=self._by("name"))),
            (t.experiment_tags, lambda tb: self.keyed(tb, {"experiment_id": "experiments"})),
            # A run still going on the laptop at an earlier migration: its end comes over.
            (
                t.runs,
                lambda tb: self.keyed(
                    tb,
                    {"experiment_id": "experiments"},
                    newer=(_RUN_PROGRESS, lambda a, b: a["heartbeat"] > b["heartbeat"]),
                ),
            ),
            (t.run_cells, self.keyed),
            (t.params, self.keyed),
            (
                t.latest_metrics,
                lambda tb: self.keyed(
                    tb,
                    newer=(
                        ["value", "is_nan", "step", "timestamp"],
                        lambda a, b: _metric_rank(a) > _metric_rank(b),
                    ),
                ),
            ),
            (t.artifacts, self.keyed),
            (t.metric_chunks, self.metrics),
            (t.logged_models, lambda tb: self.mapped(tb, match=self._by("run_id", "name"))),
            (t.run_inputs, self.mapped),
            (t.datasets, lambda tb: self.mapped(tb, match=self._by("name"))),
            (t.dataset_versions, self.dataset_versions),
            (t.dataset_version_tags, lambda tb: self.keyed(tb, {"version_id": "dataset_versions"})),
            (t.run_dataset_links, lambda tb: self.keyed(tb, {"version_id": "dataset_versions"})),
            (t.file_state, self.keyed),
            (t.registered_models, lambda tb: self.mapped(tb, match=self._by("name"))),
            (
                t.registered_model_tags,
                lambda tb: self.keyed(tb, {"model_id": "registered_models"}),
            ),
            (t.model_versions, self.model_versions),
            (t.model_version_tags, lambda tb: self.keyed(tb, {"version_id": "model_versions"})),
            (t.promotion_events, self.promotion_events),
            (t.model_stages, self.model_stages),
            (t.tags, lambda tb: self.keyed(tb, rewrite=self._validation_tag)),
            (t.pipeline_runs, self.keyed),
            (t.step_runs, self.mapped),
            (t.pipeline_promotions, self.mapped),
            (t.schedules, self.schedules),
            (
                t.schedule_runs,
                lambda tb: self.mapped(
                    tb, {"schedule_id": "schedules"}, match=self._by("schedule_id", "tick")
                ),
            ),
            # Logged traffic: a batch is its object, so the same batch on both sides is one row.
            (t.inference_batches, self.mapped),
            # Reproducibility certificates (revision 0010), after the versions they certify.
            (t.reproductions, lambda tb: self.mapped(tb, {"model_version_id": "model_versions"})),
        ]
        own = {t.store_meta.name, t.migrated_ids.name}
        missing = {tb.name for tb in t.metadata.sorted_tables} - own - {tb.name for tb, _ in steps}
        if missing:  # a table added without saying how to merge it
            raise RuntimeError(f"store migrate does not know how to merge {sorted(missing)}")
        for table, step in steps:
            item = step(table)
            self.report.tables.append(item)
            if item.touched:  # a laptop store has many empty tables: no line for those
                self.say(item.line())

    # -- helpers ----------------------------------------------------------------------
    def _remap(self, row: Row, refs: dict[str, str]) -> Row | None:
        """``row`` with its integer references rewritten; None when a parent was skipped."""
        out = dict(row)
        for column, parent in refs.items():
            if out[column] is None:
                continue
            new = self.ids.get(parent, {}).get(int(out[column]))
            if new is None:
                return None
            out[column] = new
        return out

    @staticmethod
    def _by(*columns: str) -> Callable[[Connection, Table, Row], int | None]:
        def match(conn: Connection, table: Table, row: Row) -> int | None:
            found = conn.execute(
                select(table.c.id).where(_same(table, {c: row[c] for c in columns})).limit(1)
            ).scalar()
            return None if found is None else int(found)

        return match

    @staticmethod
    def _content(conn: Connection, table: Table, row: Row) -> int | None:
        # An identical row: copied by an older release that kept ids and kept no map.
        found = conn.execute(select(table.c.id).where(_same(table, row)).order_by(table.c.id))
        first = found.scalar()
        return None if first is None else int(first)

    def _record(self, conn: Connection, table: Table, pairs: list[tuple[int, int]]) -> None:
        if pairs:
            conn.execute(
                t.migrated_ids.insert(),
                [
                    {"source_store": self.source_id, "table_name": table.name,
                     "source_id": old, "target_id": new}
                    for old, new in pairs
                ],
            )  # fmt: skip

    # -- tables keyed by uuids or natural keys: insert what the target lacks ----------
    def keyed(
        self,
        table: Table,
        refs: dict[str, str] | None = None,
        rewrite: Callable[[Row], Row] | None = None,
        newer: tuple[list[str], Callable[[Row, Row], bool]] | None = None,
    ) -> TableCopy:
        """Insert the rows the target lacks; with ``newer`` (columns, test), also update
        those columns of a row the target has where the test says the source's is newer."""
        item = TableCopy(table.name)
        keys = [c.name for c in table.primary_key.columns]
        for batch in _batches(self.source, table):
            rows: dict[tuple[Any, ...], Row] = {}
            for row in batch:
                new = self._remap(row, refs or {})
                if new is None:
                    item.skipped += 1
                    continue
                new = rewrite(new) if rewrite else new
                key = tuple(new[k] for k in keys)
                if key in rows:  # two source rows merged into one target row
                    item.present += 1
                else:
                    rows[key] = new
            with self.target.write() as conn:
                found: dict[tuple[Any, ...], Row] = {}
                if rows:
                    cols = [table.c[k] for k in keys]
                    there = conn.execute(select(table).where(tuple_(*cols).in_(list(rows))))
                    for have in there.mappings():
                        found[tuple(have[k] for k in keys)] = dict(have)
                fresh = [r for k, r in rows.items() if k not in found]
                stale = [] if newer is None else [
                    r for k, r in rows.items() if k in found and newer[1](r, found[k])
                ]  # fmt: skip
                if fresh:
                    conn.execute(table.insert(), fresh)
                for row in stale:
                    assert newer is not None
                    conn.execute(
                        table.update()
                        .where(*[table.c[k] == row[k] for k in keys])
                        .values({c: row[c] for c in newer[0]})
                    )
                if fresh or stale:
                    self.write_hook(table)
            item.copied += len(fresh)
            item.updated += len(stale)
            item.present += len(rows) - len(fresh)
        return item

    # -- tables with integer ids: fresh ids, the map recorded with the rows ----------
    def mapped(
        self,
        table: Table,
        refs: dict[str, str] | None = None,
        *,
        match: Callable[[Connection, Table, Row], int | None] | None = None,
        rewrite: Callable[[Row, Row], Row] | None = None,
        prepare: Callable[[Connection, Row, Row, TableCopy], Row | None] | None = None,
        inserted: Callable[[Connection, Row, Row, int], None] | None = None,
        known: Callable[[Connection, Row, int], None] | None = None,
    ) -> TableCopy:
        """Copy ``table``: a row mapped before is already there; one ``match`` finds (after
        ``rewrite``) is merged onto it; else ``prepare`` may change it (None: skip) and it is
        inserted, then ``inserted`` is called in the same transaction."""
        item = TableCopy(table.name)
        done = self.ids.setdefault(table.name, {})
        match = match or self._content
        for batch in _batches(self.source, table):
            pairs: list[tuple[int, int]] = []
            with self.target.write() as conn:
                for row in batch:
                    old = int(row["id"])
                    if old in done:
                        item.present += 1
                        if known:
                            known(conn, row, done[old])
                        continue
                    new = self._remap({k: v for k, v in row.items() if k != "id"}, refs or {})
                    if new is None:
                        item.skipped += 1
                        continue
                    new = rewrite(row, new) if rewrite else new
                    target_id = match(conn, table, new)
                    if target_id is not None:
                        item.merged += 1
                        if known:
                            known(conn, row, target_id)
                    else:
                        new = prepare(conn, row, new, item) if prepare else new
                        if new is None:
                            item.skipped += 1
                            continue
                        key = conn.execute(table.insert().values(**new)).inserted_primary_key
                        assert key is not None
                        target_id = int(key[0])
                        item.copied += 1
                        if inserted:
                            inserted(conn, row, new, target_id)
                    pairs.append((old, target_id))
                if pairs:
                    self._record(conn, table, pairs)
                    self.write_hook(table)
            done.update(pairs)
        return item

    def write_hook(self, table: Table) -> None:
        """Called in each batch's transaction that wrote rows, before it commits (tests
        interrupt the merge here)."""

    # -- metrics: a history without a key; copy the points the target lacks -----------
    def metrics(self, table: Table) -> TableCopy:
        # Counted in points, as the laptop logged them, whatever rows hold them.
        item = TableCopy("metrics")
        for runs in _batches(self.source, t.runs):
            for start in range(0, len(runs), RUN_CHUNK):
                chunk = [r["id"] for r in runs[start : start + RUN_CHUNK]]
                with self.source.read() as conn:
                    source = _points_by_run(read_curves(conn, chunk))
                if not source:
                    continue
                with self.target.write() as conn:
                    there = _points_by_run(read_curves(conn, chunk))
                    fresh: list[tuple[str, list[tuple[str, int, float, float]]]] = []
                    for run_id, points in source.items():
                        have = Counter(_point_key(p) for p in there.get(run_id, []))
                        new = []
                        for point in points:
                            if have[_point_key(point)] > 0:
                                have[_point_key(point)] -= 1
                            else:
                                new.append(point)
                        item.copied += len(new)
                        item.present += len(points) - len(new)
                        if new:
                            fresh.append((run_id, new))
                    if fresh:
                        insert_points(conn, fresh)
                        self.write_hook(table)
        return item

    # -- versions: same content is the same version, else appended --------------------
    @staticmethod
    def _number(conn: Connection, table: Table, parent: str, parent_id: int, wanted: int) -> int:
        top = conn.execute(
            select(func.max(table.c.version)).where(table.c[parent] == parent_id)
        ).scalar()
        return wanted if top is None or wanted > int(top) else int(top) + 1

    def _target_version(self, conn: Connection, table: Table, target_id: int) -> int:
        return int(
            conn.execute(select(table.c.version).where(table.c.id == target_id)).scalar_one()
        )

    def dataset_versions(self, table: Table) -> TableCopy:
        def known(conn: Connection, row: Row, target_id: int) -> None:
            name = self.dataset_names[row["dataset_id"]]
            self.dataset_numbers[name, row["version"]] = self._target_version(
                conn, table, target_id
            )

        def prepare(conn: Connection, row: Row, new: Row, item: TableCopy) -> Row:
            name = self.dataset_names[row["dataset_id"]]
            new["version"] = self._number(
                conn, table, "dataset_id", new["dataset_id"], row["version"]
            )
            self.dataset_numbers[name, row["version"]] = new["version"]
            if new["version"] != row["version"]:
                item.renumbered += 1
                self.report.renumbered.append(
                    f"dataset {name} v{row['version']} → v{new['version']}"
                )
            return new

        def match(conn: Connection, tb: Table, new: Row) -> int | None:
            found = conn.execute(
                select(tb.c.id)
                .where(tb.c.dataset_id == new["dataset_id"], tb.c.digest == new["digest"])
                .order_by(tb.c.version)
            ).scalar()
            return None if found is None else int(found)

        def inserted(conn: Connection, row: Row, new: Row, target_id: int) -> None:
            self._origin(conn, t.dataset_version_tags, row, new, target_id)

        return self.mapped(
            table,
            {"dataset_id": "datasets"},
            match=match,
            prepare=prepare,
            inserted=inserted,
            known=known,
        )

    def _origin(self, conn: Connection, tags: Table, row: Row, new: Row, target_id: int) -> None:
        """Tag a renumbered version with its store and number there, so it can be found."""
        if new["version"] != row["version"]:
            conn.execute(
                tags.insert().values(
                    version_id=target_id,
                    key=MIGRATED_FROM_TAG,
                    value=f"{self.source.uri} v{row['version']}",
                )
            )

    def model_versions(self, table: Table) -> TableCopy:
        def known(conn: Connection, row: Row, target_id: int) -> None:
            name = self.model_names[row["model_id"]]
            self.model_numbers[name, row["version"]] = self._target_version(conn, table, target_id)

        def prepare(conn: Connection, row: Row, new: Row, item: TableCopy) -> Row:
            name = self.model_names[row["model_id"]]
            old = row["version"]
            new["version"] = self._number(conn, table, "model_id", new["model_id"], old)
            self.model_numbers[name, old] = new["version"]
            new["card"] = self._card(new["card"], new["version"])
            if new["version"] != old:
                item.renumbered += 1
                self.report.renumbered.append(f"model {name} v{old} → v{new['version']}")
            return new

        def inserted(conn: Connection, row: Row, new: Row, target_id: int) -> None:
            self._origin(conn, t.model_version_tags, row, new, target_id)

        return self.mapped(
            table,
            {"model_id": "registered_models"},
            match=self._by("model_id", "digest", "run_id"),
            prepare=prepare,
            inserted=inserted,
            known=known,
        )

    def _card(self, text: str, version: int) -> str:
        """The model card with the version numbers it names as they are on the target."""
        try:
            card = json.loads(text)
        except ValueError:
            return text
        if not isinstance(card, dict):
            return text
        card["version"] = version
        for entry in card.get("datasets") or []:
            number = self.dataset_numbers.get((entry.get("dataset"), entry.get("version")))
            if number is not None:
                entry["version"] = number
                entry["ref"] = f"dataset:{entry['dataset']}@{number}"
        return json.dumps(card, default=str)

    def promotion_events(self, table: Table) -> TableCopy:
        def rewrite(row: Row, new: Row) -> Row:
            # Events name version numbers: those of renumbered versions change with them.
            name = self.model_names[row["model_id"]]
            for column in ("from_version", "to_version"):
                if new[column] is not None:
                    new[column] = self.model_numbers.get((name, new[column]), new[column])
            return new

        return self.mapped(table, {"model_id": "registered_models"}, rewrite=rewrite)

    def model_stages(self, table: Table) -> TableCopy:
        item = TableCopy(table.name)
        refs = {"model_id": "registered_models", "version_id": "model_versions"}
        for batch in _batches(self.source, table):
            with self.target.write() as conn:
                for row in batch:
                    new = self._remap(row, refs)
                    if new is None:
                        item.skipped += 1
                        continue
                    holder = conn.execute(
                        select(table.c.version_id).where(
                            table.c.model_id == new["model_id"], table.c.stage == new["stage"]
                        )
                    ).scalar()
                    if holder is None:
                        conn.execute(table.insert().values(**new))
                        item.copied += 1
                    elif holder == new["version_id"]:
                        item.present += 1
                    else:
                        item.skipped += 1
                        self.report.skipped.append(self._stage_skip(conn, row, new, int(holder)))
        return item

    def _stage_skip(self, conn: Connection, row: Row, new: Row, holder: int) -> str:
        mv = t.model_versions
        kept = conn.execute(select(mv.c.version).where(mv.c.id == holder)).scalar()
        ours = conn.execute(select(mv.c.version).where(mv.c.id == new["version_id"])).scalar()
        name = self.model_names[row["model_id"]]
        return (
            f"stage {name}@{row['stage']}: the target's v{kept} kept; the source's "
            f"(now v{ours}) was not applied"
        )

    def _validation_tag(self, row: Row) -> Row:
        # A validation run names the model version it checked: keep it pointing there.
        if row["key"] == _VALIDATION_FOR_TAG and str(row["value"]).startswith("models:/"):
            name, _, number = str(row["value"]).removeprefix("models:/").rpartition("/")
            if number.isdigit() and (name, int(number)) in self.model_numbers:
                row = {**row, "value": f"models:/{name}/{self.model_numbers[name, int(number)]}"}
        return row

    def schedules(self, table: Table) -> TableCopy:
        defining = ("target_kind", "target", "cron", "timezone", "env", "params", "monitor")

        def match(conn: Connection, tb: Table, new: Row) -> int | None:
            # The same name and the same job: one schedule. Same name, another job: skipped.
            return self._by("name", *defining)(conn, tb, new)

        def prepare(conn: Connection, row: Row, new: Row, item: TableCopy) -> Row | None:
            if self._by("name")(conn, table, new) is None:
                return new
            self.report.skipped.append(
                f"schedule {row['name']}: the target's schedule of that name kept; the "
                f"source's ({row['cron']} {row['target']}) was not copied, nor its runs"
            )
            return None

        return self.mapped(table, match=match, prepare=prepare)


def _metric_rank(row: Any) -> tuple[Any, ...]:
    """MLflow's latest value: the largest (step, timestamp), then the larger value (NaN least)."""
    value = row["value"]
    return (row["step"], row["timestamp"], -math.inf if value is None else value)


def _points_by_run(
    curves: dict[tuple[str, str], Curve],
) -> dict[str, list[tuple[str, int, float, float]]]:
    """Run id -> its points ``(key, step, value, timestamp)`` in the order logged."""
    out: dict[str, list[tuple[str, int, float, float]]] = {}
    for (run_id, key), curve in curves.items():
        out.setdefault(run_id, []).extend(
            (key, step, value, ts)
            for step, value, ts in zip(curve.steps, curve.values, curve.timestamps, strict=True)
        )
    return out


def _point_key(point: tuple[str, int, float, float]) -> tuple[Any, ...]:
    """A point as compared across stores: NaN equals NaN (``nan != nan`` in Python)."""
    key, step, value, ts = point
    return (key, step, None if value != value else value, ts)
