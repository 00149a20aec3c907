"""A simulated year of branch activities for `make demo` and the benchmarks: 三会一课, 集体学习,
主题党日, a 集中培训, with attendance (most present, some on leave or absent), and the cadres'
网络专题班 (online self-study from a completion list)."""
from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import sqlalchemy as sa

from ..model import Learner
from . import ledger as L
from .activities import Attendance, SheetResult, Session, import_attendance, store_sessions

# the cadres' online class of the year (网络专题班, 干部网络学院): its completion list gives 50 学时 of
# online self-study, the cadres' yearly online requirement; about four in five complete it
ONLINE_CLASS_HOURS = 50.0
CADRES = "干部"
# the year's 集中培训: 3 days (8 学时 a day), the 发展对象's "≥ 3 days or 24 学时" in one class
TRAINING_DAYS = 3
# one branch's year: (kind, months, clock hours; None = the length is in days)
YEAR_PLAN = [("支部党员大会", (3, 6, 9, 12), 2.0), ("支委会", tuple(range(1, 13)), 1.0), ("党小组会", tuple(range(1, 13)), 1.0),
             ("集体学习", tuple(range(1, 13)), 2.0), ("主题党日", tuple(range(1, 13)), 3.0), ("党课", (5, 11), 2.0),
             ("站点集中收看", (7,), 2.0), ("集中培训", (9,), None), ("网络专题班", (4,), ONLINE_CLASS_HOURS)]
COMMITTEE = ("支部书记", "支部委员", "支部委员")


def simulated_year(roster: list[Learner], year: int, seed: int = 2026, *, skip: float = 0.08) -> list[tuple[Session, list[Attendance]]]:
    """Every branch holds its 三会一课 on time except a few skipped meetings (`skip`), so the
    register has branches that fall behind; attendance ≈ 88 % present, 7 % on leave, 5 % absent."""
    rng = random.Random(seed)
    branches: dict[str, list[Learner]] = {}
    for person in roster:
        branches.setdefault(person.branch, []).append(person)
    out = []
    for branch, members in sorted(branches.items()):
        committee = {p.id for p in members[:len(COMMITTEE)]}
        for kind, months, hours in YEAR_PLAN:
            for month in months:
                if kind == "网络专题班":
                    out.extend(_online_class(branch, members, year, month, hours, rng))
                    continue
                if kind not in ("集中培训",) and rng.random() < skip:
                    continue
                day = dt.date(year, month, rng.randint(5, 25))
                session = Session(kind=kind, title=f"{month}月{kind}", date=day, branch=branch, organiser=f"{branch}支委会",
                                  clock_hours=hours, days=None if hours else TRAINING_DAYS,
                                  end_date=day + dt.timedelta(days=TRAINING_DAYS - 1) if hours is None else None,
                                  form="站点集中收看" if kind == "站点集中收看" else "现场")
                expected = [p for p in members if kind != "支委会" or p.id in committee]
                present = [Attendance(learner_id=p.id, status=rng.choices(("attended", "leave", "absent"), (88, 7, 5))[0]) for p in expected]
                out.append((session, present))
    return out


def _online_class(branch: str, members: list[Learner], year: int, month: int, hours: float,
                  rng: random.Random) -> list[tuple[Session, list[Attendance]]]:
    """The branch's cadres in the year's 网络专题班 (three months online): completed or not."""
    cadres = [p for p in members if p.category == CADRES]
    if not cadres:
        return []
    start = dt.date(year, month, 1)
    session = Session(kind="网络专题班", title=f"{year}年度干部网络专题班（{hours:g}学时）", date=start,
                      end_date=dt.date(year, month + 2, 28), clock_hours=hours, branch=branch,
                      organiser="示例单位党委组织部", form="网络")
    return [(session, [Attendance(learner_id=p.id, status="attended" if rng.random() < 0.8 else "absent") for p in cadres])]


def mark_committee(ledger_url: str, roster: list[Learner]) -> None:
    """The first members of each simulated branch sit on its committee (书记, 委员)."""
    seen: dict[str, int] = {}
    with L.engine_for(ledger_url) as engine, engine.begin() as conn:
        for person in roster:
            n = seen.get(person.branch, 0)
            seen[person.branch] = n + 1
            if n < len(COMMITTEE):
                conn.execute(sa.update(L.learners).where(L.learners.c.id == person.id).values(role=COMMITTEE[n]))


def write_sign_in_sheet(path: Path, session: Session, attendance: list[Attendance], roster: list[Learner]) -> Path:
    """A 签到表 as branches keep it (title line, 名称：值 lines, 序号 工号 姓名 签到 备注)."""
    from openpyxl import Workbook

    names = {p.id: p.name for p in roster}
    words = {"attended": "出席", "leave": "请假", "absent": "缺席"}
    wb = Workbook()
    ws = wb.active
    ws.append([f"{session.branch}{session.title}签到表"])
    length = f"{session.days:g}天" if session.days else f"{session.clock_hours:g}小时"
    for key, value in (("会议名称", session.title), ("活动类型", session.kind), ("日期", session.date.isoformat()), ("时长", length),
                       ("组织者", session.organiser), ("支部", session.branch), ("形式", session.form)):
        ws.append([f"{key}：{value}"])
    ws.append(["序号", "工号", "姓名", "签到", "备注"])
    for n, a in enumerate(attendance, start=1):
        ws.append([n, a.learner_id, names.get(a.learner_id, ""), words[a.status], ""])
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def simulate_activities(ledger_url: str, roster: list[Learner], year: int, sheets: Path, seed: int = 2026) -> list[SheetResult]:
    """Store a simulated year: the first branch's 党课 and 集中培训 come in as real 签到表 files
    (written to `sheets`, then imported); everything else is stored in one transaction."""
    mark_committee(ledger_url, roster)
    plan = simulated_year(roster, year, seed)
    first = min(p.branch for p in roster)
    as_files = [(s, a) for s, a in plan if s.branch == first and s.kind in ("党课", "集中培训")]
    store_sessions(ledger_url, [(s, a) for s, a in plan if (s, a) not in as_files])
    files = [write_sign_in_sheet(sheets / f"{s.branch}-{s.date:%Y%m%d}-{s.kind}.xlsx", s, a, roster) for s, a in as_files]
    return import_attendance(ledger_url, files)
