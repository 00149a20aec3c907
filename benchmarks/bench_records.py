"""Roll-in + all exports against `nbgrader export`, on gradebooks built with bulk inserts.

1. 1,000 learners × 20 assignments: roll-in + every export, and `nbgrader export` (the CLI) on
   the same gradebook in the same run; target ≥ 20× faster.
2. 5,000 learners × 40 assignments: roll-in + every export; target < 30 s on 2 cores.

Run: .venv/bin/python benchmarks/bench_records.py [--skip-large]
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # bulk_gradebook: a test and benchmark helper

from bulk_gradebook import Sub, build_gradebook  # noqa: E402
from partyquiz.exports import export_all  # noqa: E402
from partyquiz.model import Course, Lesson  # noqa: E402
from partyquiz.records.rollin import roll_in  # noqa: E402
from partyquiz.records.roster import store_roster  # noqa: E402
from partyquiz.settings import ensure_venv_on_path  # noqa: E402
from partyquiz.simulate import make_roster  # noqa: E402


def synthetic(n_learners: int, n_assignments: int, folder: Path) -> tuple[str, Course, list]:
    course = Course(id="bench", title="基准课程", organiser="组织部", institution="党校", year=2026,
                    lessons=[Lesson(id=f"l{i:02d}", title=f"第{i}课", file=f"l{i}.md", hours=1, minutes=40) for i in range(1, n_assignments + 1)])
    roster = make_roster(n_learners, branches=8)
    rng = random.Random(7)
    start = dt.datetime(2026, 3, 1)
    subs = [Sub(student=l.id, assignment=course.assignment_name(lesson), auto=float(rng.randint(0, 10)),
                timestamp=start + dt.timedelta(minutes=rng.randint(0, 200_000)))
            for l in roster for lesson in course.lessons]
    url = f"sqlite:///{folder / 'gradebook.db'}"
    t0 = time.perf_counter()
    build_gradebook(url, {course.assignment_name(l): 10.0 for l in course.lessons}, subs,
                    students={l.id: (l.name[:1], l.name[1:]) for l in roster})
    print(f"  built gradebook of {len(subs):,} submissions with bulk inserts in {time.perf_counter() - t0:.1f} s")
    return url, course, roster


def ours(gradebook: str, course: Course, roster: list, folder: Path) -> tuple[float, float, float]:
    ledger = f"sqlite:///{folder / 'ledger.db'}"
    store_roster(roster, ledger)
    c0, t0 = time.process_time(), time.perf_counter()
    summary = roll_in(ledger, gradebook, [course], roster=roster, batch_id="bench")
    t1 = time.perf_counter()
    files = export_all(ledger, folder / "out")
    c2, t2 = time.process_time(), time.perf_counter()
    assert summary.added == len(roster) * len(course.lessons), summary
    print(f"  roll-in {t1 - t0:.2f} s ({summary.added:,} records), exports {t2 - t1:.2f} s ({len(files)} files); "
          f"wall {t2 - t0:.2f} s, CPU {c2 - c0:.2f} s; load average {os.getloadavg()[0]:.1f}")
    return t1 - t0, t2 - t1, t2 - t0


def nbgrader_export(gradebook: str, folder: Path) -> float:
    ensure_venv_on_path()
    out = folder / "nbgrader-grades.csv"
    cmd = [str(Path(sys.executable).parent / "nbgrader"), "export", f"--CourseDirectory.root={folder}",
           f"--CourseDirectory.db_url={gradebook}", f"--to={out}"]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, cwd=folder)
    elapsed = time.perf_counter() - t0
    rows = sum(1 for _ in out.open(encoding="utf-8")) - 1
    print(f"  nbgrader export {elapsed:.2f} s ({rows:,} rows)")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-large", action="store_true")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "side-by-side"
        folder.mkdir()
        print("1,000 learners × 20 assignments")
        gradebook, course, roster = synthetic(1000, 20, folder)
        _, _, total = ours(gradebook, course, roster, folder)
        theirs = nbgrader_export(gradebook, folder)
        print(f"  ratio: nbgrader export / (roll-in + all exports) = {theirs / total:.1f}× (target ≥ 20×)")
        if not args.skip_large:
            folder = Path(tmp) / "scale"
            folder.mkdir()
            print("5,000 learners × 40 assignments")
            gradebook, course, roster = synthetic(5000, 40, folder)
            _, _, total = ours(gradebook, course, roster, folder)
            print(f"  roll-in + all exports: {total:.1f} s (target < 30 s): {'OK' if total < 30 else 'MISSED'}")


if __name__ == "__main__":
    main()
