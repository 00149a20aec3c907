"""`partyquiz roster import`, `rollin`, `export`, `report`: parse options, call the library."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..settings import settings
from . import app

roster_app = typer.Typer(help="花名册 / roster", no_args_is_help=True)
app.add_typer(roster_app, name="roster")


def _fail(exc: Exception) -> None:
    from rich.console import Console

    Console(stderr=True).print(f"[red]{exc}[/red]")
    raise typer.Exit(1)


def _courses(paths: list[Path]):
    from ..authoring import load_course

    folders = paths or settings().course_folders()
    return [load_course(folder) for folder in folders]


def _gradebook(url: Optional[str]) -> str:
    from ..grading.site import GraderSite

    return url or settings().gradebook_url or GraderSite().gradebook_url


def _ledger(url: Optional[str]) -> str:
    return url or settings().ledger_url


@roster_app.command("import")
def roster_import(
    file: Path = typer.Argument(..., help="花名册 .xlsx / .csv"),
    gradebook: Optional[str] = typer.Option(None, help="nbgrader 成绩库 URL / gradebook URL"),
    ledger: Optional[str] = typer.Option(None, help="培训档案库 URL（默认 var/ledger.db）/ ledger URL"),
    check: bool = typer.Option(False, "--check", help="只校验不导入 / validate only"),
) -> None:
    """导入并校验花名册，同步到 nbgrader 学员 / import a roster and sync it into the gradebook."""
    from ..errors import InputError
    from ..i18n import t
    from ..records.roster import load_roster, store_roster, sync_to_gradebook

    try:
        roster = load_roster(file)
    except InputError as exc:
        _fail(exc)
    if not check:
        sync_to_gradebook(roster, _gradebook(gradebook))
        store_roster(roster, _ledger(ledger))
    typer.echo(t("records.roster.imported", n=len(roster), file=file) if not check else t("records.roster.valid", n=len(roster), file=file))


@app.command()
def rollin(
    ledger: Optional[str] = typer.Option(None, help="培训档案库 URL（默认 var/ledger.db）/ ledger URL"),
    gradebook: Optional[str] = typer.Option(None, help="nbgrader 成绩库 URL / gradebook URL"),
    course: list[Path] = typer.Option([], help="课程目录，可多次给出；默认 courses/* / course folders"),
    roster: Optional[Path] = typer.Option(None, help="花名册 / roster file"),
    assignment: list[str] = typer.Option([], help="只汇入这些作业 / only these assignments"),
    batch: Optional[str] = typer.Option(None, help="批次号 / batch id"),
    rules: Optional[Path] = typer.Option(None, help="学时规则 / rules file (grader/rules.yml)"),
) -> None:
    """把评分结果汇入培训档案 / roll graded submissions into the training-record ledger."""
    from ..errors import InputError
    from ..i18n import t
    from ..records.rollin import roll_in
    from ..records.roster import load_roster

    try:
        people = load_roster(roster) if roster else None
        s = roll_in(_ledger(ledger), _gradebook(gradebook), _courses(course), roster=people, assignments=assignment or None, batch_id=batch, rules_path=rules)
    except InputError as exc:
        _fail(exc)
    typer.echo(t("records.rollin.summary", batch=s.batch_id, added=s.added, superseded=s.superseded, unchanged=s.unchanged, pending=s.pending))
    if s.not_on_roster:
        typer.echo(t("records.rollin.not_on_roster", n=len(s.not_on_roster), ids="、".join(s.not_on_roster[:20])))
    if s.unknown:
        typer.echo(t("records.rollin.unknown", names="、".join(s.unknown)))


@app.command()
def export(
    ledger: Optional[str] = typer.Option(None, help="培训档案库 URL（默认 var/ledger.db）/ ledger URL"),
    out: Path = typer.Option(Path("out"), help="导出目录 / output folder"),
    rules: Optional[Path] = typer.Option(None, help="学时规则 / rules file"),
    template: Optional[Path] = typer.Option(None, help="导出模板 / CSV template (grader/templates/*.yml)"),
    year: Optional[int] = typer.Option(None, help="年度 / counting year"),
    reveal_id_numbers: bool = typer.Option(False, "--reveal-id-numbers", help="在导入文件（模板 CSV）中写出身份证号，培训档案中不含 / ID numbers in the import file only"),
    per_learner: bool = typer.Option(False, "--per-learner", help="另为每人生成一份培训档案 / also one file per learner"),
) -> None:
    """导出培训档案、年度学时汇总、支部汇总和模板 CSV / write the exports."""
    from rich.progress import Progress

    from ..errors import InputError
    from ..exports import export_all
    from ..i18n import t

    try:
        with Progress(transient=True) as bar:
            task = bar.add_task(t("records.export.progress"), total=4)
            files = export_all(_ledger(ledger), out, rules_path=rules, template=template, year=year, reveal_id_numbers=reveal_id_numbers, per_learner=per_learner,
                               progress=lambda name: bar.update(task, advance=1, description=name))
    except InputError as exc:
        _fail(exc)
    for path in files:
        typer.echo(str(path))


@app.command()
def report(
    ledger: Optional[str] = typer.Option(None, help="培训档案库 URL（默认 var/ledger.db）/ ledger URL"),
    out: Path = typer.Option(Path("out/report.html"), help="报告文件 / report file"),
    course: list[Path] = typer.Option([], help="课程目录（显示题干）/ course folders, for question stems"),
    pseudonymise: bool = typer.Option(False, "--pseudonymise", help="匿名化 / replace names by codes"),
    year: Optional[int] = typer.Option(None, help="年度 / counting year"),
) -> None:
    """生成分析报告（单个离线 HTML）/ write the analytics report."""
    from ..errors import InputError
    from ..i18n import t
    from ..report import write_report

    try:
        path = write_report(_ledger(ledger), out, pseudonymise=pseudonymise, courses=_courses(course), year=year)
    except InputError as exc:
        _fail(exc)
    typer.echo(t("records.report.written", path=path))
