"""The model registry: versions with model cards, stages behind gates, audited promotions.

``import jupyter_mlops as mlops`` then ``mlops.models.register(run, "churn")``,
``mlops.models.check_promotion("churn", 3, to="production", checks=[...])`` (a dry run),
``mlops.models.promote("churn", 3, to="production", checks=["metrics.roc_auc >= 0.85"])``,
``mlops.models.load("models:/churn@production")``,
``mlops.models.export("models:/churn@production", "container", "build/churn")``.
"""

from jupyter_mlops.errors import GateRefused
from jupyter_mlops.expressions import GateResult
from jupyter_mlops.models.export import Exported, export
from jupyter_mlops.models.loading import Predictor, affected_model_versions, load, load_predictor
from jupyter_mlops.models.promotion import (
    DEFAULT_STAGES,
    PromotionCheck,
    check_promotion,
    events,
    history,
    promote,
    rollback,
)
from jupyter_mlops.models.records import ModelVersion, PromotionEvent
from jupyter_mlops.models.registry import (
    delete_tag,
    get,
    list_models,
    list_versions,
    register,
    set_tag,
)
from jupyter_mlops.models.uri import ModelURI, parse_model_uri
from jupyter_mlops.models.validation import ValidationResult

#: ``mlops.models.list()`` reads as the registry's listing.
list = list_models

__all__ = [
    "DEFAULT_STAGES",
    "Exported",
    "GateRefused",
    "GateResult",
    "ModelURI",
    "ModelVersion",
    "Predictor",
    "PromotionCheck",
    "PromotionEvent",
    "ValidationResult",
    "affected_model_versions",
    "check_promotion",
    "delete_tag",
    "events",
    "export",
    "get",
    "history",
    "list",
    "list_models",
    "list_versions",
    "load",
    "load_predictor",
    "parse_model_uri",
    "promote",
    "register",
    "rollback",
    "set_tag",
]
