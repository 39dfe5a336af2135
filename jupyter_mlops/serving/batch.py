"""Batch scoring: a Parquet or CSV file in, its rows with predictions out, chunk by chunk.

Memory stays bounded by one chunk (``chunk_rows`` rows) whatever the file's size: rows are
read, checked against the model's signature, predicted and appended to the output one
chunk at a time.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from jupyter_mlops.errors import MlopsUsageError
from jupyter_mlops.models import Predictor
from jupyter_mlops.serving.signature import PayloadError, conform

PREDICTION = "prediction"


@dataclass(frozen=True)
class Scored:
    """What a batch scoring wrote."""

    rows: int
    chunks: int


def _chunks(path: Path, chunk_rows: int) -> Iterator[tuple[pd.DataFrame, pa.Table]]:
    """Each chunk as a DataFrame (for the model) and as Arrow (for the output, no copy)."""
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        # No pre-buffering and no threads: both read ahead, several chunks' worth at once.
        with pq.ParquetFile(path, pre_buffer=False) as source:
            for group in range(source.num_row_groups):
                for table in _row_group(source, group, chunk_rows):
                    yield table.to_pandas(), table
    elif suffix == ".csv":
        with pd.read_csv(path, chunksize=chunk_rows) as reader:
            for frame in reader:
                yield frame, pa.Table.from_pandas(frame, preserve_index=False)
    else:
        raise MlopsUsageError(f"Cannot read {path.name}: give a .parquet or .csv file.")


def _row_group(source: pq.ParquetFile, group: int, chunk_rows: int) -> Iterator[pa.Table]:
    """One row group in chunks of ``chunk_rows`` rows.

    A row group no larger than two chunks is read whole (the reader's buffers for it are then
    freed at once); a larger one is streamed in batches, which costs the reader more buffers
    per row but never holds the whole group.
    """
    if source.metadata.row_group(group).num_rows <= 2 * chunk_rows:
        whole = source.read_row_group(group, use_threads=False)
        for start in range(0, whole.num_rows, chunk_rows):
            yield whole.slice(start, chunk_rows)
        return
    for batch in source.iter_batches(batch_size=chunk_rows, row_groups=[group], use_threads=False):
        yield pa.Table.from_batches([batch])


def _prediction_columns(predictions: np.ndarray, n: int) -> dict[str, np.ndarray]:
    if predictions.ndim == 1:
        return {PREDICTION: predictions}
    flat = predictions.reshape(n, -1)
    return {f"{PREDICTION}_{i}": flat[:, i] for i in range(flat.shape[1])}


def score_file(predictor: Predictor, source: Path, output: Path, *, chunk_rows: int) -> Scored:
    """Predict every row of ``source`` into ``output`` (its columns plus ``prediction``).

    Raises:
        MlopsUsageError: an unreadable input, an output format other than Parquet or CSV,
            or rows that do not fit the model's signature (naming the chunk's first row).
    """
    if not source.is_file():
        raise MlopsUsageError(f"No input file {source}: give the path of a .parquet or .csv.")
    out_kind = output.suffix.lower()
    if out_kind not in (".parquet", ".pq", ".csv"):
        raise MlopsUsageError(f"Cannot write {output.name}: give a .parquet or .csv output path.")
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(f".{output.name}.partial")
    rows = chunks = 0
    writer: pq.ParquetWriter | pa_csv.CSVWriter | None = None
    try:
        for frame, table in _chunks(source, chunk_rows):
            try:
                checked = conform(frame, predictor.signature)
            except PayloadError as exc:
                raise MlopsUsageError(f"Rows {rows + 1}-{rows + len(frame)}: {exc}") from None
            predicted = np.asarray(predictor.predict(checked))
            del checked, frame  # the Arrow chunk is what gets written, with the predictions
            for name, values in _prediction_columns(predicted, len(table)).items():
                table = table.append_column(name, pa.array(values))
            if writer is None:
                writer = (
                    pa_csv.CSVWriter(str(tmp), table.schema)
                    if out_kind == ".csv"
                    else pq.ParquetWriter(str(tmp), table.schema)
                )
            writer.write_table(table)
            rows += len(table)
            chunks += 1
        if writer is None:
            raise MlopsUsageError(f"{source} has no rows to score.")
        writer.close()
        writer = None
        tmp.replace(output)  # the output appears whole or not at all
    finally:
        if writer is not None:
            writer.close()
        tmp.unlink(missing_ok=True)
    return Scored(rows, chunks)
