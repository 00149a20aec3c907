"""`partyquiz` commands for the authoring stage (parse options, call the library)."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..authoring import check_course
from ..authoring.ops import export_bank as export_one, import_bank_files
from ..authoring.schema import HERE, write_schemas
from ..errors import InputError
from ..i18n import t
from . import app, console, err, failures, grader_root_option, lang_option, or_grader_root, report_problems, use_language, warn


@app.command(help=t("cli.help.validate"))
def validate(
    courses: list[Path] = typer.Argument(..., help=t("cli.help.course_folders")),
    lang: Optional[str] = lang_option(),
) -> None:
    use_language(lang)
    failed = False
    for folder in courses:
        check = check_course(folder)
        if check.ok:
            n_lessons = len(check.course.lessons)
            console.print(t("authoring.valid", course=str(folder), lessons=n_lessons, questions=len(check.questions)))
        else:
            failed = True
            report_problems(check.problems)
    raise typer.Exit(1 if failed else 0)


@app.command(help=t("cli.help.build"))
def build(
    courses: list[Path] = typer.Argument(..., help=t("cli.help.course_folders")),
    root: Optional[Path] = grader_root_option(),
    lang: Optional[str] = lang_option(),
) -> None:
    from ..pipeline import build_course_folder  # loads grading (nbgrader): only this command needs it

    use_language(lang)
    root = or_grader_root(root)
    failed = False
    with failures():  # a root that cannot be written: one message, not a traceback
        for folder in courses:
            try:
                built = build_course_folder(folder, root)
            except InputError as exc:  # one bad course does not stop the others
                failed = True
                report_problems(exc.problems)
                continue
            for assignment in built:
                console.print(t("authoring.built", name=assignment.name, path=str(assignment.notebook)))
    raise typer.Exit(1 if failed else 0)


@app.command("import-bank", help=t("cli.help.import_bank"))
def import_bank(
    files: list[Path] = typer.Argument(..., help=t("cli.help.bank_files")),
    to: Path = typer.Option(..., "--to", help=t("cli.help.bank_to")),
    keep_valid: bool = typer.Option(False, "--keep-valid", help=t("cli.help.keep_valid")),
    lang: Optional[str] = lang_option(),
) -> None:
    use_language(lang)
    with failures():
        report = import_bank_files(files, to, keep_valid=keep_valid)
    report_problems(report.problems)
    warn(report.warnings)
    if report.written is None:
        err.print(t("authoring.nothing_imported"), style="red")
        raise typer.Exit(1)
    console.print(t("authoring.imported", n=report.imported, path=str(report.written)))
    # --keep-valid: the valid part is written, the problems above are the report
    raise typer.Exit(0 if keep_valid or not report.problems else 1)


@app.command("export-bank", help=t("cli.help.export_bank"))
def export_bank(
    bank: Path = typer.Argument(..., help=t("cli.help.bank_file")),
    fmt: Optional[str] = typer.Option(None, "--format", "-f", help=t("cli.help.bank_format")),
    out: Path = typer.Option(..., "-o", "--out", help=t("cli.help.out_file")),
    lang: Optional[str] = lang_option(),
) -> None:
    use_language(lang)
    warnings: list = []
    with failures():
        n = export_one(bank, fmt, out, warnings)
    warn(warnings)  # what the format keeps only in part
    console.print(t("authoring.exported", n=n, path=str(out)))


@app.command("course-schema", help=t("cli.help.course_schema"))
def course_schema(
    out: Optional[Path] = typer.Option(None, help=t("cli.help.schema_out")),
    lang: Optional[str] = lang_option(),
) -> None:
    use_language(lang)
    with failures():
        for path in write_schemas(out or HERE):
            console.print(str(path))
