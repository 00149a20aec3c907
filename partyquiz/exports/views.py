"""Pure views of the ledger: the training file (one row per training class, lessons on their
own sheet), the yearly hour summary, the branch summary. No I/O here: `exports/__init__.py`
reads the ledger and writes the files.

Every summary draws its hours from the same rows (`record_dicts`): hours credited under the
rules, shared material credited once, a training across a year end split between the years.
So 年度学时汇总 and 支部汇总 agree for every year by construction.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from ..model import Learner
from ..records.rules import Earned, Rules

NO_BRANCH = "（未分配支部）"
ALL_COURSES = "（全部课程）"


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
    rolled_at: dict[str, dt.datetime] = field(default_factory=dict)  # batch id → when it was rolled in


def _lesson_fields(data: LedgerData, rules: Rules, course_id: str, lesson_id: str) -> dict[str, Any]:
    course, lesson = data.courses.get(course_id), data.lessons.get((course_id, lesson_id))
    course_title = course.title if course else course_id
    lesson_title = lesson.title if lesson else lesson_id
    form = course.form if course else ""
    return {
        "course_id": course_id, "lesson_id": lesson_id, "course_title": course_title, "lesson_title": lesson_title,
        "training_name": course_title, "organiser": course.organiser if course else "",
        "institution": course.institution if course else "", "form": form, "kind": rules.kind_of(form),
        "training_category": rules.training_category(course_id, form), "lessons": 1, "certificate": "",
    }


def _shared_material(data: LedgerData, rules: Rules) -> dict[int, str]:
    """Record id → the lesson it repeats, for records of `same_material` that earn nothing:
    per learner and group only the record with the most hours (the earliest on a tie) counts."""
    if not rules.same_material:
        return {}
    group_of = {member: n for n, group in enumerate(rules.same_material) for member in group}
    best: dict[tuple[str, int], Any] = {}
    for r in data.records:
        n = group_of.get((r.course_id, r.lesson_id))
        if n is None:
            continue
        key = (r.learner_id, n)
        held = best.get(key)
        if held is None or (r.hours, -(r.completed_at or dt.datetime.max).timestamp()) > (held.hours, -(held.completed_at or dt.datetime.max).timestamp()):
            best[key] = r
    out = {}
    for r in data.records:
        n = group_of.get((r.course_id, r.lesson_id))
        if n is None:
            continue
        kept = best[(r.learner_id, n)]
        if kept is not r and r.hours > 0:
            kept_course = data.courses.get(kept.course_id)
            out[r.id] = kept_course.title if kept_course else kept.course_id
    return out


def record_dicts(data: LedgerData, rules: Rules) -> list[dict[str, Any]]:
    """One flat dict per current record, the fields every export and template draws from.

    Person, lesson and date fields are built once and shared: a 200,000-row ledger has
    5,000 people, 40 lessons and a few hundred dates."""
    prefix = str(rules.training_file.get("number_prefix", ""))
    person = {
        p.id: {"learner_id": p.id, "name": p.name, "branch": p.branch, "unit": p.unit, "position": p.position,
               "category": p.category, "rank": p.rank, "id_number": p.id_number, "file_number": prefix + p.id}
        for p in data.people
    }
    repeated = _shared_material(data, rules)
    lessons: dict[tuple[str, str], dict[str, Any]] = {}
    days: dict[dt.date, dict[str, Any]] = {}
    out = []
    for r in data.records:
        who = person.get(r.learner_id)
        if who is None:
            who = person[r.learner_id] = {"learner_id": r.learner_id, "name": r.learner_id, "branch": "", "unit": "", "position": "",
                                          "category": "", "rank": "", "id_number": "", "file_number": prefix + r.learner_id}
        what = lessons.get((r.course_id, r.lesson_id))
        if what is None:
            what = lessons[(r.course_id, r.lesson_id)] = _lesson_fields(data, rules, r.course_id, r.lesson_id)
        local = rules.local(r.completed_at)
        day = local.date() if local else None
        when = days.get(day)
        if when is None:
            when = days[day] = {"start_date": day, "end_date": day, "year": rules.year_of(day),
                                "period": f"{day:%Y.%m.%d}—{day:%Y.%m.%d}" if day else ""}
        percent = round(100.0 * r.score / r.max_score, 1) if r.max_score else 0.0
        notes = []
        hours = r.hours
        if r.id in repeated:
            hours = 0.0
            notes.append(f"与《{repeated[r.id]}》内容相同，学时只计一次")
        if r.late:
            notes.append("逾期提交")
        if r.id in data.regraded:
            notes.append("已重新评分")
        if not r.passed:
            notes.append("未通过，需补考")
        out.append({
            **who, **what, **when,
            "hours": hours, "score": r.score, "max_score": r.max_score, "percent": percent,
            "result": rules.grade_label(percent, bool(r.passed)), "passed": "合格" if r.passed else "不合格",
            "completed_at": local, "notes": "；".join(notes), "batch_id": r.batch_id,
            "rolled_at": data.rolled_at.get(r.batch_id),
        })
    return out


def split_of(d: dict[str, Any], rules: Rules) -> dict[int, float]:
    """The hours of one row (a lesson or a class) per counting year."""
    if not d["hours"] or d["end_date"] is None:
        return {}
    if d["start_date"] == d["end_date"]:
        return {d["year"]: d["hours"]}
    return rules.split_hours(d["start_date"], d["end_date"], d["hours"])


def earned_by_learner(rows: list[dict[str, Any]], rules: Rules) -> dict[str, Earned]:
    """Per learner: hours and training classes per (year, kind of training)."""
    earned: dict[str, Earned] = defaultdict(Earned)
    for d in rows:
        for year, hours in split_of(d, rules).items():
            earned[d["learner_id"]].add(year, d["kind"], hours, d["course_id"])
    return earned


def hours_by_year(rows: list[dict[str, Any]], rules: Rules | None = None) -> dict[str, dict[int, float]]:
    """Per learner and year, every credited hour (all forms), split across year ends with `rules`."""
    earned: dict[str, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    for d in rows:
        parts = split_of(d, rules) if rules is not None else ({d["year"]: d["hours"]} if d["year"] is not None else {})
        for year, hours in parts.items():
            earned[d["learner_id"]][year] += hours
    return earned


# --- 培训档案: one row per training class ---------------------------------------------------------

def class_rows(rows: list[dict[str, Any]], rules: Rules) -> list[dict[str, Any]]:
    """One dict per learner, training class (course) and counting year, lessons rolled up.

    Dates run from the first to the last lesson; 成绩 is the mean of the lessons; 考核结果 is the
    lowest lesson result (one failed lesson fails the class); 证书 only when every lesson passed."""
    groups: dict[tuple[str, str, int | None], list[dict[str, Any]]] = {}
    for d in rows:
        groups.setdefault((d["learner_id"], d["course_id"], d["year"]), []).append(d)
    certificate = str(rules.training_file.get("certificate") or "")
    out = []
    for mine in groups.values():
        first = mine[0]
        days = [d["end_date"] for d in mine if d["end_date"] is not None]
        start, end = (min(days), max(days)) if days else (None, None)
        passed = all(d["passed"] == "合格" for d in mine)
        percent = round(sum(d["percent"] for d in mine) / len(mine), 1)
        hours = round(sum(d["hours"] for d in mine), 2)
        failed = [d["lesson_title"] for d in mine if d["passed"] != "合格"]
        notes = [f"{len(mine)} 个课时"]
        if failed:
            notes.append("未通过：" + "、".join(failed) + "，需补考")
        notes.extend(sorted({n for d in mine for n in (d.get("notes") or "").split("；") if n and not n.startswith("未通过")}))
        completed = [d["completed_at"] for d in mine if d["completed_at"] is not None]
        out.append({
            **{k: first.get(k, "") for k in ("learner_id", "name", "branch", "unit", "position", "category", "rank", "id_number", "file_number",
                                             "course_id", "course_title", "training_name", "organiser", "institution", "form", "kind",
                                             "training_category", "year", "batch_id")},
            "lesson_id": "", "lesson_title": f"{len(mine)} 个课时", "lessons": len(mine),
            "start_date": start, "end_date": end, "period": f"{start:%Y.%m.%d}—{end:%Y.%m.%d}" if start else "",
            "hours": hours, "score": round(sum(d["score"] for d in mine), 2), "max_score": round(sum(d["max_score"] for d in mine), 2),
            "percent": percent, "result": rules.grade_label(percent, passed), "passed": "合格" if passed else "不合格",
            "certificate": certificate if passed and certificate else "", "completed_at": max(completed) if completed else None,
            "notes": "；".join(notes), "rolled_at": max((d["rolled_at"] for d in mine if d.get("rolled_at")), default=None),
        })
    return out


def file_dates(rows: list[dict[str, Any]]) -> dict[str, tuple[Any, Any]]:
    """GB/T 38860 建档时间 and 更新时间 per learner: the first record's completion and the
    latest roll-in that changed the file (its latest completion when the batch time is unknown)."""
    out: dict[str, tuple[Any, Any]] = {}
    for d in rows:
        when = d.get("completed_at")
        updated = d.get("rolled_at") or when
        held = out.get(d["learner_id"])
        if held is None:
            out[d["learner_id"]] = (when, updated)
        else:
            first = min((t for t in (held[0], when) if t is not None), default=None)
            last = max((t for t in (held[1], updated) if t is not None), default=None)
            out[d["learner_id"]] = (first, last)
    return out


TRAINING_COLUMNS = [
    ("档案编号", "file_number"), ("工号", "learner_id"), ("姓名", "name"), ("支部", "branch"), ("单位", "unit"),
    ("职务", "position"), ("职级", "rank"), ("人员类别", "category"), ("培训名称", "training_name"),
    ("培训类别", "training_category"), ("主办单位", "organiser"), ("培训机构", "institution"), ("起止时间", "period"),
    ("培训形式", "form"), ("课时数", "lessons"), ("学时", "hours"), ("成绩", "percent"), ("考核结果", "result"),
    ("是否合格", "passed"), ("证书", "certificate"), ("完成日期", "end_date"), ("备注", "notes"),
    ("建档时间", "created"), ("更新时间", "updated"),
]
TRAINING_KINDS = {"学时": "hours", "成绩": "score", "完成日期": "date", "课时数": "int", "建档时间": "date", "更新时间": "date"}
TRAINING_TEXT = {"工号", "档案编号"}


def _date(value: Any) -> Any:
    return value.date() if isinstance(value, dt.datetime) else value


def _order(d: dict[str, Any]) -> tuple:
    return (d["branch"], d["learner_id"], d["end_date"] or dt.date.min, d["course_id"], d.get("lesson_id", ""))


def training_file(classes: list[dict[str, Any]], dates: dict[str, tuple[Any, Any]] | None = None) -> tuple[list[str], list[list[Any]]]:
    """培训档案: one row per learner and training class. ID numbers are never in it: the
    organisation department's import file (the template CSV) is the only place they may go."""
    dates = dates if dates is not None else file_dates(classes)
    body = []
    for d in sorted(classes, key=_order):
        created, updated = dates.get(d["learner_id"], (None, None))
        row = {**d, "created": _date(created), "updated": _date(updated)}
        body.append([row[f] for _, f in TRAINING_COLUMNS])
    return [h for h, _ in TRAINING_COLUMNS], body


