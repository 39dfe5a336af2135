"""statsmodels fitted results, saved with statsmodels' own ``save``.

Trust level: statsmodels saves results as a **pickle** (it has no other format), so loading
one can run code: :func:`~jupyter_mlops.models.load` refuses it unless ``trusted=True``. The
run also keeps the results' summary as text, readable without loading anything.
"""

from __future__ import annotations

import io
from typing import Any

from jupyter_mlops.tracking.flavors._files import framework
from jupyter_mlops.tracking.flavors.base import Saved, class_name, instance_of
from jupyter_mlops.tracking.flavors.python import PICKLE_MEDIA_TYPE, load_pickle


def is_results(model: Any) -> bool:
    """Whether ``model`` is a statsmodels results object (never imports statsmodels)."""
    return instance_of(model, "statsmodels.base.wrapper", "ResultsWrapper") or instance_of(
        model, "statsmodels.base.model", "Results"
    )


class StatsmodelsFlavor:
    """Results of ``Model.fit()`` (``OLS(...).fit()``, ``smf.logit(...).fit()``, ARIMA…)."""

    name = "statsmodels"

    def handles(self, model: Any) -> bool:
        return is_results(model)

    def save(self, model: Any) -> Saved:
        buffer = io.BytesIO()
        model.save(buffer)
        return Saved(buffer.getvalue(), "pickle", self.name, class_name(model), PICKLE_MEDIA_TYPE)

    def load(self, data: bytes, format: str, *, trusted: bool) -> Any:
        framework("statsmodels", "statsmodels")  # the pickle refers to its classes
        return load_pickle(data, trusted=trusted)

    def predict(self, model: Any, frame: Any) -> Any:
        return model.predict(frame)
