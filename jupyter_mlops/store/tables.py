"""Table definitions: the one schema every query and migration is checked against.

Timestamps are epoch seconds as double precision so SQLite and PostgreSQL
behave the same. Latest metric values keep NaN in ``is_nan`` because SQLite stores a
NaN REAL as NULL.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

# Deterministic constraint names so migrations can drop and alter them on any backend.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# SQLite only aliases rowid (fast autoincrement) for a plain INTEGER primary key.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def key_value_indexes(table: str) -> tuple[Index, Index]:
    """The index of ``params`` or ``tags`` that a filter on their values walks, per dialect.

    SQLite (revision 0011): covering, ``(key, value, run_id)``: ``params.p = '4'`` is answered
    from the index alone (the key's entries with that value, each with its run) instead of
    reading every row holding the key. PostgreSQL keeps ``(key)``: a B-tree entry there holds
    at most 2,704 bytes, and a param (up to 6,000 characters) or a tag value (a note, a
    model's history) can be longer: the insert would fail.
    """
    return (
        Index(f"ix_{table}_key_value_run", "key", "value", "run_id").ddl_if(dialect="sqlite"),
        Index(f"ix_{table}_key", "key").ddl_if(dialect="postgresql"),
    )


#: Indexes that only one dialect has (see :func:`key_value_indexes`): dialect -> names.
DIALECT_INDEXES = {
    "sqlite": frozenset({"ix_params_key_value_run", "ix_tags_key_value_run"}),
    "postgresql": frozenset({"ix_params_key", "ix_tags_key"}),
}


experiments = Table(
    "experiments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(255), nullable=False, unique=True),
    Column("created_at", Double, nullable=False),
)

# An MLflow client's experiment tags (revision 0013; its description is mlflow.note.content).
experiment_tags = Table(
    "experiment_tags",
    metadata,
    Column(
        "experiment_id",
        Integer,
        ForeignKey("experiments.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("key", String(250), primary_key=True),
    Column("value", Text, nullable=False),
)

runs = Table(
    "runs",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(255), nullable=False),
    Column("experiment_id", Integer, ForeignKey("experiments.id"), nullable=False),
    Column("status", String(16), nullable=False),
    Column("start_time", Double, nullable=False),
    Column("end_time", Double),
    Column("heartbeat", Double, nullable=False),
    Column("user_name", String(255)),
    Column("host", String(255)),
    Column("pid", Integer),
    Column("parent_id", String(32)),
    Column("notebook_path", Text),
    Column("notebook_digest", String(64)),
    Column("git_commit", String(64)),
    Column("git_branch", String(255)),
    Column("git_dirty", Boolean),
    Column("environment", Text),
    Column("error", Text),
    # When the run was soft-deleted (revision 0009); NULL for a run that is not deleted.
    Column("deleted_at", Double),
    Index("ix_runs_experiment_start", "experiment_id", "start_time"),
    Index("ix_runs_status", "status"),
    Index("ix_runs_name", "name"),
    Index("ix_runs_start_time", "start_time"),
    # A search's candidates are child runs, found by their parent (revision 0008).
    Index("ix_runs_parent_id", "parent_id"),
    Index("ix_runs_deleted_at", "deleted_at"),
)

run_cells = Table(
    "run_cells",
    metadata,
    Column("run_id", String(32), ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("execution_count", Integer),
    Column("source", Text, nullable=False),
    Column("started", Double, nullable=False),
    Column("duration", Double),
    Column("status", String(16), nullable=False),
    Column("error", Text),
)

params = Table(
    "params",
    metadata,
    Column("run_id", String(32), ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("key", String(250), primary_key=True),
    Column("value", Text, nullable=False),
    *key_value_indexes("params"),
)

tags = Table(
    "tags",
    metadata,
    Column("run_id", String(32), ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("key", String(250), primary_key=True),
    Column("value", Text, nullable=False),
    *key_value_indexes("tags"),
)

# A metric's history: a row per write of one metric of one run (up to 10,000 points), as
# little-endian arrays of int64 steps, float64 values (NaN kept) and float64 timestamps;
# read and written by store.metric_chunks (revision 0012; before it, a row per point).
metric_chunks = Table(
    "metric_chunks",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("run_id", String(32), ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("key", String(250), nullable=False),
    Column("points", Integer, nullable=False),
    Column("first_step", BigInteger, nullable=False),
    Column("last_step", BigInteger, nullable=False),
    Column("step_data", LargeBinary, nullable=False),
    Column("value_data", LargeBinary, nullable=False),
    Column("time_data", LargeBinary, nullable=False),
    Index("ix_metric_chunks_run_key_id", "run_id", "key", "id"),
)

latest_metrics = Table(
    "latest_metrics",
    metadata,
    Column("run_id", String(32), ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("key", String(250), primary_key=True),
    Column("value", Double),
    Column("is_nan", Boolean, nullable=False),
    Column("step", BigInteger, nullable=False),
    Column("timestamp", Double, nullable=False),
    # Covering: a metric filter is answered from the index alone (revision 0005).
    Index("ix_latest_metrics_key_value_run", "key", "value", "run_id"),
)

artifacts = Table(
    "artifacts",
    metadata,
    Column("run_id", String(32), ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("path", String(500), primary_key=True),
    Column("digest", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("media_type", String(100), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("created_at", Double, nullable=False),
    Index("ix_artifacts_digest", "digest"),
)

logged_models = Table(
    "logged_models",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(32), ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(255), nullable=False),
    Column("digest", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("flavor", String(32), nullable=False),
    Column("format", String(16), nullable=False),
    Column("class_name", String(255), nullable=False),
    Column("signature", Text),
    Column("created_at", Double, nullable=False),
    UniqueConstraint("run_id", "name"),
)

run_inputs = Table(
    "run_inputs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(32), ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("role", String(32), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("source", Text, nullable=False),
    Column("digest", String(64), nullable=False),
    Column("size", BigInteger),
    Column("info", Text),
    Column("created_at", Double, nullable=False),
    Index("ix_run_inputs_run", "run_id"),
    Index("ix_run_inputs_digest", "digest"),
)

# -- datasets (revision 0002) -------------------------------------------------

datasets = Table(
    "datasets",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(255), nullable=False, unique=True),
    Column("description", Text),
    Column("created_at", Double, nullable=False),
)

dataset_versions = Table(
    "dataset_versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("dataset_id", Integer, ForeignKey("datasets.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("digest", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("format", String(32), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("source_path", Text),
    Column("schema", Text),
    Column("row_count", BigInteger),
    Column("profile", Text),
    Column("description", Text),
    Column("run_id", String(32)),
    Column("created_by", String(255)),
    Column("created_at", Double, nullable=False),
    UniqueConstraint("dataset_id", "version"),
    Index("ix_dataset_versions_digest", "digest"),
)

dataset_version_tags = Table(
    "dataset_version_tags",
    metadata,
    Column(
        "version_id",
        Integer,
        ForeignKey("dataset_versions.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("key", String(250), primary_key=True),
    Column("value", Text, nullable=False),
)

# DVC-style state cache: (host, path) -> digest while size, mtime_ns and inode are unchanged.
file_state = Table(
    "file_state",
    metadata,
    Column("host", String(255), primary_key=True),
    Column("path", String(1024), primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("mtime_ns", BigInteger, nullable=False),
    Column("inode", BigInteger, nullable=False),
    Column("digest", String(64), nullable=False),
    Column("checked_at", Double, nullable=False),
)

run_dataset_links = Table(
    "run_dataset_links",
    metadata,
    Column("run_id", String(32), ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "version_id",
        Integer,
        ForeignKey("dataset_versions.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("role", String(32), primary_key=True),
    Column("direction", String(8), nullable=False),  # "input" or "output"
    Column("created_at", Double, nullable=False),
    Index("ix_run_dataset_links_version", "version_id"),
)

# -- model registry (revision 0002) -------------------------------------------

registered_models = Table(
    "registered_models",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(255), nullable=False, unique=True),
    Column("description", Text),
    Column("created_at", Double, nullable=False),
)

# A registered model's tags (revision 0013), as MLflow's set_registered_model_tag sets them.
registered_model_tags = Table(
    "registered_model_tags",
    metadata,
    Column(
        "model_id",
        Integer,
        ForeignKey("registered_models.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("key", String(250), primary_key=True),
    Column("value", Text, nullable=False),
)

model_versions = Table(
    "model_versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("model_id", Integer, ForeignKey("registered_models.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("run_id", String(32)),
    Column("digest", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("flavor", String(32), nullable=False),
    Column("format", String(16), nullable=False),
    Column("class_name", String(255), nullable=False),
    Column("signature", Text),
    Column("card", Text, nullable=False),
    Column("description", Text),
    Column("created_by", String(255)),
    Column("created_at", Double, nullable=False),
    UniqueConstraint("model_id", "version"),
    Index("ix_model_versions_run", "run_id"),
    Index("ix_model_versions_digest", "digest"),
)

model_version_tags = Table(
    "model_version_tags",
    metadata,
    Column(
        "version_id", Integer, ForeignKey("model_versions.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("key", String(250), primary_key=True),
    Column("value", Text, nullable=False),
)

# One row per (model, stage): the version holding it. Updated with a compare-and-set on
# version_id so two simultaneous promotions cannot both win.
model_stages = Table(
    "model_stages",
    metadata,
    Column("model_id", Integer, ForeignKey("registered_models.id"), primary_key=True),
    Column("stage", String(64), primary_key=True),
    Column("version_id", Integer, ForeignKey("model_versions.id"), nullable=False),
    Column("updated_at", Double, nullable=False),
)

promotion_events = Table(
    "promotion_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("model_id", Integer, ForeignKey("registered_models.id"), nullable=False),
    Column("stage", String(64), nullable=False),
    Column("from_version", Integer),
    Column("to_version", Integer, nullable=False),
    Column("outcome", String(16), nullable=False),  # promoted / refused / conflict
    Column("checks", Text, nullable=False),
    Column("reason", Text),
    Column("user_name", String(255)),
    Column("host", String(255)),
    Column("created_at", Double, nullable=False),
    Index("ix_promotion_events_model_stage", "model_id", "stage"),
)

# -- pipelines (revision 0003) -------------------------------------------------

pipeline_runs = Table(
    "pipeline_runs",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(255), nullable=False),
    Column("spec_path", Text, nullable=False),
    Column("spec_digest", String(64), nullable=False),
    # Digest over the spec and every step notebook: what pipeline promotion pins.
    Column("pipeline_version", String(64), nullable=False),
    Column("env", String(64)),
    Column("status", String(16), nullable=False),
    Column("run_id", String(32)),
    Column("params", Text),
    Column("options", Text),
    Column("trigger", String(32)),
    Column("trigger_run_id", String(32)),
    Column("user_name", String(255)),
    Column("host", String(255)),
    Column("started", Double, nullable=False),
    Column("ended", Double),
    Column("error", Text),
    Index("ix_pipeline_runs_name_started", "name", "started"),
)

step_runs = Table(
    "step_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "pipeline_run_id",
        String(32),
        ForeignKey("pipeline_runs.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("step", String(255), nullable=False),
    Column("run_id", String(32)),
    Column("cache_key", String(64)),
    Column("status", String(16), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("started", Double),
    Column("ended", Double),
    Column("output_notebook", Text),
    Column("outputs", Text),
    Column("error", Text),
    Index("ix_step_runs_pipeline_run", "pipeline_run_id"),
    Index("ix_step_runs_step_key", "step", "cache_key"),
)

pipeline_promotions = Table(
    "pipeline_promotions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(255), nullable=False),
    Column("from_env", String(64), nullable=False),
    Column("to_env", String(64), nullable=False),
    Column("pipeline_version", String(64), nullable=False),
    Column("manifest", Text, nullable=False),
    Column("pipeline_run_id", String(32)),
    Column("reason", Text),
    Column("user_name", String(255)),
    Column("host", String(255)),
    Column("created_at", Double, nullable=False),
    Index("ix_pipeline_promotions_name_env", "name", "to_env"),
)

# -- schedules (revision 0004) --------------------------------------------------

schedules = Table(
    "schedules",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(255), nullable=False, unique=True),
    Column("target_kind", String(16), nullable=False),  # notebook / pipeline
    Column("target", Text, nullable=False),
    Column("cron", String(255), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("env", String(64)),
    Column("params", Text),
    Column("monitor", Text),
    Column("enabled", Boolean, nullable=False),
    Column("coalesce", Boolean, nullable=False),
    Column("next_due", Double),
    Column("last_tick", Double),
    Column("created_at", Double, nullable=False),
    Column("updated_at", Double, nullable=False),
)

# A (schedule, tick) pair is unique: two schedulers racing for one tick cannot both run it.
schedule_runs = Table(
    "schedule_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("schedule_id", Integer, ForeignKey("schedules.id", ondelete="CASCADE"), nullable=False),
    Column("tick", Double, nullable=False),
    Column("status", String(16), nullable=False),
    Column("claimed_by", String(255)),
    Column("started", Double),
    Column("ended", Double),
    Column("run_id", String(32)),
    Column("pipeline_run_id", String(32)),
    Column("output_notebook", Text),
    Column("error", Text),
    UniqueConstraint("schedule_id", "tick"),
)

# -- store merges (revision 0006) ------------------------------------------------

# Small facts about the store itself; ``store_id`` is its identity (a uuid made on first
# need), which a target store records its merges under: a laptop's path may change.
store_meta = Table(
    "store_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

# Which row of a merged store became which row here: a re-run copies nothing twice.
migrated_ids = Table(
    "migrated_ids",
    metadata,
    Column("source_store", String(32), primary_key=True),
    Column("table_name", String(64), primary_key=True),
    Column("source_id", BigInteger, primary_key=True, autoincrement=False),
    Column("target_id", BigInteger, nullable=False),
)

# -- inference logs (revision 0007) ----------------------------------------------

# One row per flushed batch of logged traffic; the rows themselves are a Parquet object in
# the artifact store (``digest``), so the serving path never writes one row per request.
inference_batches = Table(
    "inference_batches",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("model_name", String(255), nullable=False),
    Column("stage", String(64)),
    # "traffic" (what a server saw and answered) or "labels" (outcomes that came later).
    Column("kind", String(16), nullable=False),
    Column("server_id", String(32), nullable=False),
    Column("digest", String(64), nullable=False),
    Column("n_rows", Integer, nullable=False),
    Column("versions", String(255), nullable=False),
    Column("first_time", Double, nullable=False),
    Column("last_time", Double, nullable=False),
    Column("created_at", Double, nullable=False),
    Index("ix_inference_batches_model_time", "model_name", "last_time"),
    Index("ix_inference_batches_digest", "digest"),
)

# -- reproductions (revision 0010) --------------------------------------------

# A reproducibility certificate: a run re-executed from its record, and the verdict.
reproductions = Table(
    "reproductions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(32), ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("reproduction_run_id", String(32)),
    Column("model_version_id", Integer, ForeignKey("model_versions.id", ondelete="SET NULL")),
    Column("verdict", String(32), nullable=False),
    Column("tolerance", Double, nullable=False),
    Column("details", Text, nullable=False),
    Column("created_at", Double, nullable=False),
    Index("ix_reproductions_run", "run_id"),
    Index("ix_reproductions_model_version", "model_version_id"),
)
