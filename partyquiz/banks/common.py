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
from ..i18n import t
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
        result.problems.append(Problem(file, t("authoring.bank.duplicate_id", id=built.id, first=seen[built.id]), line, "id"))
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
        return t("authoring.bank.grade_not_moodle", weights=", ".join(f"{pct(f)}%" for f in bad))
    if kind == "multiple":
        total = round(sum(f for f in fractions if f > 0), 2)
        if total != 1:
            return t("authoring.bank.grade_sum", total=pct(total))
    elif fractions and max(fractions) != 1 and not any(abs(f - 1) < 0.00001 for f in fractions):
        return t("authoring.bank.grade_no_full", best=pct(max(fractions)))
    return None


def pct(fraction: float) -> str:
    """A weight as Moodle writes it in percent, exactly: 0.3333333 → '33.33333', never float noise."""
    from decimal import Decimal

    text = format((Decimal(repr(float(fraction))) * 100).normalize(), "f")
    return text if text not in ("-0",) else "0"


def fraction_of(percent: str) -> float:
    """'33.33333' → 0.3333333 exactly (the float nearest the decimal), the inverse of `pct`;
    ValueError for what is not a finite number ('abc', 'nan', '1e999')."""
    import math
    from decimal import Decimal, InvalidOperation

    try:
        value = float(Decimal(percent.strip().replace(",", ".")) / 100)
    except (InvalidOperation, ArithmeticError):
        raise ValueError(percent) from None
    if not math.isfinite(value):
        raise ValueError(percent)
    return value


def finite(text: str) -> float:
    """A number from a bank: ValueError for what is not one, and for inf/nan (nobody, or everybody, would be right)."""
    import math

    number = float(text)
    if not math.isfinite(number):
        raise ValueError(text)
    return number


# --- ids -----------------------------------------------------------------------------------------

def option_id(index: int) -> str:
    """a…z, then a1, b1…: stable and in order, as Moodle numbers its answers."""
    return "abcdefghijklmnopqrstuvwxyz"[index % 26] + (str(index // 26) if index >= 26 else "")


def apply_option_ids(data: dict[str, Any], ids: Any) -> None:
    """Our writers keep option ids that are not a, b, c… in their metadata: put them back."""
    items = data.get("options") or data.get("pairs") or []
    if isinstance(ids, list) and ids and len(ids) == len(items):
        for item, new_id in zip(items, ids):
            item["id"] = new_id


def own_option_ids(q: Question) -> list[str] | None:
    ids = [o.id for o in q.options] or [p.id for p in q.pairs]
    return ids if ids and ids != [option_id(i) for i in range(len(ids))] else None


def name_question(data: dict[str, Any], idnumber: str, name: str, fallback: str, seen: dict[str, int | None], warnings: list[Problem],
                  file: str, line: int | None) -> None:
    """Set `data`'s id as Moodle identifies a question, and its title: the idnumber (unique: a
    repeat is refused later), else the name when that is a valid id not used yet (Moodle allows
    repeated names: the second one gets the fallback id, with a warning), else the fallback. A
    name that is not the id is kept as the title."""
    data["id"] = _moodle_id(idnumber, name, fallback, seen, warnings, file, line)
    if name and name != data["id"]:
        data["title"] = name


def _moodle_id(idnumber: str, name: str, fallback: str, seen: dict[str, int | None], warnings: list[Problem], file: str, line: int | None) -> str:
    if idnumber and valid_id(idnumber):
        return idnumber
    if idnumber:
        warnings.append(Problem(file, t("authoring.bank.idnumber_invalid", idnumber=idnumber), line, "id"))
    while fallback in seen:
        fallback += "-x"
    if name and valid_id(name):
        if name not in seen:
            return name
        warnings.append(Problem(file, t("authoring.bank.duplicate_name", name=name, first=seen[name], id=fallback), line, "id"))
    return fallback


# --- what a format holds, per kind ---------------------------------------------------------------

def unmapped(questions: list[Question], mapping: Any, fmt: str, file: str) -> list[Problem]:
    """Every question whose kind the format declares no mapping for: refused at export, by name."""
    return [Problem(file, t("authoring.bank.kind_unmapped", id=q.id, kind=q.type, format=fmt), None, q.id)
            for q in questions if q.type not in mapping]


def untrimmed(q: Question) -> list[str]:
    """The texts of `q` with a leading or trailing space, which Moodle's formats trim."""
    texts = {"stem": q.stem, "explanation": q.explanation}
    texts.update({f"options.{o.id}": o.text for o in q.options})
    texts.update({f"pairs.{p.id}": p.left for p in q.pairs})
    for i, alts in enumerate(q.blanks):
        texts.update({f"blanks.{i}.{j}": a if isinstance(a, str) else a.text for j, a in enumerate(alts)})
    return [name for name, text in texts.items() if text and text != text.strip()]


def untrimmed_warnings(questions: list[Question], fmt: str, file: str) -> list[Problem]:
    found = [(q.id, fields) for q in questions if (fields := untrimmed(q))]
    return [Problem(file, t("authoring.bank.space_not_kept", id=qid, fields=", ".join(fields), format=fmt), None, qid) for qid, fields in found]


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a finite number")


def finite_json(text: str) -> Any:
    """JSON as our writers put it in a bank; NaN and Infinity (which Python's json accepts) refused."""
    import json

    return json.loads(text, parse_constant=_no_constant)


def non_finite_path(value: Any, path: str = "") -> str | None:
    """The field path of the first NaN/inf float in a parsed YAML value, or None."""
    import math

    if isinstance(value, float) and not math.isfinite(value):
        return path or "."
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        if found := non_finite_path(item, f"{path}.{key}" if path else str(key)):
            return found
    return None
