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
