"""作业总览: per lesson — released, submitted, graded, essays waiting, late, average, pass rate.

Read live, one SQL query per source (formgrader's per-row ORM walk took ~10 s per 300 rows):
the gradebook gives graded / late / essays waiting per assignment, the ledger gives the
average and the pass rate of the current records. 已提交 counts each learner once who has a
submission either collected (`submitted/`) or still waiting in the exchange (the hub's exchange
service, or nbgrader's folder exchange without the hub), so the instructor sees who has handed
in before pressing 评分. Opening the workbench only reads: nothing is graded by looking, and a
ledger that does not exist yet is not created (the page says "no ledger yet").
"""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from ..grading.connections import engine as gradebook_engine
from ..model import Course
from ..records.ledger import sqlite_file_missing

GRADEBOOK_COUNTS = sa.text("""
SELECT a.name AS assignment, a.duedate AS duedate,
       COUNT(DISTINCT s.id) AS graded,
       COUNT(DISTINCT CASE WHEN a.duedate IS NOT NULL AND s.timestamp > a.duedate THEN s.id END) AS late,
       COUNT(DISTINCT CASE WHEN g.needs_manual_grade THEN g.id END) AS essays_waiting
FROM assignment a
LEFT JOIN submitted_assignment s ON s.assignment_id = a.id
LEFT JOIN submitted_notebook sn ON sn.assignment_id = s.id
LEFT JOIN grade g ON g.notebook_id = sn.id
GROUP BY a.name, a.duedate
""")

LEDGER_FIGURES = sa.text("""
SELECT assignment,
       COUNT(*) AS records,
       AVG(CASE WHEN max_score > 0 THEN score * 100.0 / max_score END) AS average,
       AVG(CASE WHEN passed THEN 1.0 ELSE 0.0 END) AS pass_rate
FROM records WHERE current GROUP BY assignment
""")


@dataclass(frozen=True)
class LessonRow:
    course_id: str
    course_title: str
    lesson_id: str
    title: str
    assignment: str
    released: bool
    duedate: object  # datetime | None
    submitted: int  # handed in: collected into submitted/ or waiting in the exchange
    graded: int
    essays_waiting: int
    late: int
    average: float | None  # percent of the maximum, current records
    pass_rate: float | None  # 0..1


def gradebook_counts(gradebook_url: str) -> dict[str, dict]:
    """assignment → {duedate, graded, late, essays_waiting}; {} when the gradebook does not exist yet."""
    if not gradebook_exists(gradebook_url):
        return {}
    try:
        with gradebook_engine(gradebook_url).connect() as conn:  # grading's engine per URL, without nbgrader
            return {r.assignment: dict(r._mapping) for r in conn.execute(GRADEBOOK_COUNTS)}
    except sa.exc.OperationalError:
        return {}


def gradebook_exists(gradebook_url: str) -> bool:
    """False for a SQLite gradebook file that is not there (connecting would create an empty one)."""
    return not sqlite_file_missing(gradebook_url)


def _has_records(engine: sa.Engine) -> bool:
    try:
        return sa.inspect(engine).has_table("records")
    except sa.exc.SQLAlchemyError:
        return False


def ledger_exists(ledger_url: str) -> bool:
    """Is there a ledger to read? Checked without creating or migrating one (engine_for would):
    a SQLite file that is not there, or a database without the `records` table, is "no ledger yet"."""
    if sqlite_file_missing(ledger_url):
        return False
    engine = sa.create_engine(ledger_url)
    try:
        return _has_records(engine)
    finally:
        engine.dispose()


def ledger_figures(ledger_url: str) -> dict[str, dict] | None:
    """assignment → {records, average (percent), pass_rate}; {} when nothing was rolled in yet,
    None when there is no ledger (`ledger_exists`, asked on the same engine: the page says so).
    Reads the tables as they are (no migration): opening the workbench never writes."""
    if sqlite_file_missing(ledger_url):
        return None
    engine = sa.create_engine(ledger_url)
    try:
        if not _has_records(engine):
            return None
        with engine.connect() as conn:
            return {r.assignment: dict(r._mapping) for r in conn.execute(LEDGER_FIGURES)}
    except sa.exc.SQLAlchemyError:
        return {}
    finally:
        engine.dispose()


