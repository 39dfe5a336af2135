"""``reproduce``: re-execute a run's recorded cells in a clean kernel and certify the result."""

from __future__ import annotations

from jupyter_mlops.commands.grammar import Opt, Verb, text_or_json
from jupyter_mlops.services.schema.reproduce import ReproduceRequest

REPRODUCE = Verb(
    "reproduce",
    "Re-execute a run's (or model version's) recorded cells in a clean kernel and certify it.",
    example="%mlops reproduce models:/churn@staging --tolerance 1e-6",
    request=ReproduceRequest,
    opts=(
        Opt("target", metavar="RUN|MODEL_URI"),
        Opt("tolerance", ("--tolerance",), metavar="X"),
        Opt("strict", ("--strict",)),
        Opt("timeout", ("--timeout",), metavar="S"),
        text_or_json("ReproductionReport"),
    ),
    description="""\
The slice is the recorded cells the run's metrics and model depend on, in their recorded
order (cells nothing later uses are dropped). The data files the run read are restored from
the artifact store (digests verified) into a temporary folder, the slice runs there in a
fresh kernel as a new run tagged mlops.reproduces=<run id>, and its metrics and models are
compared with the record: reproduced, reproduced within tolerance, or not reproduced with
the first difference and its likely cause (a second execution tells nondeterminism apart).
The verdict is stored as a certificate, which the promotion check `reproducible` reads.
Exit code 0 when reproduced (within the tolerance), 1 when not.

examples:
  jupyter-mlops reproduce brisk-otter-42
  jupyter-mlops reproduce models:/churn/3 --tolerance 1e-6 --strict --timeout 600
""",
)
