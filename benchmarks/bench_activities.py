"""Roll-in + all exports with a year of offline activities (issue 16).

5,000 people in 8 branches; each branch holds 40 sessions in the year (三会一课, 集体学习, 主题党日,
党课, a 集中培训) that its members attend (≈ 90 % present, the rest on leave or absent): ≈ 200,000
attendance rows; plus 40 quiz results a person (200,000 records) in the gradebook.
Timed: roll-in, then what publish writes (`publish.write_exports_and_report`): the main exports
(培训档案 … with offline hours), the activity tables (活动台账, 出勤明细, 三会一课, 出勤率, 量化考评,
积分) and report.html, the main exports in a second process. Target: all of it under 30 s.
CPU counts this process and the export process.

Run: .venv/bin/python benchmarks/bench_activities.py [--people 5000] [--sequential]
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_records import synthetic  # noqa: E402

from partyquiz.publish import write_exports_and_report  # noqa: E402
from partyquiz.records.activities import Attendance, Session, store_sessions  # noqa: E402
from partyquiz.records.rollin import roll_in  # noqa: E402
from partyquiz.records.roster import store_roster  # noqa: E402

# a branch's year: 4 × 支部党员大会, 12 × 支委会 … 40 sessions
PLAN = [("支部党员大会", m, 2.0) for m in (3, 6, 9, 12)] + [("党小组会", m, 1.0) for m in range(1, 13)] + \
       [("集体学习", m, 2.0) for m in range(1, 13)] + [("主题党日", m, 3.0) for m in range(1, 11)] + [("党课", m, 2.0) for m in (5,)]


def a_year_of_activities(roster: list, year: int = 2026) -> list[tuple[Session, list[Attendance]]]:
    rng = random.Random(11)
    branches: dict[str, list] = {}
    for person in roster:
        branches.setdefault(person.branch, []).append(person)
    out = []
    for branch, members in sorted(branches.items()):
        plan = PLAN + [("集中培训", 7, None)]
        for n, (kind, month, hours) in enumerate(plan):
            session = Session(kind=kind, title=f"{branch}{month}月{kind}", date=dt.date(year, month, 8 + n % 15), branch=branch,
                              clock_hours=hours, days=None if hours else 2.0, organiser=branch)
            present = [Attendance(learner_id=p.id, status=rng.choices(("attended", "leave", "absent"), (90, 6, 4))[0]) for p in members]
            out.append((session, present))
    return out


def cpu() -> float:
    """CPU seconds of this process and of the children it waited for (the export process)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--sequential", action="store_true", help="publish in one process (for comparison)")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        gradebook, course, roster = synthetic(args.people, 40, folder)
        ledger = f"sqlite:///{folder / 'ledger.db'}"
        store_roster(roster, ledger)
        year = a_year_of_activities(roster)
        t0 = time.perf_counter()
        store_sessions(ledger, year)
        stored = time.perf_counter() - t0
        rows = sum(len(a) for _, a in year)
        print(f"  stored {len(year)} sessions, {rows:,} attendance rows in {stored:.2f} s (not counted below)")
        c0, t0 = cpu(), time.perf_counter()
        summary = roll_in(ledger, gradebook, [course], roster=roster, batch_id="bench")
        c1, t1 = cpu(), time.perf_counter()
        files = write_exports_and_report(ledger, folder / "out", courses=[course], parallel=not args.sequential)
        c2, t2 = cpu(), time.perf_counter()
        total = t2 - t0
        assert any(p.name == "活动台账.xlsx" for p in files) and files[-1].name == "report.html"
        print(f"  roll-in {t1 - t0:.2f} s wall, {c1 - c0:.2f} s CPU ({summary.added:,} records)")
        print(f"  exports + activity tables + report {t2 - t1:.2f} s wall, {c2 - c1:.2f} s CPU ({len(files)} files, "
              f"{'one process' if args.sequential else 'two processes'})")
        print(f"  total {total:.1f} s wall, {c2 - c0:.1f} s CPU (target < 30 s): {'OK' if total < 30 else 'MISSED'}; "
              f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
