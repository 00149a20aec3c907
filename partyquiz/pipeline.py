"""The stages strung together, for the faces (CLI, demo, hub dashboard) and nothing below them.

Grading does not know about the ledger and the ledger does not know about publishing: each
stage returns what the next one needs, and these functions pass it on.
"""
from __future__ import annotations

from pathlib import Path

from .authoring import load_course
from .build import BuiltAssignment, build_course
from .grading.batch import BatchSummary, grade_assignment
from .grading.site import GraderSite
from .model import Course, Learner, QuizResult
from .publish import write_exports_and_report
from .records.rollin import RollInSummary, roll_in


def build_course_folder(course_folder: Path, root: Path) -> list[BuiltAssignment]:
    """course folder → `<root>/source/<course>-<lesson>/`; identical input gives identical files."""
    return build_course(load_course(course_folder), root / "source")


def roll_in_batch(site: GraderSite, course: Course | None, summary: BatchSummary, ledger_url: str,
                  roster: list[Learner] | None = None) -> RollInSummary:
    """Roll one graded batch into the ledger: its results (stems and options for item analysis),
    the gradebook's totals for its assignment, the study time the learner app recorded in the
    collected answers files (online hours are credited from it), under the batch's id."""
    courses = [course] if course is not None else []
    return roll_in(ledger_url, site.gradebook_url, courses, results=summary.results, roster=roster,
                   assignments=[summary.assignment], batch_id=summary.batch_id, submitted=site.root / "submitted")


def grade_and_roll_in(site: GraderSite, course: Course | None, assignment: str, *, ledger_url: str | None,
                      roster: list[Learner] | None = None, **grading) -> tuple[BatchSummary, RollInSummary | None]:
    """`grade_assignment`, then roll the batch in when a ledger is given."""
    summary = grade_assignment(site, course, assignment, **grading)
    return summary, (roll_in_batch(site, course, summary, ledger_url, roster) if ledger_url else None)


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
    submitted: Path | str | None = None,
) -> tuple[RollInSummary, list[Path]]:
    """Returns the roll-in summary and the files written (exports, then report.html).
    `submitted`: the collected answers files, for the study time (by default the `submitted`
    folder beside a SQLite gradebook, as nbgrader lays a course out)."""
    summary = roll_in(ledger_url, gradebook_url, courses, results=results, roster=roster, batch_id=batch_id, submitted=submitted)
    return summary, write_exports_and_report(ledger_url, out_dir, courses=courses, pseudonymise=pseudonymise)
