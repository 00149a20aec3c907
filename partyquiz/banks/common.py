"""What every bank reader shares: the result type, building a Question with located errors.

A reader never stops at the first bad question: it returns every valid question together with
every problem (file, row/line, column, what is wrong). The caller decides: by default a bank
with problems imports nothing; `--keep-valid` takes the valid ones and reports the rest.
"""
from __future__ import annotations

import re
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
    # what was kept only in part (never refusing the bank): shown to the user with the import
    warnings: list[Problem] = field(default_factory=list)
    # embedded files: safe name → bytes, referenced from texts as media/<name> (see media.py)
    media: dict[str, bytes] = field(default_factory=dict)

    def extend(self, other: "BankResult") -> None:
        self.questions.extend(other.questions)
        self.problems.extend(other.problems)
        self.lines.update(other.lines)
        self.warnings.extend(other.warnings)
        self.media.update(other.media)

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


# Moodle's grade list (question_bank::fraction_options_full): an imported weight must be one of
# these within 0.00001 (match_grade_options, matchgrades = "error"), or the question is refused.
MOODLE_FRACTIONS = (1.0, 0.9, 0.8333333, 0.8, 0.75, 0.7, 0.6666667, 0.6, 0.5, 0.4, 0.3333333, 0.3,
                    0.25, 0.2, 0.1666667, 0.1428571, 0.125, 0.1111111, 0.1, 0.05, 0.0)
WILDCARD_RANGE = (-1.7976931348623157e308, 1.7976931348623157e308)  # Moodle's numerical answer "*"


_EXACT_GRADES = frozenset(MOODLE_FRACTIONS) | frozenset(-g for g in MOODLE_FRACTIONS)


def snap_fraction(fraction: float) -> float:
    """The Moodle grade a weight stands for (33.333% is stored as 0.3333333, as Moodle does)."""
    if fraction in _EXACT_GRADES:
        return fraction
    for grade in MOODLE_FRACTIONS:
        if abs(abs(fraction) - grade) < 0.00001:
            return grade if fraction >= 0 else -grade
    return fraction


def invalid_fractions(fractions: list[float]) -> list[float]:
    return [f for f in fractions if f not in _EXACT_GRADES and not any(abs(abs(f) - g) < 0.00001 for g in MOODLE_FRACTIONS)]


def grade_problems(kind: str, fractions: list[float]) -> str | None:
    """Moodle's import checks on the answers' weights, as its importer and question types apply them.

    Every weight one of Moodle's grades; single choice, short answer and numerical: the best
    answer is worth 100%; multiple choice: the positive weights add up to 100% once rounded to
    two decimals (so 3 × 33.33333% passes, 99.67% does not).
    """
    if bad := invalid_fractions(fractions):
        shown = ", ".join(f"{pct(f)}%" for f in bad)
        return f"权重 {shown} 不是 Moodle 的可选分值 / weight {shown} is not one of Moodle's grades"
    if kind == "multiple":
        total = round(sum(f for f in fractions if f > 0), 2)
        if total != 1:
            return f"正确选项权重之和为 {pct(total)}%，应为 100% / weights of right answers add up to {pct(total)}%, not 100%"
    elif fractions and max(fractions) != 1 and not any(abs(f - 1) < 0.00001 for f in fractions):
        best = pct(max(fractions))
        return f"没有满分答案（最高 {best}%）/ no answer is worth 100% (best {best}%)"
    return None


def check_weights(options: list[dict[str, Any]]) -> str | None:
    """Moodle rule: the positive weights of a multiple-answer question add up to 100%."""
    return grade_problems("multiple", [o.get("fraction") or 0.0 for o in options])


def pct(fraction: float) -> str:
    """A weight as Moodle writes it in percent, exactly: 0.3333333 → '33.33333', never float noise."""
    from decimal import Decimal

    text = format((Decimal(repr(float(fraction))) * 100).normalize(), "f")
    return text if text not in ("-0",) else "0"


def fraction_of(percent: str) -> float:
    """'33.33333' → 0.3333333 exactly (the float nearest the decimal), the inverse of `pct`."""
    from decimal import Decimal

    return float(Decimal(percent.replace(",", ".")) / 100)
