"""`partyquiz attendance import`, `partyquiz sessions list | register | export`, `partyquiz evaluation
record | import`: parse options, call the library. Commands that only read refuse a ledger file that
does not exist (instead of creating an empty one)."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Optional

import typer

from ..i18n import t
from . import app, existing_ledger_or_default, fail, failures, lang_option, ledger_option, ledger_or_default, rules_option, use_language

attendance_app = typer.Typer(help=t("cli.help.attendance"), no_args_is_help=True)
sessions_app = typer.Typer(help=t("cli.help.sessions"), no_args_is_help=True)
evaluation_app = typer.Typer(help=t("activities.help.evaluation"), no_args_is_help=True)
app.add_typer(attendance_app, name="attendance")
app.add_typer(sessions_app, name="sessions")
app.add_typer(evaluation_app, name="evaluation")


@attendance_app.command("import", help=t("cli.help.attendance_import"))
def attendance_import(
    files: list[Path] = typer.Argument(..., help=t("cli.help.sign_in_sheets")),
    branch: Optional[str] = typer.Option(None, help=t("cli.help.sheet_branch")),
    kind: Optional[str] = typer.Option(None, help=t("cli.help.sheet_kind")),
    ledger: Optional[str] = ledger_option(),
    rules: Optional[Path] = rules_option(),
    lang: Optional[str] = lang_option(),
) -> None:
    from ..records.activities import import_attendance  # the ledger's tables (SQLAlchemy): for this command only

    use_language(lang)
    with failures():
        results = import_attendance(ledger_or_default(ledger), files, rules_path=rules, defaults={"branch": branch, "kind": kind})
    failed = 0
    for r in results:
        if r.stored:
            c = r.counts
            typer.echo(t("activities.import.stored", file=r.file, title=r.session.title, date=r.session.date,
                         attended=c["attended"], leave=c["leave"], absent=c["absent"]))
        else:  # each file is stored or refused on its own: the rest of the batch goes on
            failed += 1
            typer.echo(t("activities.import.failed", file=r.file, n=len(r.problems)), err=True)
            for problem in r.problems:
                typer.echo(f"  {problem}", err=True)
    if failed:
        raise typer.Exit(1)


@sessions_app.command("list", help=t("cli.help.sessions_list"))
def sessions_list(
    branch: Optional[str] = typer.Option(None, help=t("cli.help.branch")),
    year: Optional[int] = typer.Option(None, help=t("cli.help.year")),
    kind: Optional[str] = typer.Option(None, help=t("cli.help.kind")),
    ledger: Optional[str] = ledger_option(),
    rules: Optional[Path] = rules_option(),
    lang: Optional[str] = lang_option(),
) -> None:
    from ..records.activities import list_sessions  # as above

    use_language(lang)
    with failures():
        found = list_sessions(existing_ledger_or_default(ledger), branch=branch, year=year, kind=kind, rules_path=rules)
    typer.echo(t("activities.list.header"))
    for s in found:
        typer.echo(f"{s['date']}\t{s['branch']}\t{s['kind']}\t{s['title']}\t{s['hours']:g}\t{s['attended']}/{s['leave']}/{s['absent']}")
    typer.echo(t("activities.list.count", n=len(found)))


@sessions_app.command("register", help=t("cli.help.sessions_register"))
def sessions_register(
    year: int = typer.Option(dt.date.today().year, help=t("cli.help.year")),
    as_of: Optional[str] = typer.Option(None, help=t("cli.help.as_of")),
    branch: Optional[str] = typer.Option(None, help=t("cli.help.branch")),
    ledger: Optional[str] = ledger_option(),
    rules: Optional[Path] = rules_option(),
    lang: Optional[str] = lang_option(),
) -> None:
    from ..records.register import branch_register  # as above

    use_language(lang)
    try:
        when = dt.date.fromisoformat(as_of) if as_of else None
    except ValueError:
        fail(t("activities.register.bad_date", value=as_of))
    with failures():
        reg = branch_register(existing_ledger_or_default(ledger), year, as_of=when, rules_path=rules, branch=branch)
    if not reg["behind"]:
        typer.echo(t("activities.register.all_on_track", year=year))
    for b in reg["behind"]:
        typer.echo(f"{b['branch']}\t{b['count']}\t" + "；".join(b["missing"]))


@sessions_app.command("export", help=t("cli.help.sessions_export"))
def sessions_export(
    out: Path = typer.Argument(..., help=t("cli.help.export_out")),
    year: int = typer.Option(dt.date.today().year, help=t("cli.help.year")),
    ledger: Optional[str] = ledger_option(),
    rules: Optional[Path] = rules_option(),
    lang: Optional[str] = lang_option(),
) -> None:
    from ..records.activity_exports import export_activities  # as above, and the table writers

    use_language(lang)
    with failures():
        files = export_activities(existing_ledger_or_default(ledger), out, year, rules_path=rules)
    for path in files:
        typer.echo(t("activities.export.written", path=path))


@evaluation_app.command("record", help=t("activities.help.evaluation_record"))
def evaluation_record(
    learner: str = typer.Argument(..., help=t("activities.help.learner_id")),
    year: int = typer.Option(dt.date.today().year, help=t("cli.help.year")),
    study_style: str = typer.Option("", "--study-style", help=t("activities.help.study_style")),
    discipline: str = typer.Option("", help=t("activities.help.discipline")),
    comment: str = typer.Option("", help=t("activities.help.comment")),
    evaluator: str = typer.Option("", help=t("activities.help.evaluator")),
    ledger: Optional[str] = ledger_option(),
    rules: Optional[Path] = rules_option(),
    lang: Optional[str] = lang_option(),
) -> None:
    from ..records.evaluation import record_evaluation  # the ledger's tables (SQLAlchemy): for this command only

    use_language(lang)
    with failures():
        record_evaluation(existing_ledger_or_default(ledger), learner, year, study_style=study_style, discipline=discipline, comment=comment,
                          evaluator=evaluator, rules_path=rules)
    typer.echo(t("activities.evaluation.recorded", learner=learner, year=year))


@evaluation_app.command("import", help=t("activities.help.evaluation_import"))
def evaluation_import(
    file: Path = typer.Argument(..., help=t("activities.help.evaluation_file")),
    year: Optional[int] = typer.Option(None, help=t("activities.help.evaluation_year")),
    evaluator: str = typer.Option("", help=t("activities.help.evaluator")),
    ledger: Optional[str] = ledger_option(),
    rules: Optional[Path] = rules_option(),
    lang: Optional[str] = lang_option(),
) -> None:
    from ..records.evaluation import import_evaluations  # as above

    use_language(lang)
    with failures():
        n = import_evaluations(existing_ledger_or_default(ledger), file, year=year, evaluator=evaluator, rules_path=rules)
    typer.echo(t("activities.evaluation.imported", n=n, file=file))
