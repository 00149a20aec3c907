"""`grade_assignment`: collect → grade → learner feedback, for one assignment.

Roll-in is the next stage's job: the summary carries the results and the batch id, and
`partyquiz.pipeline` (CLI, demo, hub) hands them to `records.rollin.roll_in`.

The parent process plans (reads the assignment from the gradebook and the key from the source
notebook once), decides which submissions changed since they were last graded, hands chunks of
students to workers (in-process, local processes or a Dask cluster), and writes each finished
chunk's rows into the gradebook in one transaction, then records what it graded. An
interruption loses at most the chunks in flight; a second run with unchanged submissions
grades nothing (see `_todo`).
"""
from __future__ import annotations

import datetime as dt
import fnmatch
import hashlib
import json
import math
import multiprocessing
import sqlite3
import time
import uuid
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from rich.console import Console, ConsoleOptions, RenderResult
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from ..build import quiz_key
from ..files import atomic_write_text, walk_files
from ..i18n import language, t
from ..model import Course, QuizResult
from ..testcell import essay_question_id, parse_key
from . import gradebook as gbk
from .engines import NotebookPlan, Outcome, Plan, grade_chunk
from .site import GraderSite, NbgraderError

ENGINES = ("auto", "fast", "nbgrader")


@dataclass
class BatchSummary:
    assignment: str
    engine: str
    graded: int = 0
    skipped: int = 0  # unchanged since the last run
    failed: list[tuple[str, str]] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)  # graded, but something to look at
    late: int = 0
    mean_score: float | None = None
    max_score: float = 0.0
    results: list[QuizResult] = field(default_factory=list)
    feedback: int = 0
    seconds: float = 0.0
    batch_id: str = ""
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase, cumulative

    @property
    def rate(self) -> float:
        return self.graded / self.seconds if self.seconds > 0 else 0.0

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        table = Table(title=t("grading.summary.title", assignment=self.assignment), show_header=False)
        table.add_column(style="bold")
        table.add_column()
        mean = "—" if self.mean_score is None else f"{self.mean_score:.2f} / {self.max_score:g}"
        for label, value in (
            ("engine", self.engine), ("graded", self.graded), ("skipped", self.skipped),
            ("failed", len(self.failed)), ("late", self.late), ("mean", mean),
            ("feedback", self.feedback), ("time", f"{self.seconds:.1f} s ({self.rate:.0f}/s)"),
        ):
            table.add_row(t(f"grading.summary.{label}"), str(value))
        yield table
        for title, rows in (("grading.summary.failed_list", self.failed), ("grading.summary.problem_list", self.problems)):
            if rows:
                detail = Table(title=t(title))
                detail.add_column(t("grading.summary.student"))
                detail.add_column(t("grading.summary.reason"))
                for student, reason in rows[:50]:
                    detail.add_row(student, reason)
                if len(rows) > 50:
                    detail.add_row("…", t("grading.summary.more", n=len(rows) - 50))
                yield detail


class RateColumn(ProgressColumn):
    def render(self, task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:.1f}/s" if speed else "–/s", style="progress.data.speed")


# --- planning ------------------------------------------------------------------------------

def _source_nb(site: GraderSite, assignment: str, notebook: str) -> dict:
    path = site.source / assignment / f"{notebook}.ipynb"
    return json.loads(path.read_text(encoding="utf-8"))


def _is_quiz_only(nb_info: gbk.NotebookInfo) -> bool:
    """Every graded cell is a partyquiz quiz score cell or an essay cell: nothing to execute."""
    for name, cell in nb_info.grade_cells.items():
        source = nb_info.source_cells.get(name)
        is_score = cell.cell_type == "code" and source is not None and parse_key(source.source) is not None
        is_essay = essay_question_id(name) is not None and cell.cell_type == "markdown"
        if not (is_score or is_essay):
            return False
    writable_code = [n for n in nb_info.solution_cells if nb_info.source_cells.get(n) and nb_info.source_cells[n].cell_type == "code"]
    return not writable_code


