"""Exceptions as a dlt run hands them back: what a source raised arrives wrapped twice (in the resource's
extraction error, then in the failed pipeline step)."""

from typing import TypeVar

E = TypeVar("E", bound=BaseException)


def wrapped_error(error: BaseException | None, kind: type[E]) -> E | None:
    """The exception of type `kind` that `error` is or wraps, however deep; None when there is none."""
    while error is not None and not isinstance(error, kind):
        error = error.__cause__ or error.__context__
    return error