LESSON_COLUMNS = [
    ("档案编号", "file_number"), ("工号", "learner_id"), ("姓名", "name"), ("支部", "branch"), ("培训名称", "training_name"),
    ("课时名称", "lesson_title"), ("培训形式", "form"), ("完成日期", "end_date"), ("学时", "hours"), ("成绩", "percent"),
    ("考核结果", "result"), ("是否合格", "passed"), ("备注", "notes"),
]
LESSON_KINDS = {"学时": "hours", "成绩": "score", "完成日期": "date"}


def lesson_detail(rows: list[dict[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    """课时明细: one row per learner and lesson, the detail behind each training class."""
    return [h for h, _ in LESSON_COLUMNS], [[d[f] for _, f in LESSON_COLUMNS] for d in sorted(rows, key=_order)]


# --- 年度学时汇总 ----------------------------------------------------------------------------------

YEARLY_HEADER = ["工号", "姓名", "支部", "人员类别", "职级", "年度", "要求类别", "统计区间", "要求学时", "计入要求学时",
                 "差额", "状态", "说明", "本年度学时"]
YEARLY_KINDS = {"要求学时": "hours", "计入要求学时": "hours", "差额": "hours", "本年度学时": "hours", "年度": "int"}


def yearly_status(learner: Learner, year: int, earned: Earned, rules: Rules) -> dict[str, Any]:
    """Required, counted and shortfall of one learner for one counting year (rules.assess)."""
    return rules.assess(learner, year, earned)


def yearly_summary(people: list[Learner], rows: list[dict[str, Any]], rules: Rules, years: list[int]) -> tuple[list[str], list[list[Any]]]:
    """年度学时汇总: every roster member for every year, including those with no hours at all.
    本年度学时 is every hour credited in that year (all forms): the branch summary's 学时合计 sums it."""
    earned = earned_by_learner(rows, rules)
    out = []
    for year in years:
        for p in sorted(people, key=lambda p: (p.branch, p.id)):
            mine = earned.get(p.id) or Earned()
            s = rules.assess(p, year, mine)
            out.append([p.id, p.name, p.branch, p.category, p.rank, year, s["requirement"], s["window"], s["required"], s["earned"],
                        s["shortfall"], s["status"], s["missing"], round(mine.total(year, year, None), 2)])
    return YEARLY_HEADER, out


# --- 支部汇总 --------------------------------------------------------------------------------------

BRANCH_HEADER = ["支部", "年度", "课程（班次）", "在册人数", "其中党员", "已参学人数", "全部合格人数", "完成率（%）", "平均成绩",
                 "学时合计", "学时未达标人数"]
BRANCH_KINDS = {"完成率（%）": "score", "平均成绩": "score", "学时合计": "hours", "在册人数": "int", "其中党员": "int",
                "已参学人数": "int", "全部合格人数": "int", "学时未达标人数": "int", "年度": "int"}


def branch_rows(members: list[Learner], rows: list[dict[str, Any]], rules: Rules, years: list[int],
                course_titles: dict[str, str] | None = None, course_lessons: dict[str, set[str]] | None = None) -> list[dict[str, Any]]:
    """Per branch and year: a row for all courses, then one per course the branch took that year.

    A course is assigned to a branch in a year when any of its members has a record of it
    that year. 全部合格人数 (all courses) counts members who, by the end of that year, passed
    every lesson (`course_lessons`; else every lesson anyone took) of every course assigned to
    their branch that year; per course, of that course. 完成率（%）= 全部合格人数 / 在册人数 × 100.
    党员 counts `training_file.party_member_categories` (not 发展对象, 入党积极分子, 群众)."""
    course_titles = course_titles or {}
    course_lessons = course_lessons or {}
    party = rules.party_member_categories
    earned = earned_by_learner(rows, rules)
    branch_of = {p.id: p.branch for p in members}
    people_in: dict[str, list[Learner]] = defaultdict(list)
    for p in members:
        people_in[p.branch].append(p)
    # course → its lessons; (learner, course) → (lesson, year passed); rows per branch and year
    given: dict[str, set[str]] = defaultdict(set, {c: set(ls) for c, ls in course_lessons.items()})
    passed: dict[tuple[str, str], list[tuple[str, int]]] = defaultdict(list)
    by_branch_year: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
    for d in rows:
        year = d["year"]
        if year is None:
            continue
        if d["course_id"] not in course_lessons:
            given[d["course_id"]].add(d["lesson_id"])
        if d["passed"] == "合格":
            passed[(d["learner_id"], d["course_id"])].append((d["lesson_id"], year))
        if d["learner_id"] in branch_of:
            by_branch_year[(branch_of[d["learner_id"]], year)].append(d)
    out = []
    for branch in sorted(people_in):
        people = people_in[branch]
        n, n_party = len(people), sum(1 for p in people if p.category in party)
        for year in years:
            mine = by_branch_year.get((branch, year), [])
            courses = sorted({d["course_id"] for d in mine})
            short = sum(1 for p in people if rules.assess(p, year, earned.get(p.id) or Earned())["status"] == "未达标")
            hours = round(sum(earned[p.id].total(year, year, None) for p in people if p.id in earned), 2)

            def all_passed(p: Learner, of: list[str]) -> bool:
                return bool(of) and all(given[c] <= {lesson for lesson, y in passed.get((p.id, c), ()) if y <= year} for c in of)

            def stats(selected: list[dict[str, Any]], of: list[str], title: str, row_hours: float, row_short: Any) -> dict[str, Any]:
                ok = sum(1 for p in people if all_passed(p, of))
                percents = [d["percent"] for d in selected if not d.get("offline")]  # offline sessions have no score
                return {"branch": branch or NO_BRANCH, "year": year, "course": title, "learners": n, "party_members": n_party,
                        "submitted": len({d["learner_id"] for d in selected}), "passed": ok,
                        "completion": round(100.0 * ok / n, 1) if n else 0.0,
                        "mean_score": round(sum(percents) / len(percents), 2) if percents else None,
                        "hours": row_hours, "short": row_short}

            out.append(stats(mine, courses, ALL_COURSES, hours, short))
            for c in courses:
                selected = [d for d in mine if d["course_id"] == c]
                course_hours = round(sum(h for d in selected for y, h in split_of(d, rules).items() if y == year), 2)
                out.append(stats(selected, [c], course_titles.get(c, c), course_hours, None))
    return out


def branch_table(members: list[Learner], rows: list[dict[str, Any]], rules: Rules, years: list[int],
                 course_titles: dict[str, str] | None = None, course_lessons: dict[str, set[str]] | None = None) -> tuple[list[str], list[list[Any]]]:
    """支部汇总 as a table (see branch_rows)."""
    keys = ("branch", "year", "course", "learners", "party_members", "submitted", "passed", "completion", "mean_score", "hours", "short")
    return BRANCH_HEADER, [[r[k] for k in keys] for r in branch_rows(members, rows, rules, years, course_titles, course_lessons)]


def course_lessons_of(data: LedgerData) -> dict[str, set[str]]:
    """Every lesson of every course the ledger knows."""
    out: dict[str, set[str]] = defaultdict(set)
    for course_id, lesson_id in data.lessons:
        out[course_id].add(lesson_id)
    return dict(out)
