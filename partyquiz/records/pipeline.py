"""The end of the chain in one call, for `make demo` and the notebooks: roll a batch in, then
write every export and the report."""
from __future__ import annotations

from pathlib import Path

from ..model import Course, Learner, QuizResult
from .rollin import RollInSummary, roll_in


def write_exports_and_report(
    ledger_url: str, out_dir: Path | str, *, courses: list[Course] | None = None, pseudonymise: bool = False
) -> list[Path]:
    """Every export, then report.html: what the demo and the instructor dashboard publish."""
    from ..exports import export_all
    from ..report import write_report

    files = export_all(ledger_url, out_dir)
    files.append(write_report(ledger_url, Path(out_dir) / "report.html", pseudonymise=pseudonymise, courses=courses))
    return files


def roll_in_and_publish(
    ledger_url: str,
    gradebook_url: str,
    courses: list[Course],
    out_dir: Path | str,
    *,
    results: list[QuizResult] | None = None,
    roster: list[Learner] | None = None,
    batch_id: str | None = None,
    pseudonymise: bool = False,
) -> tuple[RollInSummary, list[Path]]:
    """Returns the roll-in summary and the files written (exports, then report.html)."""
    summary = roll_in(ledger_url, gradebook_url, courses, results=results, roster=roster, batch_id=batch_id)
    return summary, write_exports_and_report(ledger_url, out_dir, courses=courses, pseudonymise=pseudonymise)