def _template(source: dict, nb_info: gbk.NotebookInfo) -> dict:
    """The autograded notebook before a learner's essays: the instructor's cells, outputs cleared."""
    cells = []
    for cell in source["cells"]:
        cell = dict(cell)
        meta = cell.get("metadata", {}).get("nbgrader")
        if meta and meta.get("grade_id") in nb_info.source_cells:
            src = nb_info.source_cells[meta["grade_id"]]
            cell["metadata"] = {**cell["metadata"], "nbgrader": {**meta, "checksum": src.checksum}}
            cell["source"] = src.source
        if cell.get("cell_type") == "code":
            cell["outputs"], cell["execution_count"] = [], None
        cells.append(cell)
    return {**source, "cells": cells}


def make_plan(site: GraderSite, course: Course | None, assignment: str, engine: str) -> Plan:
    if engine not in ENGINES:
        raise ValueError(t("grading.error.engine", engine=engine))
    try:
        info = gbk.read_assignment(site.gradebook_url, assignment)
    except LookupError:
        raise NbgraderError(t("grading.error.no_assignment", assignment=assignment)) from None
    quiz_only = all(_is_quiz_only(nb) for nb in info.notebooks.values())
    chosen = ("fast" if quiz_only else "nbgrader") if engine == "auto" else engine
    if chosen == "fast" and not quiz_only:
        raise ValueError(t("grading.error.not_quiz_only", assignment=assignment))
    plans = []
    for name, nb_info in sorted(info.notebooks.items()):
        score_cell, key_json = None, None
        for cell_name, src in nb_info.source_cells.items():
            found = parse_key(src.source) if cell_name in nb_info.grade_cells else None
            if found:
                score_cell, key_json = cell_name, found
        if key_json is None and course is not None:
            key_json = _key_from_course(course, assignment, name)
        plans.append(NotebookPlan(
            name=name, key_json=key_json, score_cell=score_cell,
            grade_cells={n: c.max_score for n, c in nb_info.grade_cells.items()},
            solution_cells=sorted(nb_info.solution_cells),
            essay_sources={n: nb_info.source_cells[n].source for n in nb_info.grade_cells if essay_question_id(n) is not None and n in nb_info.source_cells},
            template=_template(_source_nb(site, assignment, name), nb_info) if chosen == "fast" else {},
        ))
    ignore = list(site.config().CourseDirectory.ignore)
    source_dir = site.source / assignment
    source_files = sorted(str(p.relative_to(source_dir)) for p in source_dir.rglob("*")
                          if p.is_file() and p.suffix != ".ipynb" and not any(fnmatch.fnmatch(part, g) for g in ignore for part in p.relative_to(source_dir).parts))
    return Plan(root=str(site.root), assignment=assignment, engine=chosen, notebooks=plans, source_files=source_files,
                ignore=ignore, db_url=site.gradebook_url, lang=language(), config_extra=site.extra)


def _key_from_course(course: Course, assignment: str, notebook: str) -> str | None:
    try:
        lesson = course.lesson_for_assignment(assignment)
    except KeyError:
        return None
    return quiz_key(course, lesson).model_dump_json() if lesson.quiz and lesson.id == notebook else None


# --- what changed ----------------------------------------------------------------------------

