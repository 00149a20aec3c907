"""Pure views of the ledger: the training file (one row per training class, lessons on their
own sheet, the year's evaluation on a third), the yearly hour summary, the branch summary. No I/O
here: `exports/__init__.py` reads the ledger and writes the files, `report` draws the same views.

Every summary draws its hours from the same rows: `record_dicts` (online records) plus the
attended offline activities (`records.activities.offline_dicts`). Each row holds the hours of ONE
counting year (`year`): a producer splits a training across a year end before its rows get here
(offline_dicts does), so no view splits again. One `Views` object per export run computes what
several tables share (hours per learner, each requirement's assessment, each course result) once,
so 年度学时汇总, 支部汇总 and the report agree for every year by construction.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from ..model import Course, CourseResult, Learner
from ..records.course_result import course_result
from ..records.rules import Earned, Rules

NO_BRANCH = "（未分配支部）"
ALL_COURSES = "（全部课程）"
PASSED, FAILED = "合格", "不合格"


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
    lessons: dict[tuple[str, str], Any]  # (course, lesson) → row (title, hours, pass_mark, kind, weight)
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
    per learner and group only the record with the most hours (the earliest on a tie) counts
    (`Rules.repeated`); the value is the title of the course that counts."""
    out = {}
    for record_id, kept in rules.repeated(data.records).items():
        kept_course = data.courses.get(kept.course_id)
        out[record_id] = kept_course.title if kept_course else kept.course_id
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
    local_time = rules.local  # the offset once per UTC day
    lessons: dict[tuple[str, str], dict[str, Any]] = {}
    days: dict[dt.date, dict[str, Any]] = {}
    labels: dict[tuple[float, bool], str] = {}  # a few hundred (percent, passed) pairs among 200,000 records
    regraded, rolled_at = data.regraded, data.rolled_at
    out = []
    for r in data.records:
        who = person.get(r.learner_id)
        if who is None:
            who = person[r.learner_id] = {"learner_id": r.learner_id, "name": r.learner_id, "branch": "", "unit": "", "position": "",
                                          "category": "", "rank": "", "id_number": "", "file_number": prefix + r.learner_id}
        what = lessons.get((r.course_id, r.lesson_id))
        if what is None:
            what = lessons[(r.course_id, r.lesson_id)] = _lesson_fields(data, rules, r.course_id, r.lesson_id)
        local = local_time(r.completed_at)
        day = local.date() if local else None
        when = days.get(day)
        if when is None:
            when = days[day] = {"start_date": day, "end_date": day, "year": rules.year_of(day),
                                "period": f"{day:%Y.%m.%d}—{day:%Y.%m.%d}" if day else ""}
        percent = round(100.0 * r.score / r.max_score, 1) if r.max_score else 0.0
        passed = bool(r.passed)
        result = labels.get((percent, passed))
        if result is None:
            result = labels[(percent, passed)] = rules.grade_label(percent, passed)
        hours, notes = r.hours, ""
        if r.id in repeated or r.late or r.id in regraded or not passed:
            hours, notes = _notes(r, repeated, regraded)
        out.append({
            **who, **what, **when,
            "hours": hours, "score": r.score, "max_score": r.max_score, "percent": percent,
            "result": result, "passed": PASSED if passed else FAILED,
            "completed_at": local, "notes": notes, "batch_id": r.batch_id, "rolled_at": rolled_at.get(r.batch_id),
        })
    return out


def _notes(r: Any, repeated: dict[int, str], regraded: set[int]) -> tuple[float, str]:
    """(hours, 备注) of a record that is not simply passed on time: the same material credited
    elsewhere (0 学时), late, regraded, failed."""
    notes, hours = [], r.hours
    if r.id in repeated:
        hours = 0.0
        notes.append(f"与《{repeated[r.id]}》内容相同，学时只计一次")
    if r.late:
        notes.append("逾期提交")
    if r.id in regraded:
        notes.append("已重新评分")
    if not r.passed:
        notes.append("未通过，需补考")
    return hours, "；".join(notes)


def class_activities(rules: Rules) -> set[str]:
    """Offline activity kinds that are training classes (rules: training_file.class_activities):
    each session is its own row in the 培训档案 and awards the certificate to those who attended.
    Meetings (三会一课, 主题党日 …) are rolled up per kind and year and award nothing."""
    return {str(k) for k in rules.training_file.get("class_activities") or []}


