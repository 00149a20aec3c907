"""Learning evaluation: qualitative fields per person and year (学风、纪律, 评语) and the 量化考评
composite score and grade; learning points (积分) and the per-branch ranking.

Weights, grade bounds, caps and points are data (`evaluation` and `points` in the rules file,
with their sources there). An indicator with no data for a person that year (no stage test, no
required hours) is left out and the other weights are scaled up, so nobody loses marks for an
activity that never took place.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import sqlalchemy as sa
import yaml

from ..errors import InputError, Problem
from ..i18n import t
from . import ledger as L
from .activities import (ATTENDED, Snapshot, _by_name, _cell, _header_columns, _people_index, load_activity_rules, read_snapshot,
                         rules_yaml)
from .register import attendance_rates

INDICATORS = ("attendance", "quiz", "stage_tests", "study_time", "collective_study")
INDICATOR_LABEL = {"attendance": "出勤率", "quiz": "测验成绩", "stage_tests": "阶段测试", "study_time": "学时完成率",
                   "collective_study": "集体学习"}


@dataclass
class EvaluationRules:
    weights: dict[str, float]
    collective_study_per_year: int
    collective_study_kinds: tuple[str, ...]  # activity kinds that count as 集体学习 (rules file)
    grades: list[tuple[float, str]]  # (lower bound, label), highest first
    qualitative: list[str]
    caps: dict[str, str]  # qualitative grade → best composite grade allowed
    points: dict[str, Any] = field(default_factory=dict)
    follow_up: tuple[str, ...] = ()  # grades the report lists as needing follow-up (the lowest when unset)
    path: str = ""

    def grade(self, score: float | None, *qualitative: str) -> str:
        """The grade of a composite score, capped by a poor 学风 or 纪律."""
        if score is None:
            return ""
        label = next((g for bound, g in self.grades if score >= bound - 1e-9), self.grades[-1][1])
        order = [g for _, g in self.grades]
        for q in qualitative:
            cap = self.caps.get(q)
            if cap and order.index(label) < order.index(cap):
                label = cap
        return label

    def attendance_points(self, kind: str) -> float:
        table = self.points.get("attendance") or {}
        return float(table.get(kind, table.get("default", 0)))


def load_evaluation_rules(path: Path | str | None = None) -> EvaluationRules:
    from ..settings import settings

    from .rules import shipped

    path = Path(path) if path else settings().rules
    try:
        data = rules_yaml(path)
        spec, points = data["evaluation"], data.get("points") or {}
        per_year = spec.get("collective_study_per_year", shipped("evaluation", "collective_study_per_year"))
        kinds = spec.get("collective_study_kinds", shipped("evaluation", "collective_study_kinds"))
        weights = {str(k): float(v) for k, v in spec["indicators"].items()}
        unknown = [k for k in weights if k not in INDICATORS]
        if unknown or any(w < 0 for w in weights.values()):
            raise ValueError(f"evaluation.indicators: {unknown or 'negative weight'} (known: {', '.join(INDICATORS)})")
        grades = sorted(((float(g["min"]), str(g["label"])) for g in spec["grades"]), reverse=True)
        caps = {str(k): str(v) for k, v in (spec.get("caps") or {}).items()}
        if any(v not in {g for _, g in grades} for v in caps.values()):
            raise ValueError("evaluation.caps must name one of evaluation.grades")
        follow = spec.get("follow_up")
        follow_up = (follow,) if isinstance(follow, str) else tuple(str(g) for g in follow or ())  # `follow_up: 不合格` is one grade
        follow_up = follow_up or tuple(g for _, g in grades[-1:])  # unset: the lowest grade
        if any(g not in {label for _, label in grades} for g in follow_up):
            raise ValueError(f"evaluation.follow_up {list(follow_up)} must name grades of evaluation.grades")
        return EvaluationRules(weights=weights, collective_study_per_year=int(per_year),
                               collective_study_kinds=tuple(str(k) for k in kinds or ()), grades=grades, qualitative=[str(q) for q in spec.get("qualitative") or []], caps=caps,
                               points=points, follow_up=follow_up, path=str(path))
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InputError(Problem(str(path), t("records.evaluation.bad_rules", error=exc))) from exc


def composite(indicators: dict[str, float | None], weights: dict[str, float]) -> float | None:
    """Σ weight·value / Σ weight over the indicators that have a value (each 0–100)."""
    used = {k: v for k, v in indicators.items() if v is not None and weights.get(k, 0) > 0}
    total = sum(weights[k] for k in used)
    return round(sum(weights[k] * v for k, v in used.items()) / total, 2) if total else None


# ------------------------------------------------------------------ qualitative fields

def _grade_problem(rules: EvaluationRules, study_style: str, discipline: str) -> str | None:
    """Why a 学风 / 纪律 value is not one of the rules' grades, or None."""
    for label, value in ((t("records.evaluation.study_style"), study_style), (t("records.evaluation.discipline"), discipline)):
        if value and rules.qualitative and value not in rules.qualitative:
            return t("records.evaluation.bad_grade", label=label, value=value, allowed=" / ".join(rules.qualitative))
    return None


