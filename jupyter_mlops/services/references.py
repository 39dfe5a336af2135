"""The one list of objects the store references, shared by ``gc`` and ``verify``.

The records' own digests come from :mod:`jupyter_mlops.store.objects`; a folder dataset
version adds every file its manifest lists. What one keeps, the other checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from jupyter_mlops.data.manifest import Manifest
from jupyter_mlops.errors import (
    ArtifactIntegrityError,
    ForeignEntryError,
    MlopsError,
    NotFoundError,
)
from jupyter_mlops.store import Store
from jupyter_mlops.store.objects import (
    ObjectRef,
    fingerprint_digests,
    folder_versions,
    owners,
    row_digests,
)

__all__ = ["ObjectRef", "References", "every_reference", "owners_of"]


@dataclass
class References:
    """Every referenced digest, with the folder files found through manifests.

    ``digests`` must be present (records need them, folder files included);
    ``fingerprints`` are digests runs recorded of their inputs and notebooks, kept by ``gc``
    when such an object exists but not required. ``members`` maps a folder file's digest to
    the dataset versions listing it; ``unreadable`` maps a manifest that could not be read
    to the error (its files are unknown then).
    """

    digests: set[str] = field(default_factory=set)
    fingerprints: set[str] = field(default_factory=set)
    members: dict[str, list[ObjectRef]] = field(default_factory=dict)
    unreadable: dict[str, MlopsError] = field(default_factory=dict)


def every_reference(store: Store) -> References:
    """Every digest a record points at, each folder version's files included, and the
    fingerprints runs recorded."""
    refs = References(digests=set(row_digests(store)), fingerprints=set(fingerprint_digests(store)))
    for version in folder_versions(store):
        try:
            manifest = Manifest.from_bytes(
                store.objects.read_bytes(version.digest), digest=version.digest
            )
        except (NotFoundError, ArtifactIntegrityError, ForeignEntryError) as exc:
            refs.unreadable[version.digest] = exc
            continue
        for entry in manifest.entries:
            refs.digests.add(entry.digest)
            refs.members.setdefault(entry.digest, []).append(
                ObjectRef("dataset file", f"{version.name}: {entry.path}", version.run_id)
            )
    return refs


def owners_of(
    store: Store, references: References, digests: list[str]
) -> dict[str, list[ObjectRef]]:
    """Who points at each of ``digests``: records, then the folder versions listing it."""
    found = owners(store, digests)
    for digest in digests:
        found.setdefault(digest, []).extend(references.members.get(digest, ()))
    return {d: refs for d, refs in found.items() if refs}
