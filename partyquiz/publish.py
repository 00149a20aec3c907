"""Publishing: the views of the ledger a training office hands on, the exports and the report.

Above records (it reads the ledger through `exports` and `report`); the demo, the instructor's
dashboard and the CLI call it after roll-in.
"""
from __future__ import annotations

from pathlib import Path

from .exports import export_all
from .model import Course
from .report import write_report


def write_exports_and_report(
    ledger_url: str, out_dir: Path | str, *, courses: list[Course] | None = None, pseudonymise: bool = False
) -> list[Path]:
    """Every export, then report.html: what the demo and the instructor dashboard publish."""
    files = export_all(ledger_url, out_dir)
    files.append(write_report(ledger_url, Path(out_dir) / "report.html", pseudonymise=pseudonymise, courses=courses))
    return files
