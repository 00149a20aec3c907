"""The activity tables as xlsx + CSV: 活动台账, 出勤明细, 三会一课, 出勤率, 量化考评, 积分.

The offline hours themselves are in the main exports (培训档案, 年度学时汇总, 支部汇总); these are
the registers a branch keeps beside them. Pure row builders; `export_activities` writes files.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..tables import write_csv, write_table
from .activities import STATUS_LABEL, Snapshot, load_activity_rules, read_snapshot
from .evaluation import INDICATOR_LABEL, INDICATORS, branch_ranking, learning_points, yearly_evaluation
from .register import branch_register

SESSIONS_HEADER = ["编号", "日期", "结束日期", "支部", "活动类型", "名称", "组织者", "形式", "时长（天）", "时长（小时）", "学时",
                   "出席", "请假", "缺席", "来源"]
ATTENDANCE_HEADER = ["日期", "支部", "活动类型", "名称", "工号", "姓名", "出勤", "学时", "备注"]
REGISTER_HEADER = ["支部", "会议", "期间", "应开次数", "已开次数", "状态"]
RATES_HEADER = ["工号", "姓名", "支部", "党内职务", "应出席", "出席", "请假", "缺席", "出勤率"]
EVALUATION_HEADER = ["工号", "姓名", "支部", "年度", *[INDICATOR_LABEL[k] for k in INDICATORS], "综合得分", "等次", "学风", "纪律", "评语"]
POINTS_HEADER = ["工号", "姓名", "支部", "积分"]
RANKING_HEADER = ["名次", "支部", "人数", "积分合计", "人均积分"]
NUMBERS = {"学时": "hours", "时长（天）": "hours", "时长（小时）": "hours", "出勤率": "percent", "综合得分": "score",
           "积分": "hours", "积分合计": "hours", "人均积分": "hours", "年度": "int", "名次": "int",
           **{INDICATOR_LABEL[k]: "score" for k in INDICATORS}}


def session_tables(ledger_url: str, year: int, rules_path: Path | str | None = None, *,
                   snapshot: Snapshot | None = None) -> dict[str, tuple[list[str], list[list[Any]]]]:
    rules = load_activity_rules(rules_path)
    data = snapshot or read_snapshot(ledger_url)
    sessions, attendance = data.sessions, data.attendance
    names = {r["id"]: r["name"] for r in data.learners}
    sessions = [s for s in sessions if s.date.year == year]
    by_id = {s.id: s for s in sessions}
    counts: dict[str, dict[str, int]] = {s.id: {k: 0 for k in STATUS_LABEL} for s in sessions}
    hours = {s.id: rules.hours_for(s) for s in sessions}
    present: dict[str, list[Any]] = {s.id: [] for s in sessions}  # attendance grouped once, then sorted per session
    for a in attendance:
        if a.session_id in present:
            present[a.session_id].append(a)
    detail = []
    for s in sorted(sessions, key=lambda s: (s.date, s.branch, s.title, s.id)):
        mine, tally, credited = present[s.id], counts[s.id], hours[s.id]
        for a in sorted(mine, key=lambda a: a.learner_id):
            tally[a.status] += 1
            detail.append([s.date, s.branch, s.kind, s.title, a.learner_id, names.get(a.learner_id, a.learner_id), STATUS_LABEL[a.status],
                           credited if a.status == "attended" else 0.0, a.note])
    ledger_rows = [[s.id, s.date, s.end_date, s.branch, s.kind, s.title, s.organiser, s.form, s.days, s.clock_hours, rules.hours_for(s),
                    counts[s.id]["attended"], counts[s.id]["leave"], counts[s.id]["absent"], s.source] for s in sessions]
    return {"活动台账": (SESSIONS_HEADER, ledger_rows), "出勤明细": (ATTENDANCE_HEADER, detail)}


def register_tables(register: dict[str, Any]) -> dict[str, tuple[list[str], list[list[Any]]]]:
    meetings = [[r["branch"], r["kind"], r["period"], r["required"], r["held"],
                 "进行中" if r["in_progress"] else ("未达标" if r["behind"] else "达标")] for r in register["meetings"]]
    rates = [[p["learner_id"], p["name"], p["branch"], p["role"], p["expected"], p["attended"], p["leave"], p["absent"], p["rate"]]
             for p in register["people"]]
    return {"三会一课": (REGISTER_HEADER, meetings), "出勤率": (RATES_HEADER, rates)}


def evaluation_table(rows: list[dict[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    return EVALUATION_HEADER, [[r["learner_id"], r["name"], r["branch"], r["year"], *[r["indicators"][k] for k in INDICATORS],
                                r["score"], r["grade"], r["study_style"], r["discipline"], r["comment"]] for r in rows]


def points_tables(points: list[dict[str, Any]]) -> dict[str, tuple[list[str], list[list[Any]]]]:
    people = [[p["learner_id"], p["name"], p["branch"], p["points"]] for p in sorted(points, key=lambda p: (-p["points"], p["learner_id"]))
              if p["on_roster"]]
    ranking = [[r["rank"], r["branch"], r["members"], r["total"], r["mean"]] for r in branch_ranking(points)]
    return {"积分": (POINTS_HEADER, people), "支部积分排名": (RANKING_HEADER, ranking)}


@dataclass
class ActivityFigures:
    """The year's register, evaluation and points, computed once for the tables and the report."""

    year: int
    register: dict[str, Any]
    evaluation: list[dict[str, Any]]
    points: list[dict[str, Any]]


def activity_figures(ledger_url: str, year: int, *, rules_path: Path | str | None = None, snapshot: Snapshot | None = None,
                     evaluation: list[dict[str, Any]] | None = None) -> ActivityFigures:
    """`evaluation`: the year's yearly_evaluation already computed (publish shares it with the 培训档案)."""
    data = snapshot or read_snapshot(ledger_url)
    if evaluation is None:
        evaluation = yearly_evaluation(ledger_url, year, rules_path=rules_path, snapshot=data)
    return ActivityFigures(year, branch_register(ledger_url, year, rules_path=rules_path, snapshot=data), evaluation,
                           learning_points(ledger_url, year, rules_path=rules_path, snapshot=data))


def export_activities(ledger_url: str, out_dir: Path | str, year: int, *, rules_path: Path | str | None = None,
                      snapshot: Snapshot | None = None, figures: ActivityFigures | None = None) -> list[Path]:
    """Write every activity table of `year` into `out_dir` (xlsx + CSV with BOM); returns the files.
    `snapshot` / `figures`: the ledger already read and the figures already computed (publish
    shares them with the report)."""
    out = Path(out_dir)
    data = snapshot or read_snapshot(ledger_url)  # read once, shared by every table
    figures = figures if figures is not None and figures.year == year else activity_figures(ledger_url, year, rules_path=rules_path, snapshot=data)
    tables = session_tables(ledger_url, year, rules_path, snapshot=data)
    tables |= register_tables(figures.register)
    tables["量化考评"] = evaluation_table(figures.evaluation)
    tables |= points_tables(figures.points)
    written = []
    for name, (header, rows) in tables.items():
        kinds = {h: NUMBERS[h] for h in header if h in NUMBERS}
        written.append(write_table(out / f"{name}.xlsx", name, header, rows, kinds=kinds, text_columns={"工号", "编号"}))
        written.append(write_csv(out / f"{name}.csv", header, rows))
    return written
