"""Pure views of the ledger: rows of the training file, the yearly hour summary, the branch
summary. No I/O here: `exports/__init__.py` reads the ledger and writes the files."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from ..model import Learner
from ..records.rules import Rules


def mask_id_number(value: str) -> str:
    """110101199001011234 → 110101********1234: region and last four stay, birth date hidden."""
    if not value:
        return ""
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


@dataclass
class LedgerData:
    """What the views need, read once from the ledger."""

    people: list[Learner]  # everyone with a record or on a roster (names for the training file)
    members: list[Learner]  # the current roster: who summaries count
    courses: dict[str, Any]  # id → row (title, organiser, institution, form, year)
    lessons: dict[tuple[str, str], Any]  # (course, lesson) → row (title, hours, pass_mark)
    records: list[Any]  # current record rows
    regraded: set[int]  # ids of current records that replaced an earlier one


def _lesson_fields(data: LedgerData, course_id: str, lesson_id: str) -> dict[str, Any]:
    course, lesson = data.courses.get(course_id), data.lessons.get((course_id, lesson_id))
    course_title = course.title if course else course_id
    lesson_title = lesson.title if lesson else lesson_id
    return {
        "course_id": course_id, "lesson_id": lesson_id, "course_title": course_title, "lesson_title": lesson_title,
        "training_name": f"{course_title}：{lesson_title}", "organiser": course.organiser if course else "",
        "institution": course.institution if course else "", "form": course.form if course else "",
    }


def record_dicts(data: LedgerData, rules: Rules) -> list[dict[str, Any]]:
    """One flat dict per current record, the fields every export and template draws from.

    Person, lesson and date fields are built once and shared: a 200,000-row ledger has
    5,000 people, 40 lessons and a few hundred dates."""
    person = {
        p.id: {"learner_id": p.id, "name": p.name, "branch": p.branch, "unit": p.unit, "position": p.position,
               "category": p.category, "rank": p.rank, "id_number": p.id_number}
        for p in data.people
    }
    lessons: dict[tuple[str, str], dict[str, Any]] = {}
    days: dict[dt.date, dict[str, Any]] = {}
    out = []
    for r in data.records:
        who = person.get(r.learner_id)
        if who is None:
            who = person[r.learner_id] = {"learner_id": r.learner_id, "name": r.learner_id, "branch": "", "unit": "",
                                          "position": "", "category": "", "rank": "", "id_number": ""}
        what = lessons.get((r.course_id, r.lesson_id))
        if what is None:
            what = lessons[(r.course_id, r.lesson_id)] = _lesson_fields(data, r.course_id, r.lesson_id)
        local = rules.local(r.completed_at)
        day = local.date() if local else None
        when = days.get(day)
        if when is None:
            when = days[day] = {"start_date": day, "end_date": day, "year": rules.year_of(day),
                                "period": f"{day:%Y.%m.%d}—{day:%Y.%m.%d}" if day else ""}
        percent = round(100.0 * r.score / r.max_score, 1) if r.max_score else 0.0
        notes = []
        if r.late:
            notes.append("逾期提交")
        if r.id in data.regraded:
            notes.append("已重新评分")
        if not r.passed:
            notes.append("未通过，需补考")
        out.append({
            **who, **what, **when,
            "hours": r.hours, "score": r.score, "max_score": r.max_score, "percent": percent,
            "result": rules.grade_label(percent, bool(r.passed)), "passed": "合格" if r.passed else "不合格",
            "completed_at": local, "notes": "；".join(notes), "batch_id": r.batch_id,
        })
    return out


TRAINING_COLUMNS = [
    ("工号", "learner_id"), ("姓名", "name"), ("身份证号", "id_number"), ("支部", "branch"), ("单位", "unit"),
    ("职务", "position"), ("培训名称", "training_name"), ("主办单位", "organiser"), ("培训机构", "institution"),
    ("起止时间", "period"), ("培训形式", "form"), ("学时", "hours"), ("成绩", "percent"), ("考核结果", "result"),
    ("是否合格", "passed"), ("完成日期", "end_date"), ("备注", "notes"),
]
TRAINING_KINDS = {"学时": "hours", "成绩": "score", "完成日期": "date"}


def training_file(rows: list[dict[str, Any]], reveal_id_numbers: bool) -> tuple[list[str], list[list[Any]]]:
    """培训档案: one row per current record, grouped by branch and learner."""
    columns = [c for c in TRAINING_COLUMNS if reveal_id_numbers or c[1] != "id_number"]
    ordered = sorted(rows, key=lambda d: (d["branch"], d["learner_id"], d["end_date"] or dt.date.min, d["course_id"], d["lesson_id"]))
    return [h for h, _ in columns], [[d[f] for _, f in columns] for d in ordered]


YEARLY_HEADER = ["工号", "姓名", "支部", "人员类别", "职级", "年度", "要求类别", "统计区间", "要求学时", "已获学时", "差额", "状态"]
YEARLY_KINDS = {"要求学时": "hours", "已获学时": "hours", "差额": "hours", "年度": "int"}


def hours_by_year(rows: list[dict[str, Any]]) -> dict[str, dict[int, float]]:
    earned: dict[str, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    for d in rows:
        if d["year"] is not None:
            earned[d["learner_id"]][d["year"]] += d["hours"]
    return earned


def yearly_status(learner: Learner, year: int, earned: dict[int, float], rules: Rules) -> dict[str, Any]:
    """Required, earned and shortfall of one learner for one counting year."""
    req = rules.requirement_for(learner)
    if req is None or req.hours <= 0:
        got = earned.get(year, 0.0)
        return {"requirement": req.name if req else "", "window": str(year), "required": 0.0, "earned": got, "shortfall": 0.0, "status": "无要求"}
    if req.once:
        got = sum(h for y, h in earned.items() if y <= year)
        window = f"截至{year}"
    else:
        first = year - req.period_years + 1
        got = sum(h for y, h in earned.items() if first <= y <= year)
        window = str(year) if req.period_years == 1 else f"{first}—{year}"
    got = round(got, 2)
    shortfall = round(max(0.0, req.hours - got), 2)
    return {"requirement": req.name, "window": window, "required": req.hours, "earned": got, "shortfall": shortfall,
            "status": "达标" if shortfall == 0 else "未达标"}


def yearly_summary(people: list[Learner], rows: list[dict[str, Any]], rules: Rules, years: list[int]) -> tuple[list[str], list[list[Any]]]:
    """年度学时汇总: every roster member for every year, including those with no hours at all."""
    earned = hours_by_year(rows)
    out = []
    for year in years:
        for p in sorted(people, key=lambda p: (p.branch, p.id)):
            s = yearly_status(p, year, earned.get(p.id, {}), rules)
            out.append([p.id, p.name, p.branch, p.category, p.rank, year, s["requirement"], s["window"], s["required"], s["earned"], s["shortfall"], s["status"]])
    return YEARLY_HEADER, out


BRANCH_HEADER = ["支部", "年度", "党员人数", "已参学人数", "全部合格人数", "完成率", "平均成绩", "学时合计", "学时未达标人数"]
BRANCH_KINDS = {"完成率": "percent", "平均成绩": "score", "学时合计": "hours", "党员人数": "int", "已参学人数": "int",
                "全部合格人数": "int", "学时未达标人数": "int", "年度": "int"}


def branch_table(summary: list[dict[str, Any]], members: list[Learner], rows: list[dict[str, Any]], rules: Rules, year: int) -> tuple[list[str], list[list[Any]]]:
    """支部汇总: ledger.branch_summary plus, for `year`, how many members are short of hours."""
    earned = hours_by_year(rows)
    short: dict[str, int] = defaultdict(int)
    for p in members:
        if yearly_status(p, year, earned.get(p.id, {}), rules)["status"] == "未达标":
            short[p.branch] += 1
    out = [[s["branch"] or "（未分配支部）", year, s["learners"], s["submitted"], s["passed"], s["completion"],
            s["mean_score"], s["hours"], short.get(s["branch"], 0)] for s in summary]
    return BRANCH_HEADER, out