def training_of(d: dict[str, Any], classes: set[str]) -> str:
    """The training class a row belongs to: its course, or its own session for a class activity."""
    if d.get("offline") and d["course_title"] in classes:
        return f"{d['course_id']}/{d['lesson_id']}"
    return d["course_id"]


def earned_by_learner(rows: list[dict[str, Any]], rules: Rules) -> dict[str, Earned]:
    """Per learner: hours and training classes per (year, kind of training). Each row already
    holds one year's hours (see the module docstring): nothing is split here."""
    classes = class_activities(rules)
    dates = rules.counts_from_joining  # the dated list of 200,000 rows only where a requirement reads it
    earned: dict[str, Earned] = defaultdict(lambda: Earned(keep_dates=dates))
    for d in rows:
        if d["year"] is not None:
            earned[d["learner_id"]].add(d["year"], d["kind"], d["hours"], training_of(d, classes), on=d.get("end_date"))
    return earned


# --- course results (course.yml `result`) ----------------------------------------------------------

def course_shapes(data: LedgerData, courses: list[Course] | None = None) -> dict[str, Any]:
    """Course id → what `records.course_result.course_result` needs (lessons with kind and weight,
    the result rule, the pass mark). A course given here is used as it is; otherwise the ledger's
    lessons (kind and weight are stored at roll-in) with the default rule of course.yml, and the
    pass mark its lessons share (the course default when they differ)."""
    by_course: dict[str, list[Any]] = defaultdict(list)
    for (course_id, lesson_id), row in sorted(data.lessons.items()):
        by_course[course_id].append(SimpleNamespace(id=lesson_id, title=row.title, kind=getattr(row, "kind", None) or "lesson",
                                                    weight=getattr(row, "weight", None), pass_mark=row.pass_mark))
    out: dict[str, Any] = {}
    for course_id, lessons in by_course.items():
        marks = {l.pass_mark for l in lessons if l.kind == "lesson"}
        out[course_id] = default_shape(course_id, lessons, marks.pop() if len(marks) == 1 else None)
    for course in courses or []:
        out[course.id] = course
    return out


def default_shape(course_id: str, lessons: list[Any], pass_mark: float | None = None) -> Any:
    """A course known only from the ledger: its lessons, course.yml's default result rule and
    pass mark (unless its lessons share one)."""
    mark = pass_mark if pass_mark is not None else Course.model_fields["pass_mark"].default
    return SimpleNamespace(id=course_id, lessons=lessons, result=CourseResult(), pass_mark=mark)


class CourseResults:
    """The course result of a learner in a course by the end of a counting year: the course.yml
    rule (weights, stage tests) over their online records of the course completed by then; a
    lesson not yet taken counts 0 and not passed, as the rule says."""

    def __init__(self, rows: list[dict[str, Any]], shapes: dict[str, Any]):
        self.shapes = dict(shapes)
        self.taken: dict[tuple[str, str], list[tuple[int, str, float, bool]]] = defaultdict(list)
        for d in rows:
            if not d.get("offline") and d["year"] is not None:
                self.taken[(d["learner_id"], d["course_id"])].append((d["year"], d["lesson_id"], d["percent"], d["passed"] == PASSED))
        for (_, course_id), taken in self.taken.items():  # a course the ledger has no lessons of: the lessons taken
            if course_id not in self.shapes:
                self.shapes[course_id] = default_shape(
                    course_id, [SimpleNamespace(id=lesson, title=lesson, kind="lesson", weight=None) for lesson in sorted({t[1] for t in taken})])
        self._cache: dict[tuple[str, str, int], dict[str, Any] | None] = {}

    def of(self, learner_id: str, course_id: str, year: int) -> dict[str, Any] | None:
        """course_result(…) plus `missing` (lessons with no record yet); None when nothing taken."""
        key = (learner_id, course_id, year)
        if key in self._cache:
            return self._cache[key]
        mine = {lesson: (percent, passed) for y, lesson, percent, passed in self.taken.get((learner_id, course_id), ()) if y <= year}
        out = None
        if mine:
            shape = self.shapes[course_id]
            out = course_result(shape, mine)
            out["missing"] = [l.title for l in shape.lessons if l.id not in mine]
            out["failed"] = [l.title for l in shape.lessons if l.id in mine and not mine[l.id][1]]
        self._cache[key] = out
        return out

    def passed(self, learner_id: str, course_id: str, year: int) -> bool:
        result = self.of(learner_id, course_id, year)
        return bool(result and result["passed"])


