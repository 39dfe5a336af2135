"""``predict``: score a file with a registered model, chunk by chunk."""

from __future__ import annotations

from jupyter_mlops.commands.grammar import Opt, Verb, text_or_json
from jupyter_mlops.services.schema import PredictRequest

PREDICT = Verb(
    "predict",
    "Score a Parquet or CSV file with a registered model, in bounded memory.",
    request=PredictRequest,
    opts=(
        Opt(
            "uri",
            metavar="MODEL_URI",
            help="models:/NAME@STAGE, models:/NAME/VERSION or models:/NAME (latest)",
        ),
        Opt("input", ("-i", "--input"), metavar="FILE"),
        Opt("output", ("-o", "--output"), metavar="FILE"),
        Opt("chunk_rows", ("--chunk-rows",), metavar="N"),
        Opt("trusted", ("--trusted",)),
        Opt("executor", ("--executor",), metavar="SPEC"),
        text_or_json("PredictInfo"),
    ),
    description="""\
Rows are read, checked against the model's recorded signature, predicted and written
--chunk-rows at a time, so memory stays bounded by one chunk whatever the file's size.
The output holds the input's columns plus `prediction` (prediction_0, prediction_1, ...
for several outputs per row); it appears whole or not at all.

With --executor dask://HOST:PORT the input (a .parquet file or a directory of them) is
scored on that Dask cluster's workers, the model sent to each worker once, and the output
is a directory of Parquet files (part-00000.parquet, ... in the input's row order). The
input and the output must be on storage every worker sees.

examples:
  jupyter-mlops predict models:/churn@production --input data.parquet --output preds.parquet
  jupyter-mlops predict models:/churn/3 -i new.csv -o scored.csv --chunk-rows 50000
  jupyter-mlops predict models:/churn@production -i /shared/events/ -o /shared/scored/ \
      --executor dask://scheduler:8786
""",
)