def fingerprint(folder: Path, ignore: list[str]) -> str:
    """A hash of the name, size and modification time of every file a grade depends on.

    Stat only, no reading: nbgrader's collect copies with times kept, and a resubmission brings
    a new timestamp.txt, so any change of a submission changes this.
    """
    digest = hashlib.sha1()
    for rel, entry in sorted(walk_files(folder, ignore)):
        st = entry.stat()
        digest.update(f"{rel}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _state_path(site: GraderSite, assignment: str) -> Path:
    return site.root / ".partyquiz" / f"graded-{assignment}.json"


def _plan_fingerprint(plan: Plan) -> str:
    data = json.dumps([(nb.name, nb.key_json, nb.grade_cells, nb.essay_sources) for nb in plan.notebooks], sort_keys=True)
    return hashlib.sha1(data.encode()).hexdigest()


def _load_state(site: GraderSite, assignment: str, plan_fp: str) -> dict[str, str]:
    path = _state_path(site, assignment)
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    # a changed key or a gradebook on another server means: grade everything again
    if state.get("plan") != plan_fp or state.get("db") != _db_id(site):
        return {}
    return dict(state.get("students", {}))


def _db_id(site: GraderSite) -> str:
    return hashlib.sha1(site.gradebook_url.encode()).hexdigest()[:12]


def _save_state(site: GraderSite, assignment: str, plan_fp: str, students: dict[str, str]) -> None:
    doc = {"plan": plan_fp, "db": _db_id(site), "students": dict(sorted(students.items()))}
    atomic_write_text(_state_path(site, assignment), json.dumps(doc, indent=0))


def submitted_students(site: GraderSite, assignment: str) -> list[str]:
    base = site.root / "submitted"
    if not base.exists():
        return []
    return sorted(p.parent.name for p in base.glob(f"*/{assignment}") if p.is_dir())


# --- running ---------------------------------------------------------------------------------

def _chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def _run_local(plan: Plan, chunks: list[list[str]], workers: int) -> Iterator[list[Outcome]]:
    if workers <= 1 or len(chunks) <= 1:
        return (grade_chunk(plan, chunk) for chunk in chunks)
    # fork where there is fork: a spawned worker pays ≈2–5 s of imports, longer than grading a
    # thousand quiz submissions. All workers are forked here, at the first submit, before the
    # progress bar starts its thread; database engines are not shared (connections.py at-fork hook).
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context(method))
    futures = [pool.submit(grade_chunk, plan, chunk) for chunk in chunks]

    def results() -> Iterator[list[Outcome]]:
        try:
            for future in as_completed(futures):
                yield future.result()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    return results()


def _run_dask(plan: Plan, chunks: list[list[str]], scheduler) -> Iterator[list[Outcome]]:
    from distributed import Client, as_completed as dask_completed  # optional and heavy: only with --scheduler

    # Workers must see the course root (a shared file system) and import partyquiz.
    client = scheduler if isinstance(scheduler, Client) else Client(scheduler)
    try:
        [plan_future] = client.scatter([plan], broadcast=True)
        futures = [client.submit(grade_chunk, plan_future, chunk, pure=False) for chunk in chunks]
        for future in dask_completed(futures):
            yield future.result()
    finally:
        if client is not scheduler:
            client.close()


def _scratch_gradebook(site: GraderSite, assignment: str) -> str:
    """A copy of the SQLite gradebook without submissions: each parallel autograde gets its own."""
    path = site.root / ".partyquiz" / f"scratch-{assignment}.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    src = site.gradebook_url.removeprefix("sqlite:///")
    with sqlite3.connect(src) as a, sqlite3.connect(path) as b:
        a.backup(b)
        for table in ("grade", "comment", "submitted_notebook", "submitted_assignment"):
            b.execute(f"DELETE FROM {table}")
    return str(path)


def _is_late(rows: gbk.SubmissionRows | None, duedate: dt.datetime | None) -> bool:
    return bool(rows and rows.timestamp and duedate and rows.timestamp > duedate)


