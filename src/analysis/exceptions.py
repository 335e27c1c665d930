"""Errors the package raises on purpose: each names where the problem is and what was expected."""

from __future__ import annotations

from pathlib import Path


class AnalysisError(Exception):
    """Base class of the package's own errors (the CLI turns them into a message and exit 2)."""


class RawDataError(AnalysisError):
    """A raw export cannot be used as it is.

    ``row`` is the row number a spreadsheet program shows for the record (the header is row 1
    unless title rows stand above it); ``column`` is the header as written in the file.
    """

    def __init__(
        self,
        file: str | Path,
        problem: str,
        *,
        row: int | None = None,
        column: str | None = None,
        expected: str | None = None,
        value: object = None,
    ) -> None:
        self.file, self.problem, self.row, self.column = str(file), problem, row, column
        self.expected, self.value = expected, value
        where = [self.file]
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column {column!r}")
        message = f"{', '.join(where)}: {problem}"
        if value is not None:
            shown = str(value)
            shown = shown if len(shown) <= 80 else shown[:77] + "..."
            message += f": got {shown!r}"
        if expected:
            message += f"; expected {expected}"
        super().__init__(message)


class CatalogueError(AnalysisError):
    """The indicator catalogue is malformed."""