def record_evaluation(ledger_url: str, learner_id: str, year: int, *, study_style: str = "", discipline: str = "",
                      comment: str = "", evaluator: str = "", rules_path: Path | str | None = None) -> None:
    """Store (or replace) one person's qualitative evaluation for a year (the workbench and
    `partyquiz evaluation record` call this)."""
    rules = load_evaluation_rules(rules_path)
    why = _grade_problem(rules, study_style, discipline)
    if why:
        raise ValueError(why)
    with L.engine_for(ledger_url) as engine, engine.begin() as conn:
        if conn.execute(sa.select(L.learners.c.id).where(L.learners.c.id == learner_id)).first() is None:
            raise ValueError(t("records.evaluation.not_on_roster", id=learner_id))
        _store_evaluations(conn, [{"learner_id": learner_id, "year": year, "study_style": study_style, "discipline": discipline,
                                   "comment": comment, "evaluator": evaluator}])


def _store_evaluations(conn: sa.Connection, rows: list[dict[str, Any]]) -> None:
    now = L.utcnow()
    for row in rows:
        key = (L.evaluations.c.learner_id == row["learner_id"]) & (L.evaluations.c.year == row["year"])
        values = {k: v for k, v in row.items() if k not in ("learner_id", "year")} | {"updated_at": now}
        if conn.execute(sa.select(L.evaluations.c.learner_id).where(key)).first():
            conn.execute(sa.update(L.evaluations).where(key).values(**values))
        else:
            conn.execute(sa.insert(L.evaluations).values(learner_id=row["learner_id"], year=row["year"], **values))


# the columns an evaluation sheet may have (first alias = what a template writes)
EVALUATION_COLUMNS = {
    "learner_id": ("工号", "编号", "人员编号", "学号", "id"),
    "name": ("姓名", "name"),
    "year": ("年度", "年份", "year"),
    "study_style": ("学风", "study_style"),
    "discipline": ("纪律", "discipline"),
    "comment": ("评语", "comment"),
    "evaluator": ("评价人", "考评人", "evaluator"),
}


