"""What every bank reader shares: the result type, building a Question with located errors.

A reader never stops at the first bad question: it returns every valid question together with
every problem (file, row/line, column, what is wrong). The caller decides: by default a bank
with problems imports nothing; `--keep-valid` takes the valid ones and reports the rest.
"""
from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from ..errors import InputError, Problem
from ..model import Question

_ID_OK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
LETTERS = "ABCDEFGH"


@dataclass
class BankResult:
    questions: list[Question] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    lines: dict[str, int | None] = field(default_factory=dict)  # question id → its row/line

    def extend(self, other: "BankResult") -> None:
        self.questions.extend(other.questions)
        self.problems.extend(other.problems)
        self.lines.update(other.lines)

    def raise_if_problems(self) -> list[Question]:
        if self.problems:
            raise InputError(self.problems)
        return self.questions


def valid_id(text: str) -> bool:
    return bool(_ID_OK.match(text)) and len(text) <= 80


def slug(text: str, fallback: str = "q") -> str:
    """An ASCII id from a file name or title; Chinese names give the fallback."""
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-._")
    return cleaned[:40] if cleaned and cleaned[0].isalnum() else fallback


def build_question(data: dict[str, Any], file: str, line: int | None, column_of=None) -> Question | list[Problem]:
    """Validate `data` as a Question; on failure, one Problem per pydantic error.

    `column_of(loc)` maps a field path to the column a user sees (a spreadsheet header, a
    GIFT part); without it the field path itself is shown.
    """
    try:
        return Question.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"])
            column = column_of(loc) if column_of else (loc or None)
            message = err["msg"].removeprefix("Value error, ")
            problems.append(Problem(file, message, line, column))
        return problems


def add_question(result: BankResult, built: Question | list[Problem], seen: dict[str, int | None], file: str, line: int | None) -> None:
    """Append a built question, refusing a duplicate id (naming where the first one was)."""
    if isinstance(built, list):
        result.problems.extend(built)
        return
    if built.id in seen:
        first = seen[built.id]
        result.problems.append(Problem(file, f"题目 id 重复（首次出现在第 {first} 行）/ duplicate id '{built.id}' (first at line/row {first})", line, "id"))
        return
    seen[built.id] = line
    result.lines[built.id] = line
    result.questions.append(built)


def check_weights(options: list[dict[str, Any]]) -> str | None:
    """Moodle rule: the positive weights of a multiple-answer question add up to 100%."""
    positive = sum(o["fraction"] for o in options if o.get("fraction") is not None and o["fraction"] > 0)
    if abs(positive - 1.0) > 0.011:  # Moodle's own 33.333% × 3 must pass
        return f"正确选项权重之和为 {positive * 100:g}%，应为 100% / weights of right answers add up to {positive * 100:g}%, not 100%"
    return None


def atomic_write_bytes(path, data: bytes) -> None:
    """Binary twin of answers.atomic_write_text: a crash never leaves half a workbook."""
    from pathlib import Path

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
