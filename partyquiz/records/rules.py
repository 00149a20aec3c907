"""Hour rules read from `grader/rules.yml`: requirements per category, how a lesson earns hours,
pass mark, grade labels and how a year is counted. Pure functions over a loaded `Rules`.

Every number lives in the YAML file, so an organisation changes it without touching code.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import InputError, Problem
from ..model import Course, Learner, Lesson

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_RULES = Path(__file__).resolve().parents[1] / "data" / "rules.yml"  # package data


@dataclass(frozen=True)
class Requirement:
    name: str
    hours: float
    period_years: int = 1
    once: bool = False
    source: str = ""


@dataclass
class Rules:
    start_month: int = 1
    timezone: str = "Asia/Shanghai"
    pass_mark: float | None = None
    grades: list[tuple[float, str]] = field(default_factory=lambda: [(90, "优秀"), (80, "良好"), (0, "合格")])
    fail_label: str = "不合格"
    method: str = "lesson_hours"
    tiers: list[tuple[float, float]] = field(default_factory=lambda: [(30, 1.0), (15, 0.5), (0, 0.25)])
    pass_bonus: float = 0.5
    require_pass: bool = True
    requirements: dict[str, Requirement] = field(default_factory=dict)
    category_map: dict[str, dict[str, Any]] = field(default_factory=dict)
    categories: list[str] = field(default_factory=list)
    path: str = ""
    _offsets: dict = field(default_factory=dict, repr=False)

    # --- pass / grade --------------------------------------------------------------------
    def pass_mark_for(self, course: Course, lesson: Lesson) -> float:
        return self.pass_mark if self.pass_mark is not None else course.pass_mark_for(lesson)

    def grade_label(self, percent: float, passed: bool) -> str:
        if not passed:
            return self.fail_label
        for minimum, label in self.grades:
            if percent >= minimum:
                return label
        return self.grades[-1][1] if self.grades else ""

    # --- hours ---------------------------------------------------------------------------
    def lesson_hours(self, lesson: Lesson, passed: bool) -> float:
        """Hours one lesson earns; the rule is chosen by `online.method`."""
        if self.method == "lesson_hours":
            return float(lesson.hours) if passed else 0.0
        if self.require_pass and not passed:
            return 0.0
        minutes = lesson.minutes if lesson.minutes is not None else lesson.hours * 60
        base = next((hours for minimum, hours in self.tiers if minutes >= minimum), 0.0)
        return float(base + (self.pass_bonus if passed else 0.0))

    # --- years ---------------------------------------------------------------------------
    def local(self, when: dt.datetime | None) -> dt.datetime | None:
        """A naive UTC time from the gradebook → naive local time in the rules' time zone."""
        if when is None:
            return None
        # the offset is looked up once per hour of UTC time: 200,000 records, a few thousand lookups
        hour = when.replace(minute=0, second=0, microsecond=0)
        offset = self._offsets.get(hour)
        if offset is None:
            from zoneinfo import ZoneInfo

            offset = self._offsets[hour] = hour.replace(tzinfo=dt.timezone.utc).astimezone(ZoneInfo(self.timezone)).utcoffset()
        return when + offset

    def year_of(self, when: dt.date | dt.datetime | None) -> int | None:
        """The counting year a date falls in, named after the year it starts in."""
        if when is None:
            return None
        return when.year if when.month >= self.start_month else when.year - 1

    # --- requirements --------------------------------------------------------------------
    def requirement_for(self, learner: Learner) -> Requirement | None:
        name = learner.category
        mapping = self.category_map.get(name)
        if mapping:
            name = mapping.get("default", name)
            for key, target in (mapping.get("by_rank") or {}).items():
                if key and key in (learner.rank or ""):
                    name = target
                    break
        return self.requirements.get(name)


def _problem(path: Path, message: str) -> InputError:
    return InputError(Problem(str(path), message))


def load_rules(path: Path | str | None = None) -> Rules:
    """Read and check a rules file; an error names the file and the field."""
    path = Path(path) if path else DEFAULT_RULES
    if not path.exists():
        raise _problem(path, "找不到学时规则文件 / rules file not found")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(Problem(str(path), f"YAML 语法错误 / YAML syntax: {exc}", mark.line + 1 if mark else None)) from exc
    try:
        return _parse(data, str(path))
    except (KeyError, TypeError, ValueError, LookupError) as exc:
        raise _problem(path, f"规则字段有误 / bad field: {exc}") from exc


def _parse(data: dict[str, Any], path: str) -> Rules:
    year = data.get("year") or {}
    assessment = data.get("assessment") or {}
    online = data.get("online") or {}
    start_month = int(year.get("start_month", 1))
    if not 1 <= start_month <= 12:
        raise ValueError(f"year.start_month = {start_month}")
    requirements = {}
    for name, spec in (data.get("requirements") or {}).items():
        requirements[str(name)] = Requirement(
            name=str(name),
            hours=float(spec["hours"]),
            period_years=int(spec.get("period_years", 1)),
            once=bool(spec.get("once", False)),
            source=str(spec.get("source", "")),
        )
    from zoneinfo import ZoneInfo

    ZoneInfo(str(year.get("timezone", "Asia/Shanghai")))  # an unknown zone fails here, naming the file
    method = str(online.get("method", "lesson_hours"))
    if method not in ("lesson_hours", "tiers"):
        raise ValueError(f"online.method = {method} (lesson_hours | tiers)")
    rules = Rules(
        start_month=start_month,
        timezone=str(year.get("timezone", "Asia/Shanghai")),
        pass_mark=None if assessment.get("pass_mark") is None else float(assessment["pass_mark"]),
        fail_label=str(assessment.get("fail_label", "不合格")),
        method=method,
        pass_bonus=float(online.get("pass_bonus", 0.5)),
        require_pass=bool(online.get("require_pass", True)),
        requirements=requirements,
        category_map=dict(data.get("category_map") or {}),
        path=path,
    )
    if "grades" in assessment:
        rules.grades = sorted(((float(g["min"]), str(g["label"])) for g in assessment["grades"]), reverse=True)
    if "tiers" in online:
        rules.tiers = sorted(((float(t["min_minutes"]), float(t["hours"])) for t in online["tiers"]), reverse=True)
    cats = data.get("categories")
    rules.categories = [str(c) for c in cats] if cats else sorted(set(requirements) | set(rules.category_map))
    return rules
