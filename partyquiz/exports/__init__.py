"""Exports: views of the ledger written as .xlsx and CSV (UTF-8 with BOM).

- 培训档案: one row per learner and training class, lessons on the 课时明细 sheet (the training file);
- 年度学时汇总: per learner and counting year, required vs earned hours;
- 支部汇总: per branch, members, completion, mean score, members short of hours;
- a CSV laid out by a template file (grader/templates/*.yml) for other personnel systems.
ID numbers appear only with `reveal_id_numbers=True`, and then only in the template CSV (the
organisation department's import file), never in 培训档案.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Callable

import sqlalchemy as sa

from ..records import activities
from ..records import ledger as L
from ..records.rules import Rules, load_rules
from . import views
from ..settings import settings
from .template import export_template, load_template
from ..tables import Sheet, write_csv, write_table, write_workbook

TRAINING, YEARLY, BRANCHES, LESSONS = "培训档案", "年度学时汇总", "支部汇总", "课时明细"


def read_ledger(ledger_url: str) -> views.LedgerData:
    with L.engine_for(ledger_url) as engine, engine.connect() as conn:
        people = L.load_learners(conn)
        members = L.load_learners(conn, members_only=True)
        courses = {r.id: r for r in conn.execute(sa.select(L.courses))}
        lessons = {(r.course_id, r.lesson_id): r for r in conn.execute(sa.select(L.lessons))}
        rows = L.current_rows(conn)
        regraded = {r[0] for r in conn.execute(sa.select(L.records.c.superseded_by).where(L.records.c.superseded_by.is_not(None)))}
        rolled_at = {r.id: r.rolled_at for r in conn.execute(sa.select(L.batches.c.id, L.batches.c.rolled_at))}
    return views.LedgerData(people=people, members=members, courses=courses, lessons=lessons, records=rows, regraded=regraded,
                            rolled_at=rolled_at)


def _years(rows: list[dict], year: int | None) -> list[int]:
    if year is not None:
        return [year]
    found = sorted({d["year"] for d in rows if d["year"] is not None})
    return found or [dt.date.today().year]


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
) -> list[Path]:
    """Write every export into `out_dir`; returns the files written (xlsx and csv pairs, then the template CSV)."""
    out = Path(out_dir)
    rules: Rules = load_rules(rules_path)
    tmpl = load_template(template or settings().default_template)  # checked before any work, so a bad template fails fast
    data = read_ledger(ledger_url)
    rows = views.record_dicts(data, rules)
    rows += activities.training_dicts(ledger_url, rules, data.people, like=rows[0] if rows else None)  # offline hours (H3)
    years = _years(rows, year)
    if year is not None:
        rows_for_files = [d for d in rows if d["year"] == year]
    else:
        rows_for_files = rows
    written: list[Path] = []
    classes = views.class_rows(rows_for_files, rules)
    dates = views.file_dates(rows)  # 建档时间 / 更新时间 from the whole file, whatever year is exported

    def both(name: str, header: list[str], body: list[list], kinds: dict[str, str], text: set[str], extra: list[Sheet] = ()) -> None:
        if progress:
            progress(name)
        written.append(write_workbook(out / f"{name}.xlsx", [Sheet(name, header, body, kinds, text), *extra]))
        written.append(write_csv(out / f"{name}.csv", header, body))

    # 培训档案: one row per training class; the lessons on a second sheet (and their own CSV)
    header, body = views.training_file(classes, dates)
    lesson_header, lesson_body = views.lesson_detail(rows_for_files)
    both(TRAINING, header, body, views.TRAINING_KINDS, views.TRAINING_TEXT,
         [Sheet(LESSONS, lesson_header, lesson_body, views.LESSON_KINDS, views.TRAINING_TEXT)])
    written.append(write_csv(out / f"{TRAINING}-{LESSONS}.csv", lesson_header, lesson_body))
    header, body = views.yearly_summary(data.members, rows, rules, years)
    both(YEARLY, header, body, views.YEARLY_KINDS, {"工号"})
    titles = {cid: c.title for cid, c in data.courses.items()}
    header, body = views.branch_table(data.members, rows, rules, years, titles, views.course_lessons_of(data))
    both(BRANCHES, header, body, views.BRANCH_KINDS, set())
    if progress:
        progress(tmpl.file)
    source = classes if tmpl.rows == "class" else rows_for_files
    ordered = sorted(source, key=lambda d: (d["branch"], d["learner_id"], d["end_date"] or dt.date.min, d["course_id"], d["lesson_id"]))
    written.append(export_template(tmpl, ordered, out, reveal_id_numbers))
    if per_learner:
        written.extend(_per_learner(out / TRAINING, classes, dates))
    return written


def _per_learner(folder: Path, classes: list[dict], dates: dict) -> list[Path]:
    """One 培训档案 workbook per learner (<工号>-<姓名>.xlsx), for a personal file."""
    by_learner: dict[str, list[dict]] = {}
    for d in classes:
        by_learner.setdefault(d["learner_id"], []).append(d)
    files = []
    for learner_id, mine in by_learner.items():
        header, body = views.training_file(mine, dates)
        name = f"{learner_id}-{mine[0]['name']}".replace("/", "_")
        files.append(write_table(folder / f"{name}.xlsx", TRAINING, header, body, kinds=views.TRAINING_KINDS, text_columns=views.TRAINING_TEXT))
    return files
