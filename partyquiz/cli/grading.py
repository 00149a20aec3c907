"""`partyquiz grade`: collect → grade → feedback, then roll-in when a ledger is given."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..i18n import t
from ..settings import settings
from . import app, console, failures, gradebook_option, grader_root_option, grader_site, hidden_alias, lang_option, use_language


@app.command(help=t("cli.help.grade"))
def grade(
    assignment: str = typer.Argument(..., help=t("cli.help.assignment")),
    course: Optional[Path] = typer.Option(None, "--course", help=t("cli.help.course")),
    engine: str = typer.Option("auto", "--engine", help=t("cli.help.engine")),
    workers: int = typer.Option(1, "--workers", min=1, help=t("cli.help.workers")),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help=t("cli.help.scheduler")),
    gradebook: Optional[str] = gradebook_option(),
    db_url: Optional[str] = hidden_alias("--db-url"),  # the old name of --gradebook
    ledger: Optional[str] = typer.Option(None, "--ledger", help=t("cli.help.grade_ledger")),
    root: Optional[Path] = grader_root_option(),
    collect: bool = typer.Option(True, "--collect/--no-collect", help=t("cli.help.collect")),
    lang: Optional[str] = lang_option(),
) -> None:
    # grading loads nbgrader (seconds): imported when a batch is graded, not for `partyquiz --help`
    from ..authoring import load_course
    from ..pipeline import grade_and_roll_in

    use_language(lang)
    with failures():
        default = settings().default_course
    course = course or default
    if not course.exists() and course != default:
        raise typer.BadParameter(t("grading.cli.course_missing", path=course), param_hint="--course")
    with failures():
        loaded = load_course(course) if course.exists() else None  # the sample course may be absent: grade from the gradebook
        site = grader_site(gradebook or db_url, root)
        summary, rolled = grade_and_roll_in(site, loaded, assignment, ledger_url=ledger, engine=engine, workers=workers,
                                            scheduler=scheduler, collect=collect, console=console)
    console.print(summary)
    if rolled is not None:
        console.print(rolled)
    raise typer.Exit(1 if summary.failed else 0)