class Views:
    """What every table of one export run shares, computed once: the rows (online + offline, all
    years), hours per learner, each member's assessment per year, each course result."""

    def __init__(self, rules: Rules, members: list[Learner], rows: list[dict[str, Any]], shapes: dict[str, Any] | None = None,
                 course_titles: dict[str, str] | None = None):
        self.rules, self.members, self.rows = rules, members, rows
        self.course_titles = course_titles or {}
        self.earned = earned_by_learner(rows, rules)
        self.results = CourseResults(rows, shapes or {})
        self._assessed: dict[tuple[str, int], dict[str, Any]] = {}
        found = sorted({d["year"] for d in rows if d["year"] is not None})
        self.years: list[int] = found or [dt.date.today().year]  # every counting year with a record

    def assess(self, person: Learner, year: int) -> dict[str, Any]:
        key = (person.id, year)
        out = self._assessed.get(key)
        if out is None:
            out = self._assessed[key] = self.rules.assess(person, year, self.earned.get(person.id) or Earned())
        return out

    def hours_in(self, learner_id: str, year: int) -> float:
        earned = self.earned.get(learner_id)
        return round(earned.total(year, year, None), 2) if earned else 0.0


# --- 培训档案: one row per training class ---------------------------------------------------------

CLASS_FIELDS = ("learner_id", "name", "branch", "unit", "position", "category", "rank", "id_number", "file_number", "course_id",
                "course_title", "training_name", "organiser", "institution", "form", "kind", "training_category", "year", "batch_id")


def class_rows(rows: list[dict[str, Any]], rules: Rules, results: CourseResults | None = None) -> list[dict[str, Any]]:
    """One dict per learner, training class and counting year, lessons rolled up.

    A course is a class: 成绩, 考核结果 and 是否合格 follow the course.yml rule (`results`: lesson
    and stage-test weights, over the learner's records of the course by the end of that year), 证书
    when it is passed. Offline activities: a class activity (training_file.class_activities) is a
    class per session, certificate on attendance; other kinds are rolled up per kind and year with
    no certificate. Dates run from the first day to the last."""
    results = results if results is not None else CourseResults(rows, {})
    classes = class_activities(rules)
    certificate = str(rules.training_file.get("certificate") or "")
    groups: dict[tuple[str, str, int | None], list[dict[str, Any]]] = {}
    for d in rows:
        groups.setdefault((d["learner_id"], training_of(d, classes), d["year"]), []).append(d)
    out = []
    for (learner_id, training, year), mine in groups.items():
        first = mine[0]
        start = min((d["start_date"] for d in mine if d["start_date"] is not None), default=None)
        end = max((d["end_date"] for d in mine if d["end_date"] is not None), default=None)
        row = {k: first.get(k, "") for k in CLASS_FIELDS}
        row.update({"lesson_id": "", "lessons": len(mine), "lesson_title": f"{len(mine)} 个课时", "start_date": start, "end_date": end,
                    "period": f"{start:%Y.%m.%d}—{end:%Y.%m.%d}" if start and end else "",
                    "hours": round(sum(d["hours"] for d in mine), 2), "score": None, "max_score": None,
                    "completed_at": max((d["completed_at"] for d in mine if d["completed_at"] is not None), default=None),
                    "rolled_at": max((d["rolled_at"] for d in mine if d.get("rolled_at") is not None), default=None)})
        notes = [f"{len(mine)} 个课时"]
        if first.get("offline"):
            session_class = first["course_title"] in classes
            if session_class:
                row["training_name"] = first["lesson_title"]
            row.update({"percent": None, "result": first["result"], "passed": PASSED,
                        "certificate": certificate if session_class else ""})
            if start and end and rules.year_of(start) != rules.year_of(end):
                notes.append(f"跨年度培训，按天数拆分，本年度计 {row['hours']:g} 学时")
        else:
            result = results.of(learner_id, first["course_id"], year) if year is not None else None
            percent = result["percent"] if result else round(sum(d["percent"] for d in mine) / len(mine), 1)
            passed = result["passed"] if result else all(d["passed"] == PASSED for d in mine)
            row.update({"percent": round(percent, 1), "result": rules.grade_label(percent, passed), "passed": PASSED if passed else FAILED,
                        "certificate": certificate if passed else ""})
            if result and result["missing"]:
                notes.append("未完成：" + "、".join(result["missing"]))
            failed = (result or {}).get("failed") or [d["lesson_title"] for d in mine if d["passed"] != PASSED]
            if failed:
                notes.append("未通过：" + "、".join(failed) + "，需补考")
        notes.extend(sorted({n for d in mine for n in (d.get("notes") or "").split("；")
                             if n and not n.startswith("未通过") and not n.startswith("线下活动：")}))
        row["notes"] = "；".join(notes)
        out.append(row)
    return out


