"""The workbench opens in ≤ 3 s with ≥ 1,000 submissions and 5,000 ledger rows; against
formgrader's per-row ORM walk (`Gradebook.submission_dicts`) on the same gradebook, in the same run.

A gradebook of 1,000 learners × 6 lessons (6,000 submissions, one lesson with an essay cell,
half of those marked) built with bulk inserts, rolled into a ledger (5,500 rows: an unmarked
essay keeps its lesson out); then
`Workbench(...)` is built as the page does on opening: 作业总览 (one SQL query on each source),
the essay queue (one SQL query) and the branch table.

    .venv/bin/python benchmarks/bench_workbench.py [--learners 1000]
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from bulk_gradebook import Sub, build_gradebook  # noqa: E402

from partyquiz.model import Course, Lesson  # noqa: E402
from partyquiz.records.rollin import roll_in  # noqa: E402
from partyquiz.records.roster import store_roster  # noqa: E402
from partyquiz.simulate import make_roster  # noqa: E402


def build(folder: Path, learners: int, lessons: int = 6):
    course = Course(id="bench", title="基准课程", organiser="组织部", institution="党校", year=2026,
                    lessons=[Lesson(id=f"l{i}", title=f"第{i}课", file=f"l{i}.md", hours=1, minutes=40) for i in range(1, lessons + 1)])
    roster = make_roster(learners, branches=8)
    rng = random.Random(7)
    start = dt.datetime(2026, 3, 1)
    essay_lesson = course.assignment_name(course.lessons[0])
    subs = [Sub(student=p.id, assignment=course.assignment_name(lesson), auto=float(rng.randint(0, 10)),
                timestamp=start + dt.timedelta(minutes=rng.randint(0, 200_000)),
                essay=(float(rng.randint(0, 5)) if n % 2 else None) if course.assignment_name(lesson) == essay_lesson else None)
            for n, p in enumerate(roster) for lesson in course.lessons]
    gradebook = f"sqlite:///{folder / 'gradebook.db'}"
    build_gradebook(gradebook, {course.assignment_name(l): 10.0 for l in course.lessons}, subs,
                    students={p.id: (p.name[:1], p.name[1:]) for p in roster}, essays={essay_lesson: 5.0})
    import sqlalchemy as sa

    with sa.create_engine(gradebook).begin() as conn:  # our essay cells are named essay_<question id>
        conn.execute(sa.text("UPDATE base_cell SET name = 'essay_q1' WHERE name = 'essay'"))
    ledger = f"sqlite:///{folder / 'ledger.db'}"
    store_roster(roster, ledger)
    added = roll_in(ledger, gradebook, [course], roster=roster, batch_id="bench").added
    return course, roster, gradebook, ledger, len(subs), added


def open_workbench(folder: Path, course, gradebook: str, ledger: str) -> float:
    from partyquiz.grading.site import GraderSite
    from partyquiz.hub.dashboard import Instructor
    from partyquiz.workbench.pages import Workbench

    class BenchInstructor(Instructor):
        def site(self):
            return GraderSite(root=self.grader_root, exchange=self.exchange, db_url=gradebook)

        def courses(self):
            return [course]

    ins = BenchInstructor(grader_root=folder / "grader", exchange=folder / "exchange", ledger_url=ledger, roster_file=None,
                          courses_dir=folder)
    t0 = time.perf_counter()
    bench = Workbench(ins)
    seconds = time.perf_counter() - t0
    assert "pq-overview" in bench.overview.value and bench.queue, "the page shows the lessons and the essays waiting"
    return seconds


def formgrader_walk(gradebook: str, assignment: str) -> float:
    from nbgrader.api import Gradebook

    t0 = time.perf_counter()
    with Gradebook(gradebook) as gb:
        rows = gb.submission_dicts(assignment)
    assert rows
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--learners", type=int, default=1000)
    args = parser.parse_args()
    from partyquiz.settings import ensure_venv_on_path

    ensure_venv_on_path()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        course, roster, gradebook, ledger, n_subs, n_rows = build(folder, args.learners)
        print(f"built {n_subs:,} submissions and {n_rows:,} ledger rows in {time.perf_counter() - t0:.1f} s")
        opens = [open_workbench(folder, course, gradebook, ledger) for _ in range(3)]
        walk = formgrader_walk(gradebook, course.assignment_name(course.lessons[0]))
        best = min(opens)
        print(f"workbench opens in {best:.2f} s warm, {opens[0]:.2f} s cold (first, with imports; all {', '.join(f'{s:.2f}' for s in opens)}); "
              f"formgrader's submission_dicts for ONE lesson ({args.learners:,} rows): {walk:.2f} s; "
              f"ratio {walk / best:.1f}x; load average {os.getloadavg()[0]:.1f}")
        if best > 3.0:
            sys.exit(f"workbench took {best:.2f} s > 3 s")


if __name__ == "__main__":
    main()
