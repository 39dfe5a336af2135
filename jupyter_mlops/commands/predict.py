"""``predict``: score a file with a registered model, chunk by chunk."""

from __future__ import annotations

from jupyter_mlops.commands.grammar import Opt, Verb
from jupyter_mlops.commands.schedule import text_or_json
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
        text_or_json("PredictInfo"),
    ),
    description="""\
Rows are read, checked against the model's recorded signature, predicted and written
--chunk-rows at a time, so memory stays bounded by one chunk whatever the file's size.
The output holds the input's columns plus `prediction` (prediction_0, prediction_1, ...
for several outputs per row); it appears whole or not at all.

examples:
  jupyter-mlops predict models:/churn@production --input data.parquet --output preds.parquet
  jupyter-mlops predict models:/churn/3 -i new.csv -o scored.csv --chunk-rows 50000
""",
)
