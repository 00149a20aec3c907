"""The authoring stage's operations, as the CLI and notebooks call them."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..banks import BankResult, format_of, import_banks, parse_bank, write_bank
from ..errors import InputError, Problem
from ..i18n import t


@dataclass
class ImportReport:
    written: Path | None
    imported: int
    problems: list[Problem] = field(default_factory=list)
    # what was kept only in part (no refusal): e.g. Moodle fields the model has no place for
    warnings: list[Problem] = field(default_factory=list)
    media: list[Path] = field(default_factory=list)  # embedded files written to <course>/media


def import_bank_files(files: list[Path], out: Path, keep_valid: bool = False) -> ImportReport:
    """Read banks of any supported format and write one bank (format from `out`'s suffix).

    By default a single problem means nothing is written; `keep_valid` writes the valid
    questions and still reports every problem.
    """
    result: BankResult = import_banks(files, keep_valid=keep_valid)
    if not result.questions:
        if not result.problems:
            result.problems.append(Problem(", ".join(map(str, files)), t("authoring.bank.no_questions")))
        return ImportReport(None, 0, result.problems)
    from ..banks.media import media_folder_for, write_media

    media = write_media(media_folder_for(out), result.media) if result.media else []
    warnings = result.warnings + write_bank(result.questions, out, media_folder=media_folder_for(out))
    return ImportReport(out, len(result.questions), result.problems, warnings, media)


def export_bank(bank: Path, fmt: str, out: Path, warnings: list[Problem] | None = None) -> int:
    """Write `bank` (any supported format) as `fmt`; refuses a bank with problems.

    Moodle XML embeds the bank's `media/…` files; what a format keeps only in part is added to
    `warnings` (when given)."""
    from ..banks.media import media_folder_for

    questions = parse_bank(bank).raise_if_problems()
    found = write_bank(questions, out, fmt or format_of(out), media_folder=media_folder_for(bank))
    if warnings is not None:
        warnings.extend(found)
    return len(questions)


# building a course is the next stage's job: partyquiz.pipeline.build_course_folder
__all__ = ["ImportReport", "import_bank_files", "export_bank", "InputError"]
