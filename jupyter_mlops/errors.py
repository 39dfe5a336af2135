"""Errors and warnings raised by jupyter_mlops.

Two channels: :class:`MlopsUsageError` is a user's mistake (one line, no
traceback: ``UsageError`` in a magic, exit code 2 on the command line, HTTP
400); everything else derives from :class:`MlopsError`. Every error keeps its
structured fields through pickling because errors cross process boundaries.
:class:`MlopsWarning` says something was recorded differently from how it was given.
"""

from __future__ import annotations

from typing import Any


class MlopsError(Exception):
    """Root of every error raised by jupyter_mlops."""

    def __init__(self, message: str, **fields: Any) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields
        for key, value in fields.items():
            setattr(self, key, value)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.message, self.fields))

    def __str__(self) -> str:
        return self.message


def _rebuild(cls: type[MlopsError], message: str, fields: dict[str, Any]) -> MlopsError:
    err = cls.__new__(cls)
    MlopsError.__init__(err, message, **fields)
    return err


class MlopsUsageError(MlopsError, ValueError):
    """A user's mistake: bad arguments, bad names, bad expressions."""


class OptionError(MlopsUsageError):
    """A value given to an option of a verb that its request refuses; ``verb`` names the verb
    as typed (``schedule add``), so a face can point to that verb's help."""

    verb: str

    def __init__(self, message: str, *, verb: str) -> None:
        super().__init__(message, verb=verb)


class NotFoundError(MlopsUsageError, LookupError):
    """A run, artifact, dataset or model that does not exist."""


class ConflictError(MlopsError):
    """Two writers raced for the same thing; the loser gets this."""


class RecordUnavailable(MlopsError):  # noqa: N818 - reads as the state it names
    """Something a record names can no longer be read (e.g. a data object lost from the
    artifact store): the request was valid, the store cannot answer it from its record."""


class FilterSyntaxError(MlopsUsageError):
    """A filter or gate expression that does not parse; ``position`` is 0-based."""

    def __init__(self, message: str, *, expression: str = "", position: int = 0) -> None:
        super().__init__(message, expression=expression, position=position)


class GateRefused(MlopsError):  # noqa: N818 - the public name the product documents
    """A gate refused: ``failed`` lists the failing checks as dicts (expression, values, ...)."""


class ArtifactIntegrityError(MlopsError):
    """A stored object whose content no longer matches its digest."""

    def __init__(self, message: str, *, digest: str) -> None:
        super().__init__(message, digest=digest)


class ForeignEntryError(MlopsError):
    """Something at an object's place that the store did not write (a link, a device): it is
    reported and left alone, never read through or changed."""

    def __init__(self, message: str, *, path: str) -> None:
        super().__init__(message, path=path)


class UntrustedArtifactError(MlopsUsageError):
    """A model artifact that can run arbitrary code on load and was not trusted."""


class StoreError(MlopsError):
    """The store could not be opened or written."""


class ReadOnlyStoreError(StoreError):
    """The store can be read but not written: a read-only file or database, a full disk, no
    permission. Reads go on working; a write says so in one line and writes nothing."""


class KernelStartError(MlopsError):
    """A kernel did not start (bad kernel name, crash at start-up, time-out)."""


class PipelineRefused(MlopsError):  # noqa: N818 - like GateRefused
    """A run or a promotion that the promotion rules do not allow (exit code 1)."""


class MlopsWarning(UserWarning):
    """Something was recorded differently from how it was given."""
