"""`partyquiz` commands for the authoring stage (parse options, call the library)."""
from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from . import app

console = Console()
err = Console(stderr=True)


def _lang(lang: str | None) -> None:
    from ..i18n import set_language

    if lang:
        set_language(lang)


def _report(problems) -> None:
    from ..i18n import t

    if problems:
        err.print(t("authoring.problems", n=len(problems)), style="bold red")
        for problem in problems:
            err.print(f"  {problem}", markup=False, highlight=False, soft_wrap=True)


def _warn(warnings) -> None:
    from ..i18n import t

    if warnings:
        err.print(t("authoring.warnings", n=len(warnings)), style="bold yellow")
        for warning in warnings:
            err.print(f"  {warning}", markup=False, highlight=False, soft_wrap=True)


@app.command()
def validate(
    courses: list[Path] = typer.Argument(..., help="课程目录 / course folders"),
    lang: str = typer.Option(None, help="zh-CN or en"),
) -> None:
    """检查课程，一次列出全部问题（文件与行号）/ check courses, listing every problem with file and line."""
    from ..authoring import check_course
    from ..i18n import t

    _lang(lang)
    failed = False
    for folder in courses:
        check = check_course(folder)
        if check.ok:
            n_lessons = len(check.course.lessons)
            console.print(t("authoring.valid", course=str(folder), lessons=n_lessons, questions=len(check.questions)))
        else:
            failed = True
            _report(check.problems)
    raise typer.Exit(1 if failed else 0)


@app.command()
def build(
    courses: list[Path] = typer.Argument(..., help="课程目录 / course folders"),
    root: Path = typer.Option(Path("grader"), help="nbgrader 课程根目录 / nbgrader course root"),
    lang: str = typer.Option(None, help="zh-CN or en"),
) -> None:
    """把课程生成为 nbgrader 源作业（可重复运行）/ build courses into nbgrader source notebooks (safe to re-run)."""
    from ..pipeline import build_course_folder as build_one
    from ..errors import InputError
    from ..i18n import t

    _lang(lang)
    failed = False
    for folder in courses:
        try:
            built = build_one(folder, root)
        except InputError as exc:
            failed = True
            _report(exc.problems)
            continue
        for assignment in built:
            console.print(t("authoring.built", name=assignment.name, path=str(assignment.notebook)))
    raise typer.Exit(1 if failed else 0)


@app.command("import-bank")
def import_bank(
    files: list[Path] = typer.Argument(..., help="题库文件：.xlsx .csv .gift .xml .yml / bank files"),
    to: Path = typer.Option(..., "--to", help="输出题库，格式由后缀决定 / output bank, format from its suffix"),
    keep_valid: bool = typer.Option(False, "--keep-valid", help="导入有效题目，报告其余 / import the valid questions, report the rest"),
    lang: str = typer.Option(None, help="zh-CN or en"),
) -> None:
    """导入题库（xlsx、csv、GIFT、Moodle XML、YAML）/ import question banks."""
    from ..authoring.ops import import_bank_files
    from ..errors import InputError
    from ..i18n import t

    _lang(lang)
    try:
        report = import_bank_files(files, to, keep_valid=keep_valid)
    except InputError as exc:
        _report(exc.problems)
        raise typer.Exit(1)
    _report(report.problems)
    _warn(report.warnings)
    if report.written is None:
        err.print(t("authoring.nothing_imported"), style="red")
        raise typer.Exit(1)
    console.print(t("authoring.imported", n=report.imported, path=str(report.written)))
    # --keep-valid: the valid part is written, the problems above are the report
    raise typer.Exit(0 if keep_valid or not report.problems else 1)


@app.command("export-bank")
def export_bank(
    bank: Path = typer.Argument(..., help="题库文件 / bank file"),
    fmt: str = typer.Option(None, "--format", "-f", help="gift | moodle | xlsx | csv | yaml"),
    out: Path = typer.Option(..., "-o", "--out", help="输出文件 / output file"),
    lang: str = typer.Option(None, help="zh-CN or en"),
) -> None:
    """导出题库为 GIFT、Moodle XML、xlsx、csv 或 YAML / export a bank."""
    from ..authoring.ops import export_bank as export_one
    from ..errors import InputError
    from ..i18n import t

    _lang(lang)
    warnings: list = []
    try:
        n = export_one(bank, fmt, out, warnings)
        _warn(warnings)
    except InputError as exc:
        _report(exc.problems)
        raise typer.Exit(1)
    console.print(t("authoring.exported", n=n, path=str(out)))


@app.command("course-schema")
def course_schema(out: Path = typer.Option(None, help="写入目录 / folder to write to (default: the package)")) -> None:
    """重新生成 course.yml 与题库的 JSON Schema / regenerate the JSON Schemas."""
    from ..authoring.schema import HERE, write_schemas

    for path in write_schemas(out or HERE):
        console.print(str(path))
