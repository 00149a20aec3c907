"""`partyquiz grade`: collect → grade → feedback → roll-in (parse options, call the library)."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..settings import settings
from . import app



@app.command()
def grade(
    assignment: str = typer.Argument(..., help="作业名，如 jiaoyu-guanli-l1 / assignment name"),
    course: Optional[Path] = typer.Option(None, "--course", help="课程目录 / course folder"),
    engine: str = typer.Option("auto", "--engine", help="auto | fast | nbgrader"),
    workers: int = typer.Option(1, "--workers", min=1, help="本机并行进程数 / local worker processes"),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Dask 调度器地址 / Dask scheduler address"),
    db_url: Optional[str] = typer.Option(None, "--db-url", help="评分库 URL（默认 SQLite）/ gradebook URL"),
    ledger: Optional[str] = typer.Option(None, "--ledger", help="培训档案库 URL / training-record ledger URL"),
    root: Path = typer.Option(Path("grader"), "--root", help="nbgrader 课程目录 / nbgrader course root"),
    collect: bool = typer.Option(True, "--collect/--no-collect", help="先收取提交 / collect first"),
    lang: str = typer.Option("zh-CN", "--lang", help="zh-CN or en"),
) -> None:
    """批量评分：收取、评分、生成反馈、记入培训档案 / grade a batch of submissions."""
    from rich.console import Console

    from ..authoring import load_course
    from ..errors import InputError
    from ..grading.site import GraderSite, NbgraderError
    from ..pipeline import grade_and_roll_in
    from ..i18n import set_language, t

    set_language(lang)
    console = Console()
    try:
        course = course or settings().default_course
        loaded = load_course(course) if course.exists() else None
        if loaded is None and course != settings().default_course:
            raise typer.BadParameter(t("grading.cli.course_missing", path=course))
        site = GraderSite(root=root, db_url=db_url or settings().gradebook_url)
        summary, rolled = grade_and_roll_in(site, loaded, assignment, ledger_url=ledger, engine=engine, workers=workers,
                                            scheduler=scheduler, collect=collect, console=console)
    except (InputError, NbgraderError, ValueError) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    console.print(summary)
    if rolled is not None:
        console.print(rolled)
    raise typer.Exit(1 if summary.failed else 0)
