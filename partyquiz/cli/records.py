"""`partyquiz roster import`, `rollin`, `export`, `report`: parse options, call the library."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..i18n import t
from ..records.roster import load_roster
from ..settings import settings
from . import app, existing_ledger_or_default, failures, gradebook_option, gradebook_or_default, lang_option, ledger_option, ledger_or_default, rules_option, use_language

roster_app = typer.Typer(help=t("cli.help.roster"), no_args_is_help=True)
app.add_typer(roster_app, name="roster")


def _courses(paths: list[Path]):
    """The given course folders, else every course the settings know (courses/*)."""
    from ..authoring import load_course

    return [load_course(folder) for folder in (paths or settings().course_folders())]


@roster_app.command("import", help=t("cli.help.roster_import"))
def roster_import(
    file: Path = typer.Argument(..., help=t("cli.help.roster_table")),
    gradebook: Optional[str] = gradebook_option(),
    ledger: Optional[str] = ledger_option(),
    check: bool = typer.Option(False, "--check", help=t("cli.help.check")),
    lang: Optional[str] = lang_option(),
) -> None:
    from ..records.roster import store_roster, sync_to_gradebook

    use_language(lang)
    with failures():
        roster = load_roster(file)
        if not check:
            sync_to_gradebook(roster, gradebook_or_default(gradebook))
            store_roster(roster, ledger_or_default(ledger))
    typer.echo(t("records.roster.valid" if check else "records.roster.imported", n=len(roster), file=file))


@app.command(help=t("cli.help.rollin"))
def rollin(
    ledger: Optional[str] = ledger_option(),
    gradebook: Optional[str] = gradebook_option(),
    course: list[Path] = typer.Option([], help=t("cli.help.rollin_courses")),
    roster: Optional[Path] = typer.Option(None, help=t("cli.help.roster_file")),
    assignment: list[str] = typer.Option([], help=t("cli.help.only_assignments")),
    batch: Optional[str] = typer.Option(None, help=t("cli.help.batch")),
    submitted: Optional[Path] = typer.Option(None, help=t("records.help.submitted")),
    rules: Optional[Path] = rules_option(),
    lang: Optional[str] = lang_option(),
) -> None:
    from ..records.rollin import roll_in  # the ledger's SQLAlchemy tables and the gradebook query

    use_language(lang)
    with failures():
        people = load_roster(roster) if roster else None
        url = gradebook_or_default(gradebook)
        s = roll_in(ledger_or_default(ledger), url, _courses(course), roster=people, assignments=assignment or None,
                    batch_id=batch, rules_path=rules, submitted=submitted)
    typer.echo(t("records.rollin.summary", batch=s.batch_id, added=s.added, superseded=s.superseded, unchanged=s.unchanged, pending=s.pending))
    if s.not_on_roster:
        typer.echo(t("records.rollin.not_on_roster", n=len(s.not_on_roster), ids="、".join(s.not_on_roster[:20])))
    if s.unknown:
        typer.echo(t("records.rollin.unknown", names="、".join(s.unknown)))
    for reason in s.bad_ids:  # each names the id and why (records.rollin.bad_id)
        typer.echo(reason, err=True)


@app.command(help=t("cli.help.export"))
def export(
    ledger: Optional[str] = ledger_option(),
    out: Path = typer.Option(Path("out"), help=t("cli.help.export_out")),
    rules: Optional[Path] = rules_option(),
    template: Optional[Path] = typer.Option(None, help=t("cli.help.template")),
    year: Optional[int] = typer.Option(None, help=t("cli.help.year")),
    reveal_id_numbers: bool = typer.Option(False, "--reveal-id-numbers", help=t("cli.help.reveal")),
    per_learner: bool = typer.Option(False, "--per-learner", help=t("cli.help.per_learner")),
    lang: Optional[str] = lang_option(),
) -> None:
    from rich.progress import Progress

    from ..exports import export_all  # the ledger views (SQLAlchemy) and the writers: for this command only

    use_language(lang)
    with failures(), Progress(transient=True) as bar:
        task = bar.add_task(t("records.export.progress"), total=4)
        files = export_all(existing_ledger_or_default(ledger), out, rules_path=rules, template=template, year=year, reveal_id_numbers=reveal_id_numbers,
                           per_learner=per_learner, progress=lambda name: bar.update(task, advance=1, description=name))
    for path in files:
        typer.echo(str(path))


@app.command(help=t("cli.help.report"))
def report(
    ledger: Optional[str] = ledger_option(),
    out: Path = typer.Option(Path("out/report.html"), help=t("cli.help.report_out")),
    course: list[Path] = typer.Option([], help=t("cli.help.report_courses")),
    pseudonymise: bool = typer.Option(False, "--pseudonymise", help=t("cli.help.pseudonymise")),
    year: Optional[int] = typer.Option(None, help=t("cli.help.year")),
    lang: Optional[str] = lang_option(),
) -> None:
    from ..report import write_report  # statistics and charts (matplotlib): for this command only

    use_language(lang)
    with failures():
        path = write_report(existing_ledger_or_default(ledger), out, pseudonymise=pseudonymise, courses=_courses(course), year=year)
    typer.echo(t("records.report.written", path=path))