def import_evaluations(ledger_url: str, path: Path | str, *, year: int | None = None, evaluator: str = "",
                       rules_path: Path | str | None = None) -> int:
    """Import a sheet (.xlsx / .csv, UTF-8 or GBK) of 学风、纪律、评语 per person: one row each,
    matched by 工号 (or by a name that is unique). Every bad row is reported with its row number
    and then nothing is stored; a good sheet is stored in one transaction. `year` fills a sheet
    without a 年度 column; `evaluator` one without 评价人. Returns the rows stored."""
    from .roster import _read_rows

    path = Path(path)
    rules = load_evaluation_rules(rules_path)
    if not path.exists():
        raise InputError(Problem(str(path), t("records.evaluation.file_missing")))
    rows = _read_rows(path)
    start = next((i for i, row in enumerate(rows) if any(str(c).strip() for c in row)), None)
    if start is None:
        raise InputError(Problem(str(path), t("records.evaluation.empty")))
    columns = _header_columns(rows[start], EVALUATION_COLUMNS)
    missing = [] if ("learner_id" in columns or "name" in columns) else ["工号"]
    if "year" not in columns and year is None:
        missing.append("年度")
    if missing:
        raise InputError(Problem(str(path), t("records.evaluation.columns", columns="、".join(missing)), start + 1))
    with L.engine_for(ledger_url) as engine, engine.connect() as conn:
        people = L.load_learners(conn)
    found, problems = _evaluation_rows(rows[start + 1:], start + 2, columns, people, rules, year, evaluator, str(path))
    if problems:
        raise InputError(problems)
    with L.engine_for(ledger_url) as engine, engine.begin() as conn:
        _store_evaluations(conn, found)
    return len(found)


def _evaluation_rows(rows: list[list[str]], first: int, columns: dict[str, int], people: list[Any], rules: EvaluationRules,
                     year: int | None, evaluator: str, file: str) -> tuple[list[dict[str, Any]], list[Problem]]:
    by_id, by_name = _people_index(people)
    out, problems, seen = [], [], {}

    def cell(row: list[str], key: str) -> str:
        return _cell(row, columns, key)

    for n, row in enumerate(rows, start=first):
        learner_id, name = cell(row, "learner_id"), cell(row, "name")
        if not learner_id and not name:
            continue
        person = by_id.get(learner_id) if learner_id else _by_name(name, by_name, None)
        if person is None:
            why = "records.evaluation.name_ambiguous" if not learner_id and len(by_name.get(name, [])) > 1 else "records.evaluation.unknown_person"
            problems.append(Problem(file, t(why, who=learner_id or name), n))
            continue
        text_year = cell(row, "year")
        try:
            when = int(float(re.sub(r"[年度\s]", "", text_year))) if text_year else year
        except ValueError:
            when = None
        if when is None or not 1900 <= when <= 2999:
            problems.append(Problem(file, t("records.evaluation.bad_year", value=text_year), n, "年度"))
            continue
        style, discipline = cell(row, "study_style"), cell(row, "discipline")
        why = _grade_problem(rules, style, discipline)
        if why:
            problems.append(Problem(file, why, n))
            continue
        if (person.id, when) in seen:
            problems.append(Problem(file, t("records.evaluation.twice", who=f"{person.id} {person.name}", row=seen[(person.id, when)]), n))
            continue
        seen[(person.id, when)] = n
        out.append({"learner_id": person.id, "year": when, "study_style": style, "discipline": discipline,
                    "comment": cell(row, "comment"), "evaluator": cell(row, "evaluator") or evaluator})
    return out, problems


def evaluations(ledger_url: str, year: int) -> dict[str, dict[str, Any]]:
    with L.engine_for(ledger_url) as engine, engine.connect() as conn:
        rows = conn.execute(sa.select(L.evaluations).where(L.evaluations.c.year == year)).mappings().all()
    return {r["learner_id"]: dict(r) for r in rows}


# ------------------------------------------------------------------ the yearly composite

