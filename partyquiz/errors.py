"""Errors that name the file and the row or line, as users need to fix their input."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    file: str
    message: str
    line: int | None = None  # line (text formats) or row (spreadsheets)
    column: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
        if self.column:
            where += f" [{self.column}]"
        return f"{where}: {self.message}"


class PartyquizError(Exception):
    """A failure the library explains in its message (the CLI prints it and exits 1)."""


class InputError(PartyquizError):
    """Bad input: carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem] | Problem):
        self.problems = problems if isinstance(problems, list) else [problems]
        super().__init__("\n".join(str(p) for p in self.problems))


class NotFound(KeyError):
    """Something asked for by a name that is not there: a lesson, an assignment, a question kind.

    `args[0]` is the name (the CLI words it as "not found: …"); a subclass whose `args[0]` is
    already a whole message sets `worded`. A KeyError, so `except KeyError` around a lookup still
    catches it; the CLI catches only this class, so a KeyError or IndexError from a bug stays a
    traceback instead of a "not found" message."""

    worded = False

    def __str__(self) -> str:  # the name or message as written, not KeyError's quoted repr
        return str(self.args[0]) if self.args else ""
