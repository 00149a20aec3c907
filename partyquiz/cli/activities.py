"""`partyquiz attendance import`, `partyquiz sessions list | register | export`: parse options, call the library."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Optional

import typer

from ..settings import settings
from . import app

attendance_app = typer.Typer(help="线下活动签到 / attendance of offline activities", no_args_is_help=True)
sessions_app = typer.Typer(help="线下活动（三会一课、集中培训…）/ offline sessions", no_args_is_help=True)
app.add_typer(attendance_app, name="attendance")
app.add_typer(sessions_app, name="sessions")

LEDGER_HELP = "培训档案库 URL / ledger URL"


def _ledger(url: Optional[str]) -> str:
    return url or settings().ledger_url


def _language(lang: Optional[str]) -> None:
    from ..i18n import set_language

    set_language(lang or settings().lang)


def _fail(message: str) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(1)


@attendance_app.command("import")
def attendance_import(
    files: list[Path] = typer.Argument(..., help="签到表 .xlsx / .csv（UTF-8 或 GBK）/ sign-in sheets"),
    branch: Optional[str] = typer.Option(None, help="签到表未写支部时用这个 / branch when the sheet has none"),
    kind: Optional[str] = typer.Option(None, help="签到表未写活动类型时用这个 / kind when the sheet has none"),
    ledger: Optional[str] = typer.Option(None, help=LEDGER_HELP),
    rules: Optional[Path] = typer.Option(None, help="学时规则 / rules file"),
    lang: Optional[str] = typer.Option(None, "--lang", help="zh-CN | en"),
) -> None:
    """导入签到表：每个文件单独保存，有错的文件不保存 / import sign-in sheets; a bad file stores nothing."""
    from ..errors import InputError
    from ..i18n import t
    from ..records.activities import import_attendance

    _language(lang)
    try:
        results = import_attendance(_ledger(ledger), files, rules_path=rules, defaults={"branch": branch, "kind": kind})
    except InputError as exc:
        _fail(str(exc))
    failed = 0
    for r in results:
        if r.stored:
            c = r.counts
            typer.echo(t("activities.import.stored", file=r.file, title=r.session.title, date=r.session.date,
                         attended=c["attended"], leave=c["leave"], absent=c["absent"]))
        else:
            failed += 1
            typer.echo(t("activities.import.failed", file=r.file, n=len(r.problems)), err=True)
            for problem in r.problems:
                typer.echo(f"  {problem}", err=True)
    if failed:
        raise typer.Exit(1)


@sessions_app.command("list")
def sessions_list(
    branch: Optional[str] = typer.Option(None, help="支部 / branch"),
    year: Optional[int] = typer.Option(None, help="年度 / year"),
    kind: Optional[str] = typer.Option(None, help="活动类型 / kind"),
    ledger: Optional[str] = typer.Option(None, help=LEDGER_HELP),
    rules: Optional[Path] = typer.Option(None, help="学时规则 / rules file"),
    lang: Optional[str] = typer.Option(None, "--lang", help="zh-CN | en"),
) -> None:
    """列出线下活动及出席人数、学时 / list sessions with attendance and hours."""
    from ..i18n import t
    from ..records.activities import list_sessions

    _language(lang)
    found = list_sessions(_ledger(ledger), branch=branch, year=year, kind=kind, rules_path=rules)
    typer.echo(t("activities.list.header"))
    for s in found:
        typer.echo(f"{s['date']}\t{s['branch']}\t{s['kind']}\t{s['title']}\t{s['hours']:g}\t{s['attended']}/{s['leave']}/{s['absent']}")
    typer.echo(t("activities.list.count", n=len(found)))


@sessions_app.command("register")
def sessions_register(
    year: int = typer.Option(dt.date.today().year, help="年度 / year"),
    as_of: Optional[str] = typer.Option(None, help="截至日期 YYYY-MM-DD（默认今天）/ as of"),
    branch: Optional[str] = typer.Option(None, help="支部 / branch"),
    ledger: Optional[str] = typer.Option(None, help=LEDGER_HELP),
    rules: Optional[Path] = typer.Option(None, help="学时规则 / rules file"),
    lang: Optional[str] = typer.Option(None, "--lang", help="zh-CN | en"),
) -> None:
    """三会一课：未按规定次数召开的支部 / branches behind on 三会一课."""
    from ..i18n import t
    from ..records.register import branch_register

    _language(lang)
    try:
        when = dt.date.fromisoformat(as_of) if as_of else None
    except ValueError:
        _fail(t("activities.register.bad_date", value=as_of))
    reg = branch_register(_ledger(ledger), year, as_of=when, rules_path=rules, branch=branch)
    if not reg["behind"]:
        typer.echo(t("activities.register.all_on_track", year=year))
    for b in reg["behind"]:
        typer.echo(f"{b['branch']}\t{b['count']}\t" + "；".join(b["missing"]))


@sessions_app.command("export")
def sessions_export(
    out: Path = typer.Argument(..., help="输出目录 / output folder"),
    year: int = typer.Option(dt.date.today().year, help="年度 / year"),
    ledger: Optional[str] = typer.Option(None, help=LEDGER_HELP),
    rules: Optional[Path] = typer.Option(None, help="学时规则 / rules file"),
    lang: Optional[str] = typer.Option(None, "--lang", help="zh-CN | en"),
) -> None:
    """导出活动台账、三会一课、出勤率、量化考评、积分（xlsx + csv）/ export the activity tables."""
    from ..i18n import t
    from ..records.activity_exports import export_activities

    _language(lang)
    for path in export_activities(_ledger(ledger), out, year, rules_path=rules):
        typer.echo(t("activities.export.written", path=path))