def file_dates(rows: list[dict[str, Any]]) -> dict[str, tuple[Any, Any]]:
    """GB/T 38860 建档时间 and 更新时间 per learner: the first record's completion and the
    latest roll-in that changed the file (its latest completion when the batch time is unknown)."""
    out: dict[str, list[Any]] = {}
    for d in rows:
        when = d["completed_at"]
        updated = d.get("rolled_at") or when
        held = out.get(d["learner_id"])
        if held is None:
            out[d["learner_id"]] = [when, updated]
            continue
        if when is not None and (held[0] is None or when < held[0]):
            held[0] = when
        if updated is not None and (held[1] is None or updated > held[1]):
            held[1] = updated
    return {k: (v[0], v[1]) for k, v in out.items()}


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
    """课时明细: one row per learner and lesson (or attended session), the detail behind each class.
    An offline session has no score: 成绩 is left empty."""
    fields = [f for _, f in LESSON_COLUMNS]
    score = fields.index("percent")
    body = []
    for d in sorted(rows, key=_order):
        row = [d[f] for f in fields]
        if d.get("offline"):
            row[score] = None
        body.append(row)
    return [h for h, _ in LESSON_COLUMNS], body


EVALUATION_HEADER = ["档案编号", "工号", "姓名", "支部", "年度", "综合得分", "考评等次", "学风", "纪律", "评语"]
EVALUATION_KINDS = {"综合得分": "score", "年度": "int"}


def evaluation_sheet(evaluations: dict[int, list[dict[str, Any]]], prefix: str = "") -> tuple[list[str], list[list[Any]]]:
    """年度考评 (the 培训档案's third sheet): per member and year the 量化考评 composite and grade
    (records.evaluation.yearly_evaluation) with the instructors' 学风, 纪律 and 评语."""
    body = [[prefix + r["learner_id"], r["learner_id"], r["name"], r["branch"], year, r["score"], r["grade"], r["study_style"],
             r["discipline"], r["comment"]]
            for year in sorted(evaluations) for r in evaluations[year]]
    body.sort(key=lambda r: (r[3], r[1], r[4]))
    return EVALUATION_HEADER, body


# --- 年度学时汇总 ----------------------------------------------------------------------------------

YEARLY_HEADER = ["工号", "姓名", "支部", "人员类别", "职级", "年度", "要求类别", "统计区间", "要求学时", "计入要求学时",
                 "差额", "状态", "说明", "本年度学时"]
YEARLY_KINDS = {"要求学时": "hours", "计入要求学时": "hours", "差额": "hours", "本年度学时": "hours", "年度": "int"}


def yearly_summary(views: Views, years: list[int]) -> tuple[list[str], list[list[Any]]]:
    """年度学时汇总: every roster member for every year, including those with no hours at all.
    本年度学时 is every hour credited in that year (all forms): the branch summary's 学时合计 sums it."""
    out = []
    for year in years:
        for p in sorted(views.members, key=lambda p: (p.branch, p.id)):
            s = views.assess(p, year)
            out.append([p.id, p.name, p.branch, p.category, p.rank, year, s["requirement"], s["window"], s["required"], s["earned"],
                        s["shortfall"], s["status"], s["missing"], views.hours_in(p.id, year)])
    return YEARLY_HEADER, out


