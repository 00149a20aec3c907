"""Question banks: one reader/writer per format, all producing model.Question lists.

Formats by file suffix: .yml/.yaml (own, lossless), .xlsx/.csv (Chinese import template),
.gift/.txt (GIFT), .xml (Moodle XML). `parse_bank` returns the valid questions and every
problem; `read_bank` refuses a bank with any problem (the default of `import-bank`).
"""
from __future__ import annotations

from pathlib import Path

from ..errors import InputError, Problem
from ..i18n import t
from ..model import Question
from . import gift, moodle_xml, spreadsheet, yaml_bank
from .common import BankResult
from .limits import size_problem

FORMATS = {"yaml": ".yml", "xlsx": ".xlsx", "csv": ".csv", "gift": ".gift", "moodle": ".xml"}
_PARSERS = {
    ".yml": yaml_bank.parse, ".yaml": yaml_bank.parse,
    ".xlsx": spreadsheet.parse, ".csv": spreadsheet.parse,
    ".gift": gift.parse, ".txt": gift.parse,
    ".xml": moodle_xml.parse,
}
_WRITERS = {"yaml": yaml_bank.write, "xlsx": spreadsheet.write, "csv": spreadsheet.write, "gift": gift.write, "moodle": moodle_xml.write}


def format_of(path: Path) -> str:
    suffix = path.suffix.lower()
    for name, ext in FORMATS.items():
        if suffix == ext:
            return name
    return {".yaml": "yaml", ".txt": "gift"}.get(suffix, "")


def parse_bank(path: Path | str) -> BankResult:
    """Every valid question and every problem of one bank file."""
    path = Path(path)
    parser = _PARSERS.get(path.suffix.lower())
    if parser is None:
        known = ", ".join(sorted(_PARSERS))
        return BankResult([], [Problem(str(path), t("authoring.bank.unknown_format", suffix=path.suffix, known=known))])
    if not path.exists():
        return BankResult([], [Problem(str(path), t("authoring.bank.not_found"))])
    if problem := size_problem(path):
        return BankResult([], [problem])
    try:
        return parser(path)
    except Exception as exc:  # noqa: BLE001 - untrusted input: whatever breaks is reported, never raised
        # the readers report what they know with its line; this is the last guard for a file so
        # malformed that a library below them gives up: named, never a traceback
        return BankResult([], [Problem(str(path), t("authoring.bank.unreadable", error=f"{type(exc).__name__}: {str(exc)[:200]}"))])


def read_bank(path: Path | str) -> list[Question]:
    return parse_bank(path).raise_if_problems()


def import_banks(paths: list[Path], keep_valid: bool = False) -> BankResult:
    """Several files into one bank; ids must be unique across them.

    Without `keep_valid` any problem means no question at all is returned (all are reported).
    """
    merged = BankResult()
    seen: dict[str, str] = {}  # id → "file:line" where it first appeared
    for path in paths:
        part = parse_bank(path)
        merged.problems.extend(part.problems)
        merged.warnings.extend(part.warnings)
        merged.media.update(part.media)
        for question in part.questions:
            if question.id in seen:
                merged.problems.append(Problem(str(path), t("authoring.bank.duplicate_across", id=question.id, where=seen[question.id]), part.lines.get(question.id), "id"))
                continue
            seen[question.id] = f"{path}:{part.lines.get(question.id)}"
            merged.lines[question.id] = part.lines.get(question.id)
            merged.questions.append(question)
    if merged.problems and not keep_valid:
        merged.questions = []
    return merged


def write_bank(questions: list[Question], path: Path, fmt: str | None = None, media_folder: Path | None = None) -> list[Problem]:
    """Write `questions` as `fmt`; returns the warnings (what the format keeps only in part).

    What a format cannot hold at all is refused (InputError naming the questions), nothing
    written. `media_folder` is where the bank's `media/…` files are (Moodle XML embeds them).
    """
    fmt = fmt or format_of(path)
    if fmt not in _WRITERS:
        raise InputError(Problem(str(path), t("authoring.bank.unknown_export", format=fmt, known=", ".join(_WRITERS))))
    warnings = _WRITERS[fmt](questions, path) if fmt != "moodle" else moodle_xml.write(questions, path, media_folder)
    return list(warnings or [])


__all__ = ["BankResult", "FORMATS", "format_of", "parse_bank", "read_bank", "import_banks", "write_bank"]
