"""Loading a registered model, verified against its digest; which versions an object backs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from jupyter_mlops.errors import ArtifactIntegrityError, NotFoundError
from jupyter_mlops.models.uri import ModelURI, parse_model_uri
from jupyter_mlops.store import Store, current_store
from jupyter_mlops.store import models as stored
from jupyter_mlops.tracking import flavors


@dataclass(frozen=True)
class Predictor:
    """A registered model version ready to serve: ``predict(frame)`` for every flavor alike.

    ``model`` is the native model (what :func:`load` returns); ``signature`` the input
    columns and dtypes it was fitted on, when recorded.
    """

    name: str
    version: int
    digest: str
    flavor: str
    format: str
    signature: dict[str, Any] | None
    model: Any

    @property
    def uri(self) -> str:
        return f"models:/{self.name}/{self.version}"

    def predict(self, frame: Any) -> Any:
        """The model's predictions for the rows of ``frame`` (a DataFrame), one per row."""
        return flavors.flavor_named(self.flavor).predict(self.model, frame)


def load_predictor(uri: str, *, trusted: bool = False, store: Store | None = None) -> Predictor:
    """Load the model a URI names, wrapped to predict the same way whatever its framework.

    Args and Raises: as :func:`load`.
    """
    store = store or current_store()
    row = _resolve(parse_model_uri(uri), store)
    model = _load_row(store, row, trusted=trusted)
    return Predictor(
        row.name, row.version, row.digest, row.flavor, row.format, row.signature, model
    )


def load(uri: str, *, trusted: bool = False, store: Store | None = None) -> Any:
    """Load the model a URI names, after checking its artifact against its digest.

    Args:
        uri: ``models:/NAME/VERSION``, ``models:/NAME@STAGE`` or ``models:/NAME`` (latest).
        trusted: allow formats that can run code on load (pickle; skops with foreign types).
        store: the store (default: the project's store).

    Returns:
        The deserialized model (a scikit-learn estimator for skops artifacts).

    Raises:
        MlopsUsageError: a malformed URI.
        NotFoundError: an unknown model, version or stage, or an artifact missing from storage.
        ArtifactIntegrityError: the stored artifact no longer matches its digest.
        UntrustedArtifactError: a pickle (or foreign skops types) loaded without ``trusted``.
    """
    store = store or current_store()
    return _load_row(store, _resolve(parse_model_uri(uri), store), trusted=trusted)


def _resolve(ref: ModelURI, store: Store) -> stored.StoredModelVersion:
    with store.read() as conn:
        return stored.resolve(conn, ref.name, ref.version, ref.stage, full=False)


def _load_row(store: Store, row: stored.StoredModelVersion, *, trusted: bool) -> Any:
    name = row.name
    label = f"models:/{name}/{row.version}"
    try:
        data = store.objects.read_bytes(row.digest)
    except ArtifactIntegrityError as exc:
        raise ArtifactIntegrityError(
            f"Cannot load {label}: its artifact {row.digest} is corrupt (the stored bytes no "
            "longer match the digest). Run `jupyter-mlops verify` to list what is affected.",
            digest=row.digest,
        ) from exc
    except NotFoundError as exc:
        raise NotFoundError(
            f"Cannot load {label}: its artifact {row.digest} is missing from the artifact "
            "store. Run `jupyter-mlops verify` to list what is affected.",
            digest=row.digest,
            model=name,
            version=row.version,
        ) from exc
    return flavors.load(data, flavor=row.flavor, format=row.format, trusted=trusted)


def affected_model_versions(store: Store, digests: Iterable[str]) -> list[str]:
    """The model versions whose artifact is one of ``digests``, as sorted ``models:/`` URIs.

    Used by ``jupyter-mlops verify`` to report what a missing or corrupt object breaks.
    """
    return [f"models:/{name}/{version}" for name, version in stored.with_digests(store, digests)]
