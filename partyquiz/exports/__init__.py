"""Exports: views of the ledger written as .xlsx and CSV (UTF-8 with BOM).

- 培训档案: one row per learner and training class (the training file), lessons on the 课时明细
  sheet, the year's 量化考评 with 学风, 纪律 and 评语 on the 年度考评 sheet;
- 年度学时汇总: per learner and counting year, required vs earned hours;
- 支部汇总: per branch, members, completion, mean score, members short of hours;
- a CSV laid out by a template file (grader/templates/*.yml) for other personnel systems.
ID numbers appear only with `reveal_id_numbers=True`, and then only in the template CSV (the
organisation department's import file), never in 培训档案.

`gather` reads the ledger ONCE (records, people, courses, offline sessions and attendance) and
builds the rows every view shares; `export_all`, the activity tables and the report all take it,
so one publish run reads 200,000 records one time.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import sqlalchemy as sa

from ..model import Course
from ..records import activities
from ..records import ledger as L
from ..records.rules import Rules, load_rules
from . import views
from ..settings import settings
from .template import export_template, load_template
from ..tables import Sheet, write_csv, write_workbook

TRAINING, YEARLY, BRANCHES, LESSONS, EVALUATION = "培训档案", "年度学时汇总", "支部汇总", "课时明细", "年度考评"


@dataclass
class Gathered:
    """The ledger read once, and the rows every view draws from (online records + attended
    offline sessions, each row one counting year's hours)."""

    ledger_url: str
    rules: Rules
    rules_path: Path | str | None
    data: views.LedgerData
    snapshot: activities.Snapshot  # what the activity views (register, evaluation, points) read
    rows: list[dict[str, Any]]
    views: views.Views
    has_evaluations: bool = False  # any instructor's 学风 / 纪律 / 评语 stored, of any year

    @property
    def years(self) -> list[int]:
        return self.views.years  # every counting year with a record or an attended session

    @property
    def has_activities(self) -> bool:
        return bool(self.snapshot.sessions)

    @property
    def evaluated(self) -> bool:
        """Whether the 量化考评 is written (培训档案's 年度考评, the activity tables, the report):
        the ledger holds offline sessions or any instructor's evaluation."""
        return self.has_activities or self.has_evaluations


def _read(conn: sa.Connection) -> tuple[views.LedgerData, activities.Snapshot]:
    """The activity views' Snapshot (people, current records, sessions, attendance, stage tests)
    and what the record views need besides it, on one connection."""
    snap = activities.snapshot_of(conn)
    on_roster = {r["id"] for r in snap.learners if r["on_roster"]}
    members = [p for p in snap.people if p.id in on_roster] if on_roster else list(snap.people)
    courses = {r.id: r for r in conn.execute(sa.select(L.courses))}
    lessons = {(r.course_id, r.lesson_id): r for r in conn.execute(sa.select(L.lessons))}
    regraded = {r[0] for r in conn.execute(sa.select(L.records.c.superseded_by).where(L.records.c.superseded_by.is_not(None)))}
    rolled_at = {r.id: r.rolled_at for r in conn.execute(sa.select(L.batches.c.id, L.batches.c.rolled_at))}
    data = views.LedgerData(people=snap.people, members=members, courses=courses, lessons=lessons, records=snap.records,
                            regraded=regraded, rolled_at=rolled_at)
    return data, snap


def gather(ledger_url: str, *, rules_path: Path | str | None = None, courses: list[Course] | None = None) -> Gathered:
    """Read the ledger once and build the shared rows. `courses` (optional) give each course's
    result rule (course.yml `result`); without them the ledger's lessons and the default rule."""
    rules = load_rules(rules_path)
    with L.engine_for(ledger_url) as engine, engine.connect() as conn:
        data, snapshot = _read(conn)
        evaluations = conn.execute(sa.select(L.evaluations.c.learner_id).limit(1)).first() is not None
    rows = views.record_dicts(data, rules)
    if snapshot.sessions:  # offline hours (issue 16): rules without an `activities` section fail here, naming the file
        activity_rules = activities.load_activity_rules(rules.path or rules_path)
        rows += activities.offline_dicts(snapshot.sessions, snapshot.attendance, data.people, rules, activity_rules)
    titles = {cid: c.title for cid, c in data.courses.items()}
    shared = views.Views(rules, data.members, rows, views.course_shapes(data, courses), titles)
    return Gathered(ledger_url, rules, rules_path, data, snapshot, rows, shared, evaluations)


def export_all(
    ledger_url: str,
    out_dir: Path | str,
    *,
    rules_path: Path | str | None = None,
    template: Path | str | None = None,
    year: int | None = None,
    reveal_id_numbers: bool = False,
    per_learner: bool = False,
    progress: Callable[[str], None] | None = None,
    courses: list[Course] | None = None,
) -> list[Path]:
    """Write every export into `out_dir`; returns the files written (xlsx and csv pairs, then the
    template CSV). Publish, which shares the ledger read with the report, calls write_exports."""
    tmpl = load_template(template or settings().default_template)  # checked before any work, so a bad template fails fast
    got = gather(ledger_url, rules_path=rules_path, courses=courses)
    return write_exports(got, out_dir, tmpl, year=year, reveal_id_numbers=reveal_id_numbers, per_learner=per_learner, progress=progress)


def write_exports(got: Gathered, out_dir: Path | str, tmpl, *, year: int | None = None, reveal_id_numbers: bool = False,
                  per_learner: bool = False, progress: Callable[[str], None] | None = None,
                  evaluations: dict[int, list[dict[str, Any]]] | None = None) -> list[Path]:
    """The files of `export_all` from the ledger already read; `evaluations`: the 量化考评 of some
    years already computed (publish shares the report year's with the report)."""
    out = Path(out_dir)
    rules, shared = got.rules, got.views
    years = [year] if year is not None else got.years
    rows_for_files = [d for d in got.rows if d["year"] == year] if year is not None else got.rows
    written: list[Path] = []
    classes = views.class_rows(rows_for_files, rules, shared.results)
    dates = views.file_dates(got.rows)  # 建档时间 / 更新时间 from the whole file, whatever year is exported
    evaluations = _evaluations(got, years, evaluations or {})

    def both(name: str, header: list[str], body: list[list], kinds: dict[str, str], text: set[str], extra: list[Sheet] = ()) -> None:
        if progress:
            progress(name)
        written.append(write_workbook(out / f"{name}.xlsx", [Sheet(name, header, body, kinds, text), *extra]))
        written.append(write_csv(out / f"{name}.csv", header, body))

    # 培训档案: one row per training class; the lessons and the year's evaluation on their own sheets (and CSVs)
    header, body = views.training_file(classes, dates)
    lesson_header, lesson_body = views.lesson_detail(rows_for_files)
    prefix = str(rules.training_file.get("number_prefix", ""))
    eval_header, eval_body = views.evaluation_sheet(evaluations, prefix)
    extra = [Sheet(LESSONS, lesson_header, lesson_body, views.LESSON_KINDS, views.TRAINING_TEXT)]
    if eval_body:
        extra.append(Sheet(EVALUATION, eval_header, eval_body, views.EVALUATION_KINDS, views.TRAINING_TEXT))
    both(TRAINING, header, body, views.TRAINING_KINDS, views.TRAINING_TEXT, extra)
    written.append(write_csv(out / f"{TRAINING}-{LESSONS}.csv", lesson_header, lesson_body))
    if eval_body:
        written.append(write_csv(out / f"{TRAINING}-{EVALUATION}.csv", eval_header, eval_body))
    header, body = views.yearly_summary(shared, years)
    both(YEARLY, header, body, views.YEARLY_KINDS, {"工号"})
    header, body = views.branch_table(shared, years)
    both(BRANCHES, header, body, views.BRANCH_KINDS, set())
    if progress:
        progress(tmpl.file)
    source = classes if tmpl.rows == "class" else rows_for_files
    ordered = sorted(source, key=lambda d: (d["branch"], d["learner_id"], d["end_date"] or dt.date.min, d["course_id"], d["lesson_id"]))
    written.append(export_template(tmpl, ordered, out, reveal_id_numbers))
    if per_learner:
        written.extend(_per_learner(out / TRAINING, classes, dates, evaluations, prefix))
    return written


def _evaluations(got: Gathered, years: list[int], known: dict[int, list[dict[str, Any]]]) -> dict[int, list[dict[str, Any]]]:
    """量化考评 with 学风, 纪律 and 评语 per exported year (records.evaluation), for the 年度考评 sheet;
    none when the ledger holds neither offline sessions nor any instructor's evaluation."""
    from ..records.evaluation import yearly_evaluation

    if not got.evaluated:
        return {}
    return {y: known[y] if y in known else yearly_evaluation(got.ledger_url, y, rules_path=got.rules_path, snapshot=got.snapshot,
                                                             hours_in=got.views.hours_in)
            for y in years}


def _per_learner(folder: Path, classes: list[dict], dates: dict, evaluations: dict[int, list[dict[str, Any]]], prefix: str) -> list[Path]:
    """One 培训档案 workbook per learner (<工号>-<姓名>.xlsx), for a personal file, with their 年度考评."""
    by_learner: dict[str, list[dict]] = {}
    for d in classes:
        by_learner.setdefault(d["learner_id"], []).append(d)
    theirs: dict[str, dict[int, list[dict[str, Any]]]] = {}
    for year, rows in evaluations.items():
        for r in rows:
            theirs.setdefault(r["learner_id"], {}).setdefault(year, []).append(r)
    files = []
    for learner_id, mine in by_learner.items():
        header, body = views.training_file(mine, dates)
        name = f"{learner_id}-{mine[0]['name']}".replace("/", "_")
        sheets = [Sheet(TRAINING, header, body, views.TRAINING_KINDS, views.TRAINING_TEXT)]
        if learner_id in theirs:
            eval_header, eval_body = views.evaluation_sheet(theirs[learner_id], prefix)
            sheets.append(Sheet(EVALUATION, eval_header, eval_body, views.EVALUATION_KINDS, views.TRAINING_TEXT))
        files.append(write_workbook(folder / f"{name}.xlsx", sheets))
    return files


def branch_summary(ledger_url: str, course_id: str | None = None, *, year: int | None = None, rules_path: Path | str | None = None,
                   courses: list[Course] | None = None) -> list[dict[str, Any]]:
    """The branch figures of 支部汇总 for one counting year (the latest with records by default):
    the （全部课程） row of each branch, or with `course_id` that course's row (a branch that did
    not take it that year gets a row of its members and nothing taken). `courses`: each course's
    result rule (course.yml `result`), as publish gives them, so the figures on screen are the
    file's. Keys: branch, year, course, learners (在册人数), party_members (其中党员), submitted,
    passed, completion (per cent, 0–100, as in 支部汇总), mean_score, hours, short (学时未达标人数)."""
    got = gather(ledger_url, rules_path=rules_path, courses=courses)
    year = year if year is not None else got.years[-1]
    rows = views.branch_rows(got.views, [year])
    totals = [r for r in rows if r["course"] == views.ALL_COURSES]
    if course_id is None:
        return [_branch_keys(r) for r in totals]
    title = got.views.course_titles.get(course_id, course_id)
    members: dict[str, list[Any]] = {}
    for p in got.views.members:
        members.setdefault(p.branch or views.NO_BRANCH, []).append(p)
    out = []
    for total in totals:
        mine = next((r for r in rows if r["branch"] == total["branch"] and r["course_id"] == course_id), None)
        if mine is None:  # not taken this year: who passed it before still counts
            passed = sum(1 for p in members.get(total["branch"], []) if got.views.results.passed(p.id, course_id, year))
            mine = {**total, "course": title, "submitted": 0, "passed": passed, "mean_score": None, "hours": 0.0, "short": None,
                    "completion": round(100.0 * passed / total["learners"], 1) if total["learners"] else None}
        out.append(_branch_keys(mine))
    return out


def _branch_keys(row: dict[str, Any]) -> dict[str, Any]:
    return {k: row[k] for k in views.BRANCH_KEYS}