def yearly_evaluation(ledger_url: str, year: int, *, rules_path: Path | str | None = None, snapshot: Snapshot | None = None,
                      hours_in: Callable[[str, int], float] | None = None) -> list[dict[str, Any]]:
    """Per roster member: the five indicators (0–100 or None), composite score, grade, and the
    qualitative fields, for `year` (counting years and time zone of the hour rules).
    `hours_in(learner_id, year)`: the hours credited in the year as the exports count them
    (exports.Views.hours_in; publish passes it, so 学时完成率 is 年度学时汇总's 本年度学时); without
    it they are summed here by the same rules (same_material, offline shares split by year)."""
    from .rules import load_rules

    hour_rules = load_rules(rules_path)
    rules = load_evaluation_rules(rules_path)
    activity_rules = load_activity_rules(rules_path)
    data = snapshot or read_snapshot(ledger_url)
    people_list, records, sessions, attendance, tests = data.people, data.records, data.sessions, data.attendance, data.tests
    members = data.members
    years = {when: hour_rules.year_of(hour_rules.local(when)) for when in {r.completed_at for r in records}}
    repeated = hour_rules.repeated(records) if hours_in is None else {}
    by_learner: dict[str, list[dict[str, Any]]] = defaultdict(list)  # grouped once: 5,000 people × 200,000 records
    for r in records:
        if years[r.completed_at] == year:
            by_learner[r.learner_id].append({"course_id": r.course_id, "lesson_id": r.lesson_id, "hours": 0.0 if r.id in repeated else r.hours,
                                             "percent": 100.0 * r.score / r.max_score if r.max_score else 0.0})
    if hours_in is None:
        hours_in = _hours_here(by_learner, sessions, attendance, year, hour_rules, activity_rules)
    qualitative = evaluations(ledger_url, year)
    rates = {p["learner_id"]: p["rate"] for p in attendance_rates(sessions, attendance, members, year, activity_rules)}
    # which kinds count as 集体学习 is data (evaluation.collective_study_kinds); the year is the counting year
    study_kind = {s.id for s in sessions if s.kind in rules.collective_study_kinds and hour_rules.year_of(s.date) == year}
    collective = defaultdict(int)
    for a in attendance:
        if a.session_id in study_kind and a.status == ATTENDED:
            collective[a.learner_id] += 1
    people = {p.id: p for p in people_list}
    return [_person_evaluation(m, people.get(m["id"]), year, by_learner.get(m["id"], []), hours_in(m["id"], year), tests, rates,
                               collective, qualitative.get(m["id"], {}), hour_rules, rules)
            for m in sorted(members, key=lambda m: (m["branch"], m["id"]))]


def _hours_here(online: dict[str, list[dict[str, Any]]], sessions: list[Any], attendance: list[Any], year: int, hour_rules: Any,
                activity_rules: Any) -> Callable[[str, int], float]:
    """The year's credited hours per learner when the exports' are not given: the online records
    of the year (same_material already applied) plus each attended session's share of the year,
    split by year as the exports split it (activities.offline_dicts)."""
    earned: dict[str, float] = defaultdict(float)
    for learner_id, mine in online.items():
        earned[learner_id] += sum(d["hours"] for d in mine)
    shares = {}
    for s in sessions:
        end = s.end_date or s.date
        hours = activity_rules.hours_for(s)
        shares[s.id] = (hour_rules.split_hours(s.date, end, hours) if end != s.date else {hour_rules.year_of(s.date): hours}).get(year, 0.0)
    for a in attendance:
        if a.status == ATTENDED and shares.get(a.session_id):
            earned[a.learner_id] += shares[a.session_id]
    return lambda learner_id, _year: earned.get(learner_id, 0.0)


def _person_evaluation(member: dict[str, Any], learner: Any, year: int, online: list[dict[str, Any]], earned: float, tests: set,
                       rates: dict[str, float | None], collective: dict[str, int], qualitative: dict[str, Any],
                       hour_rules: Any, rules: EvaluationRules) -> dict[str, Any]:
    """One member's indicators from `online`, their records of the year, and `earned`, the
    hours credited to them in the year (all forms)."""
    quiz = [d["percent"] for d in online if (d["course_id"], d["lesson_id"]) not in tests]
    stage = [d["percent"] for d in online if (d["course_id"], d["lesson_id"]) in tests]
    requirement = hour_rules.requirement_for(learner) if learner is not None else None
    rate = rates.get(member["id"])
    indicators = {
        "attendance": None if rate is None else round(100 * rate, 2),
        "quiz": round(sum(quiz) / len(quiz), 2) if quiz else None,
        "stage_tests": round(sum(stage) / len(stage), 2) if stage else None,
        "study_time": round(100 * min(1.0, earned / requirement.hours), 2) if requirement and requirement.hours > 0 else None,
        "collective_study": round(100 * min(1.0, collective.get(member["id"], 0) / rules.collective_study_per_year), 2)
        if rules.collective_study_per_year else None,
    }
    score = composite(indicators, rules.weights)
    style, discipline = qualitative.get("study_style", ""), qualitative.get("discipline", "")
    return {"learner_id": member["id"], "name": member["name"], "branch": member["branch"], "year": year,
            "indicators": indicators, "score": score, "grade": rules.grade(score, style, discipline),
            "study_style": style, "discipline": discipline, "comment": qualitative.get("comment", "")}