def grade_assignment(
    site: GraderSite,
    course: Course | None,
    assignment: str,
    *,
    engine: str = "auto",
    workers: int = 1,
    scheduler: object | None = None,
    progress: bool = True,
    collect: bool = True,
    release_feedback: bool = True,
    students: Iterable[str] | None = None,
    console: Console | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> BatchSummary:
    """Collect, grade (only what changed), write feedback, release it. Returns the summary.

    `on_progress(done, total)` is called once the work is known (done=0) and after every chunk
    written to the gradebook: the workbench's progress bar moves with it."""
    started = time.perf_counter()
    site.prepare()
    summary = BatchSummary(assignment=assignment, engine=engine, batch_id=f"{assignment}-{uuid.uuid4().hex[:8]}")
    if collect:
        try:
            # what collect skipped (links, devices, an oversized submission) is reported, the rest goes on
            summary.problems.extend(("*", line) for line in site.collect(assignment) or [])
        except NbgraderError as exc:
            summary.problems.append(("*", t("grading.error.collect", error=str(exc).splitlines()[0])))
    plan = make_plan(site, course, assignment, engine)
    summary.engine = plan.engine
    summary.max_score = sum(m for nb in plan.notebooks for m in nb.grade_cells.values())
    info = gbk.read_assignment(site.gradebook_url, assignment)
    plan_fp = _plan_fingerprint(plan)
    state = _load_state(site, assignment, plan_fp)
    in_gradebook = gbk.submitted_students(site.gradebook_url, assignment)
    wanted = submitted_students(site, assignment) if students is None else sorted(students)
    todo, prints = [], {}
    for student in wanted:
        prints[student] = fingerprint(site.root / "submitted" / student / assignment, plan.ignore)
        if state.get(student) != prints[student] or student not in in_gradebook:
            todo.append(student)
    summary.skipped = len(wanted) - len(todo)
    if plan.engine == "nbgrader" and site.gradebook_url.startswith("sqlite") and (workers > 1 or scheduler is not None):
        plan.scratch_db = _scratch_gradebook(site, assignment)
    summary.timings["plan"] = time.perf_counter() - started
    size = 1 if plan.engine == "nbgrader" else max(1, min(50, math.ceil(len(todo) / max(1, workers * 4))))
    chunks = _chunks(todo, size)
    runs = _run_dask(plan, chunks, scheduler) if scheduler is not None else _run_local(plan, chunks, workers)
    scores: list[float] = []
    with _progress(progress, console) as bar:
        task = bar.add_task(t("grading.progress", assignment=assignment, engine=plan.engine), total=len(todo))
        done = 0
        if on_progress:
            on_progress(0, len(todo))
        for outcomes in runs:
            _absorb(site, info, plan_fp, state, prints, outcomes, summary, scores, assignment)
            bar.advance(task, len(outcomes))
            done += len(outcomes)
            if on_progress:
                on_progress(done, len(todo))
    summary.mean_score = round(sum(scores) / len(scores), 4) if scores else None
    summary.timings["grade"] = time.perf_counter() - started
    if release_feedback and summary.feedback:
        _release(site, assignment, summary)
    summary.timings["release"] = time.perf_counter() - started - summary.timings["grade"]
    summary.seconds = time.perf_counter() - started
    return summary


def _absorb(site, info, plan_fp, state, prints, outcomes, summary, scores, assignment) -> None:
    good = [o for o in outcomes if o.error is None and o.rows is not None]
    try:
        gbk.write_submissions(site.gradebook_url, info, [o.rows for o in good])
    except Exception as exc:  # the database refused the chunk: report each, keep going
        for o in good:
            summary.failed.append((o.student, t("grading.error.db", error=str(exc).splitlines()[0])))
        good = []
    for o in outcomes:
        if o.error is not None or o.rows is None:
            summary.failed.append((o.student, o.error or "?"))
            state.pop(o.student, None)
    for o in good:
        state[o.student] = prints[o.student]
        summary.graded += 1
        summary.results.extend(o.results)
        summary.feedback += int(o.feedback)
        summary.late += int(_is_late(o.rows, info.duedate))
        summary.problems.extend((o.student, p) for p in o.problems)
        scores.append(sum(v or 0.0 for nb in o.rows.notebooks.values() for v in nb.auto_scores.values()))
    _save_state(site, assignment, plan_fp, state)


class _NoBar:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def add_task(self, *a, **k):
        return 0

    def advance(self, *a, **k):
        pass


def _progress(enabled: bool, console: Console | None):
    if not enabled:
        return _NoBar()
    return Progress(TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    RateColumn(), TimeRemainingColumn(), console=console, transient=False)


def _release(site: GraderSite, assignment: str, summary: BatchSummary) -> None:
    try:
        result = site.api().release_feedback(assignment)
        if not result.get("success"):
            summary.problems.append(("*", t("grading.error.release", error=(result.get("error") or "").strip().splitlines()[-1:] or "")))
    except Exception as exc:
        summary.problems.append(("*", t("grading.error.release", error=str(exc))))
