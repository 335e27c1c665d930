"""Errors the package raises on purpose: each names where the problem is and what was expected."""

from __future__ import annotations

import re
from pathlib import Path

#: Whitespace that would break the one-line message (line and paragraph separators included).
_BREAKS = re.compile(r"[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]+")


class AnalysisError(Exception):
    """Base class of the package's own errors (the CLI turns them into a message and exit 2)."""


class RawDataError(AnalysisError):
    """A raw export cannot be used as it is.

    ``row`` is the row number a spreadsheet program shows for the record (the header is row 1
    unless title rows stand above it); ``column`` is the header as written in the file.
    The message is one line, and anything in it that looks like personal data (a phone number,
    a citizen ID, an e-mail address: a misplaced cell can hold one) is redacted.
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
            where.append(f"column {_redact(column)!r}")
        message = f"{', '.join(where)}: {_redact(problem)}"
        if value is not None:
            shown = _redact(str(value))
            shown = shown if len(shown) <= 80 else shown[:77] + "..."
            message += f": got {shown!r}"
        if expected:
            message += f"; expected {_redact(expected)}"
        super().__init__(_BREAKS.sub(" ", message))

    def at(self, file: str | Path) -> RawDataError:
        """The same error naming ``file`` instead (e.g. the path relative to the raw folder)."""
        return RawDataError(
            file,
            self.problem,
            row=self.row,
            column=self.column,
            expected=self.expected,
            value=self.value,
        )


def _redact(text: str) -> str:
    from analysis.privacy import redact_text  # privacy imports the catalogue, which imports us

    return redact_text(str(text))


class CatalogueError(AnalysisError):
    """The indicator catalogue is malformed."""