def collected_students(course_root: Path) -> dict[str, set[str]]:
    """assignment → learners with a collected submission (`submitted/<learner>/<assignment>/`)."""
    out: dict[str, set[str]] = {}
    folder = Path(course_root) / "submitted"
    if folder.is_dir():
        for learner in folder.iterdir():
            if learner.is_dir():
                for a in learner.iterdir():
                    if a.is_dir():
                        out.setdefault(a.name, set()).add(learner.name)
    return out


def collected(course_root: Path) -> Counter:
    """assignment → number of learners with a collected submission."""
    return Counter({a: len(s) for a, s in collected_students(course_root).items()})


def in_exchange(site, assignments: list[str]) -> dict[str, set[str]]:
    """assignment → learners whose submission waits in the exchange (not yet collected).

    Under the hub: the exchange service's collect listing (the instructor's own hub token,
    one request per lesson). Without it: the names in nbgrader's folder exchange `inbound/`
    (`<student>+<assignment>+<time>+<random>`). Unreachable or missing: nothing counted."""
    out: dict[str, set[str]] = {}
    if getattr(site, "exchange_url", None):
        from ..settings import settings

        token = settings().hub_api_token
        for name in assignments if token else []:
            try:
                students = _collect_listing(site.exchange_url, token, site.course_id, name)
            except urllib.error.HTTPError as exc:
                if exc.code == 404:  # not released through the exchange: nothing waits there
                    continue
                break
            except (OSError, ValueError):  # the exchange is away: count what was collected, do not hold the page
                break
            out[name] = {s for s, attempts in students.items() if attempts}
        return out
    inbound = Path(site.exchange) / site.course_id / "inbound"
    if inbound.is_dir():
        wanted = set(assignments)
        for entry in inbound.iterdir():
            parts = entry.name.split("+")
            if len(parts) >= 3 and parts[1] in wanted:
                out.setdefault(parts[1], set()).add(parts[0])
    return out


def _collect_listing(url: str, token: str, course: str, assignment: str) -> dict:
    """The exchange service's collect listing (exchange/service.py), read with urllib: its client
    module loads nbgrader, which would add ≈1.7 s to every cold open of the workbench."""
    from urllib.parse import quote

    request = urllib.request.Request(f"{url.rstrip('/')}/api/courses/{quote(course, safe='')}/assignments/{quote(assignment, safe='')}/collect",
                                     headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=3) as response:
        return json.loads(response.read())["students"]


def submitted_counts(site, assignments: list[str], waiting: dict[str, set[str]] | None = None) -> Counter:
    """assignment → learners who handed in: collected or still in the exchange, each once.
    `waiting`: what `in_exchange` answered already (the page keeps its last answer)."""
    counts: Counter = Counter()
    disk = collected_students(site.root)
    waiting = in_exchange(site, assignments) if waiting is None else waiting
    for name in set(disk) | set(waiting):
        counts[name] = len(disk.get(name, set()) | waiting.get(name, set()))
    return counts


def lesson_overview(courses: list[Course], gradebook_url: str, ledger_url: str, course_root: Path,
                    submitted: Counter | None = None, *, counts: dict[str, dict] | None = None,
                    figures: dict[str, dict] | None = None) -> list[LessonRow]:
    """`submitted`: learners who handed in per assignment (`submitted_counts`); default: the
    collected ones only (no exchange request). `counts` / `figures`: `gradebook_counts` /
    `ledger_figures` the caller has already read (the page also needs them on their own)."""
    gb = counts if counts is not None else gradebook_counts(gradebook_url)
    ledger = figures if figures is not None else (ledger_figures(ledger_url) or {})
    disk = submitted if submitted is not None else collected(course_root)
    rows = []
    for course in courses:
        for lesson in course.lessons:
            name = course.assignment_name(lesson)
            g, led = gb.get(name, {}), ledger.get(name, {})
            rows.append(LessonRow(
                course_id=course.id, course_title=course.title, lesson_id=lesson.id, title=lesson.title, assignment=name,
                released=name in gb, duedate=g.get("duedate"), submitted=disk.get(name, 0), graded=int(g.get("graded") or 0),
                essays_waiting=int(g.get("essays_waiting") or 0), late=int(g.get("late") or 0),
                average=None if led.get("average") is None else float(led["average"]),
                pass_rate=None if led.get("pass_rate") is None else float(led["pass_rate"]),
            ))
    return rows


def percent(value: float | None, already_percent: bool = False) -> str:
    """85.3% — or "—" when there is nothing to show (never NaN)."""
    if value is None or value != value:  # None or NaN
        return "—"
    return f"{value if already_percent else value * 100:.1f}%"
