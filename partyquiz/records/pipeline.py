"""The end of the chain in one call, for `make demo` and the notebooks: roll a batch in, then
write every export and the report."""
from __future__ import annotations

from pathlib import Path

from ..model import Course, Learner, QuizResult
from .rollin import RollInSummary, roll_in


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
    from ..exports import export_all
    from ..report import write_report

    summary = roll_in(ledger_url, gradebook_url, courses, results=results, roster=roster, batch_id=batch_id)
    files = export_all(ledger_url, out_dir)
    files.append(write_report(ledger_url, Path(out_dir) / "report.html", pseudonymise=pseudonymise, courses=courses))
    return summary, files
