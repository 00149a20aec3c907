"""Publishing: the views of the ledger a training office hands on, the exports, the activity
tables and the report.

Above records (it reads the ledger through `exports` and `report`); the demo, the instructor's
dashboard and the CLI call it after roll-in. The ledger is read once (`exports.gather`); then
the main exports are written in a second process while this one writes the activity tables and
the report, so a 2-core machine does both at once (the child is forked: it inherits the rows
already built instead of reading the ledger again).
"""
from __future__ import annotations

import multiprocessing
import os
from pathlib import Path
from typing import Any, Callable

from .exports import gather, write_exports
from .exports.template import load_template
from .model import Course
from .records.activity_exports import activity_figures, export_activities
from .records.evaluation import yearly_evaluation
from .report import write_report
from .settings import settings

ACTIVITIES = "线下活动"  # the activity tables' folder inside the export folder


def write_exports_and_report(
    ledger_url: str, out_dir: Path | str, *, courses: list[Course] | None = None, pseudonymise: bool = False,
    year: int | None = None, parallel: bool = True, activity_tables: bool = False,
) -> list[Path]:
    """Every export, then the activity tables (in 线下活动/, when the ledger holds offline
    sessions, or always with `activity_tables`: the workbench offers them as empty registers)
    and report.html last: what the demo and the instructor dashboard publish.
    `year`: the year of the report and the activity tables (the latest with records by default);
    the exports hold every year. `parallel=False` writes everything in this process."""
    out = Path(out_dir)
    template = load_template(settings().default_template)  # a bad template fails before any work
    got = gather(ledger_url, courses=courses)
    year = year or got.years[-1]
    tables = got.has_activities or activity_tables
    # the year's 量化考评 before the fork: the 培训档案's 年度考评 sheet (when evaluated), the
    # activity tables and the report hold it
    evaluation = yearly_evaluation(ledger_url, year, snapshot=got.snapshot, hours_in=got.views.hours_in) if got.evaluated or tables else None

    def main_exports() -> list[Path]:
        return write_exports(got, out, template, evaluations={year: evaluation} if got.evaluated else None)

    def tables_and_report() -> list[Path]:
        files: list[Path] = []
        figures = None
        if evaluation is not None:  # register, evaluation and points: shared by the tables and the report
            figures = activity_figures(ledger_url, year, snapshot=got.snapshot, evaluation=evaluation)
        if tables:
            files += export_activities(ledger_url, out / ACTIVITIES, year, snapshot=got.snapshot, figures=figures)
        files.append(write_report(ledger_url, out / "report.html", pseudonymise=pseudonymise, courses=courses, year=year,
                                  gathered=got, figures=figures))
        return files

    exported, rest = both(main_exports, tables_and_report, parallel=parallel)
    return exported + rest


def both(first: Callable[[], Any], second: Callable[[], Any], *, parallel: bool = True) -> tuple[Any, Any]:
    """(first(), second()): `first` in a forked child process while this process runs `second`,
    when the machine has two cores and can fork; else one after the other. An error in either is
    raised here (the child's after this process has finished its own part)."""
    if not parallel or (os.cpu_count() or 1) < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return first(), second()
    ctx = multiprocessing.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_run_child, args=(first, send), daemon=True)
    child.start()
    send.close()
    try:
        mine = second()
    finally:
        try:
            status, value = receive.recv()
        except EOFError:
            status, value = "error", RuntimeError(f"the export process ended without a result (exit code {child.exitcode})")
        child.join()
        receive.close()
    if status == "error":
        raise value
    return value, mine


def _run_child(work: Callable[[], Any], send: Any) -> None:
    try:
        result: tuple[str, Any] = ("ok", work())
    except BaseException as exc:  # everything goes back to the parent, which raises it
        result = ("error", exc)
    try:
        send.send(result)
    except Exception:  # an exception that cannot be pickled: its text
        send.send(("error", RuntimeError(f"{type(result[1]).__name__}: {result[1]}")))
    finally:
        send.close()