# ------------------------------------------------------------------ points (积分)

def learning_points(ledger_url: str, year: int | None = None, *, rules_path: Path | str | None = None,
                    snapshot: Snapshot | None = None, hour_rules: Any = None) -> list[dict[str, Any]]:
    """Per person: points from completed and passed lessons, passed stage tests and attended
    activities (rules file, `points`), with the detail of where they came from. `hour_rules`:
    the hour Rules of `rules_path` already loaded (the learner app's page has them)."""
    from .rules import load_rules

    rules = load_evaluation_rules(rules_path)
    hour_rules = hour_rules or load_rules(rules_path)
    spec = rules.points
    data = snapshot or read_snapshot(ledger_url)
    people, tests, records, sessions, attendance = data.learners, data.tests, data.records, data.sessions, data.attendance
    detail: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    completed, passed_points, test_points = (float(spec.get(k, 0)) for k in ("lesson_completed", "quiz_passed", "stage_test_passed"))
    years: dict[Any, int | None] = {}  # a few hundred distinct times among 200,000 records
    for learner_id, course_id, lesson_id, passed, when in ((r.learner_id, r.course_id, r.lesson_id, r.passed, r.completed_at) for r in records):
        if year is not None:
            got = years.get(when, -1)
            if got == -1:
                got = years[when] = hour_rules.year_of(hour_rules.local(when))
            if got != year:
                continue
        mine = detail[learner_id]
        if (course_id, lesson_id) in tests:
            if passed:
                mine["stage_test_passed"] += test_points
            continue
        mine["lesson_completed"] += completed
        if passed:
            mine["quiz_passed"] += passed_points
    kind_of = {s.id: s for s in sessions}
    for a in attendance:
        s = kind_of.get(a.session_id)
        if s is not None and a.status == ATTENDED and (year is None or hour_rules.year_of(s.date) == year):
            detail[a.learner_id][f"attendance:{s.kind}"] += rules.attendance_points(s.kind)
    out = []
    for p in people:
        mine = detail.get(p["id"], {})
        out.append({"learner_id": p["id"], "name": p["name"], "branch": p["branch"], "on_roster": bool(p["on_roster"]),
                    "points": round(sum(mine.values()), 2), "detail": dict(mine)})
    return out


def branch_ranking(points: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Branches by mean points per member on the roster (ties share a rank)."""
    by_branch: dict[str, list[float]] = defaultdict(list)
    for p in points:
        if p["on_roster"]:
            by_branch[p["branch"]].append(p["points"])
    table = sorted(({"branch": b, "members": len(v), "total": round(sum(v), 2), "mean": round(sum(v) / len(v), 2)}
                    for b, v in by_branch.items()), key=lambda r: (-r["mean"], r["branch"]))
    rank, previous = 0, None
    for n, row in enumerate(table, start=1):
        if row["mean"] != previous:
            rank, previous = n, row["mean"]
        row["rank"] = rank
    return table


def learner_points(ledger_url: str, learner_id: str, year: int | None = None) -> dict[str, Any]:
    """One learner's points (for the learner app: 我的积分)."""
    for p in learning_points(ledger_url, year):
        if p["learner_id"] == learner_id:
            return p
    return {"learner_id": learner_id, "points": 0.0, "detail": {}}