# --- 支部汇总 --------------------------------------------------------------------------------------

BRANCH_HEADER = ["支部", "年度", "课程（班次）", "在册人数", "其中党员", "已参学人数", "全部合格人数", "完成率（%）", "平均成绩",
                 "学时合计", "学时未达标人数"]
BRANCH_KEYS = ("branch", "year", "course", "learners", "party_members", "submitted", "passed", "completion", "mean_score", "hours", "short")
BRANCH_KINDS = {"完成率（%）": "score", "平均成绩": "score", "学时合计": "hours", "在册人数": "int", "其中党员": "int",
                "已参学人数": "int", "全部合格人数": "int", "学时未达标人数": "int", "年度": "int"}


def branch_rows(views: Views, years: list[int]) -> list[dict[str, Any]]:
    """Per branch and year: a row for all courses, then one per course the branch took that year,
    then one per kind of offline activity its members attended. Each row has BRANCH_KEYS plus
    `course_id` (None on the （全部课程） row): titles need not be unique.

    A course is assigned to a branch in a year when any of its members has a record of it that
    year. 全部合格人数 (all courses) counts members whose course result (course.yml rule) is passed,
    by the end of that year, in every course assigned to their branch that year; per course, in
    that course. Offline activities are not courses: their rows have hours and attendees, no
    全部合格 or 完成率, and a branch with no course that year has none either (empty, not 0).
    完成率（%）= 全部合格人数 / 在册人数 × 100. 学时合计 = the members' 本年度学时 (all forms);
    学时未达标人数 from the same assessment as 年度学时汇总. 党员 counts
    `training_file.party_member_categories` (not 发展对象, 入党积极分子, 群众)."""
    rules, results = views.rules, views.results
    party = rules.party_member_categories
    branch_of = {p.id: p.branch for p in views.members}
    people_in: dict[str, list[Learner]] = defaultdict(list)
    for p in views.members:
        people_in[p.branch].append(p)
    by_branch_year: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
    for d in views.rows:
        if d["year"] is not None and d["learner_id"] in branch_of:
            by_branch_year[(branch_of[d["learner_id"]], d["year"])].append(d)
    out = []
    for branch in sorted(people_in):
        people = people_in[branch]
        n, n_party = len(people), sum(1 for p in people if p.category in party)
        for year in years:
            mine = by_branch_year.get((branch, year), [])
            by_course: dict[str, list[dict[str, Any]]] = defaultdict(list)
            for d in mine:
                by_course[d["course_id"]].append(d)
            courses = sorted(c for c, ds in by_course.items() if not ds[0].get("offline"))
            activities = sorted(c for c, ds in by_course.items() if ds[0].get("offline"))

            def row(selected: list[dict[str, Any]], of: list[str] | None, course_id: str | None, title: str, hours: float,
                    short: Any) -> dict[str, Any]:
                ok = sum(1 for p in people if all(results.passed(p.id, c, year) for c in of)) if of else None
                percents = [d["percent"] for d in selected if not d.get("offline")]  # offline sessions have no score
                return {"branch": branch or NO_BRANCH, "year": year, "course": title, "course_id": course_id, "learners": n,
                        "party_members": n_party,
                        "submitted": len({d["learner_id"] for d in selected}), "passed": ok,
                        "completion": round(100.0 * ok / n, 1) if ok is not None and n else None,
                        "mean_score": round(sum(percents) / len(percents), 2) if percents else None, "hours": hours, "short": short}

            short = sum(1 for p in people if views.assess(p, year)["status"] == "未达标")
            out.append(row(mine, courses, None, ALL_COURSES, round(sum(views.hours_in(p.id, year) for p in people), 2), short))
            for c in courses + activities:
                selected = by_course[c]
                title = selected[0]["training_name"] if selected[0].get("offline") else views.course_titles.get(c, selected[0]["course_title"])
                out.append(row(selected, None if c in activities else [c], c, title, round(sum(d["hours"] for d in selected), 2), None))
    return out


def branch_table(views: Views, years: list[int]) -> tuple[list[str], list[list[Any]]]:
    """支部汇总 as a table (see branch_rows)."""
    return BRANCH_HEADER, [[r[k] for k in BRANCH_KEYS] for r in branch_rows(views, years)]
