"""Roll-in + all exports with a year of offline activities (issue 16).

5,000 people in 8 branches; each branch holds 40 sessions in the year (三会一课, 集体学习, 主题党日,
党课, a 集中培训) that its members attend (≈ 90 % present, the rest on leave or absent): ≈ 200,000
attendance rows; plus 40 quiz results a person (200,000 records) in the gradebook.
Timed: roll-in, the main exports (培训档案 … with offline hours), the activity tables
(活动台账, 出勤明细, 三会一课, 出勤率, 量化考评, 积分). Target: all of it under 30 s.

Run: .venv/bin/python benchmarks/bench_activities.py [--people 5000]
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

sys.path.insert(0, str(Path(__file__).parent))
from bench_records import synthetic  # noqa: E402

from partyquiz.exports import export_all  # noqa: E402
from partyquiz.records.activities import Attendance, Session, store_sessions  # noqa: E402
from partyquiz.records.activity_exports import export_activities  # noqa: E402
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=5000)
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
        c0, t0 = time.process_time(), time.perf_counter()
        summary = roll_in(ledger, gradebook, [course], roster=roster, batch_id="bench")
        t1 = time.perf_counter()
        files = export_all(ledger, folder / "out")
        t2 = time.perf_counter()
        tables = export_activities(ledger, folder / "activities", 2026)
        c3, t3 = time.process_time(), time.perf_counter()
        total = t3 - t0
        print(f"  roll-in {t1 - t0:.2f} s ({summary.added:,} records); main exports with offline hours {t2 - t1:.2f} s "
              f"({len(files)} files); activity tables {t3 - t2:.2f} s ({len(tables)} files)")
        print(f"  total {total:.1f} s wall, {c3 - c0:.1f} s CPU (target < 30 s): {'OK' if total < 30 else 'MISSED'}; "
              f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
