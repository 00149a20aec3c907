"""Hour rules read from the rules file (`partyquiz/data/rules.yml` by default): requirements per
category and which training forms count toward them, how a lesson earns hours from the study
time recorded, the cadre rank ladder, pass mark, grade labels and how a year is counted.
Pure functions over a loaded `Rules`.

Every number lives in the YAML file, so an organisation changes it without touching code.
"""
from __future__ import annotations

import datetime as dt
import functools
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import InputError, Problem
from ..i18n import t
from ..model import Course, Learner, Lesson

from ..settings import PACKAGE_DATA, settings

DEFAULT_RULES = PACKAGE_DATA / "rules.yml"  # the shipped rules; `settings().rules` may point elsewhere

ONLINE = "在线自学"  # the kind of training the online crediting rule applies to
METHODS = ("per_hour", "tiers", "progress", "lesson_hours")


@dataclass(frozen=True)
class Part:
    """A part a requirement must include: hours of some kinds, or a number of trainings."""

    label: str
    counts: tuple[str, ...] | None = None  # kinds of training that count; None = every kind
    hours: float = 0.0
    times: int = 0  # distinct training classes (courses) with credited hours
    period_years: int | None = None  # None = the requirement's own window
    # only training from 入党日期 (roster joined_on) to this many years later counts (预备期)
    from_joining_years: int | None = None


@dataclass(frozen=True)
class Requirement:
    name: str
    hours: float
    period_years: int = 1
    once: bool = False
    source: str = ""
    counts: tuple[str, ...] | None = None  # kinds of training that count; None = every kind
    window: str = "rolling"  # rolling | plan
    plan_start: int | None = None
    includes: tuple[Part, ...] = ()

    @property
    def demands_anything(self) -> bool:
        return self.hours > 0 or any(p.hours > 0 or p.times > 0 for p in self.includes)


@dataclass
class Earned:
    """What one learner earned: hours and training classes per (counting year, kind of training)."""

    hours: dict[tuple[int, str], float] = field(default_factory=dict)
    trainings: dict[tuple[int, str], set[str]] = field(default_factory=dict)
    dated: list[tuple[dt.date, str, str]] = field(default_factory=list)  # (date, kind, training) when known
    keep_dates: bool = True  # fill `dated` (only parts counted from 入党日期 read it: Rules.counts_from_joining)

    def add(self, year: int, kind: str, hours: float, training: str, *, on: dt.date | dt.datetime | None = None) -> None:
        """`on`: the date of the training (its last day), for rules that count from a date of the
        person's own (the probation year from 入党日期)."""
        self.hours[(year, kind)] = self.hours.get((year, kind), 0.0) + hours
        if hours > 0:
            self.trainings.setdefault((year, kind), set()).add(training)
            if on is not None and self.keep_dates:
                self.dated.append((on.date() if isinstance(on, dt.datetime) else on, kind, training))

    def times_between(self, first: dt.date, last: dt.date, counts: tuple[str, ...] | None) -> int:
        return len({name for day, kind, name in self.dated if first <= day <= last and (counts is None or kind in counts)})

    def total(self, first: int | None, last: int, counts: tuple[str, ...] | None) -> float:
        return sum(h for (y, k), h in self.hours.items()
                   if (first is None or y >= first) and y <= last and (counts is None or k in counts))

    def times(self, first: int | None, last: int, counts: tuple[str, ...] | None) -> int:
        found: set[str] = set()
        for (y, k), names in self.trainings.items():
            if (first is None or y >= first) and y <= last and (counts is None or k in counts):
                found |= names
        return len(found)

    def years(self) -> set[int]:
        return {y for y, _ in self.hours}


@dataclass
class Rules:
    """Every value comes from a rules file (`load_rules`); a key an organisation's file leaves out
    takes the shipped file's value (`shipped`), so no figure lives in this code."""

    start_month: int
    split_across_years: bool
    timezone: str
    pass_mark: float | None
    grades: list[tuple[float, str]]  # (lower bound in percent, label), highest first
    fail_label: str
    forms: dict[str, tuple[str, ...]]  # kind → course forms
    method: str
    minutes_per_hour: float
    step: float
    tiers: list[tuple[float, float]]  # (minimum minutes, hours), highest first
    pass_bonus: float
    require_pass: bool
    missing_study_time: str  # lesson_minutes | none
    same_material: list[frozenset[tuple[str, str]]] = field(default_factory=list)
    rank_levels: dict[str, tuple[str, ...]] = field(default_factory=dict)  # level → ways to write a rank
    requirements: dict[str, Requirement] = field(default_factory=dict)
    category_map: dict[str, dict[str, Any]] = field(default_factory=dict)
    categories: list[str] = field(default_factory=list)
    training_file: dict[str, Any] = field(default_factory=dict)  # 档案编号 prefix, 培训类别, 证书, who is a party member
    committee_roles: tuple[str, ...] = ()  # 党内职务 of branch secretaries and committee members
    role_requirement: str = ""  # the requirement a committee member has (书记和班子成员)
    role_categories: tuple[str, ...] = ()  # 人员类别 a 党内职务 overrides (党员, not 干部)
    path: str = ""
    _offsets: dict = field(default_factory=dict, repr=False)  # UTC hour → offset, on a day the offset changes
    _day_offsets: dict = field(default_factory=dict, repr=False)  # UTC day → offset (None: it changes that day)
    _kinds: dict = field(default_factory=dict, repr=False)

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

    # --- forms ---------------------------------------------------------------------------
    def kind_of(self, form: str | None) -> str:
        """The kind of training (在线自学, 集中培训 …) a course form belongs to; unknown forms stay as written."""
        if form is None:
            return ONLINE
        kind = self._kinds.get(form)
        if kind is None:
            kind = next((k for k, names in self.forms.items() if form in names or form == k), form)
            self._kinds[form] = kind
        return kind

    def training_category(self, course_id: str, form: str | None) -> str:
        """培训类别 (调训, 自主选学 …) of a course: named per course, else by its kind of training."""
        spec = self.training_file
        return str((spec.get("category_by_course") or {}).get(course_id) or (spec.get("category_by_form") or {}).get(self.kind_of(form), ""))

    @property
    def party_member_categories(self) -> set[str]:
        return set(self.training_file.get("party_member_categories") or shipped("training_file", "party_member_categories"))

    @property
    def counts_from_joining(self) -> bool:
        """Whether some requirement has a part counted from 入党日期 (the only reader of Earned.dated)."""
        return any(p.from_joining_years for r in self.requirements.values() for p in r.includes)

    def is_committee(self, role: str) -> bool:
        """A branch secretary or committee member by the roster's 党内职务 (支部书记, 组织委员 …)."""
        return is_committee(role, self.committee_roles)

    # --- hours ---------------------------------------------------------------------------
    def repeated(self, records: list[Any]) -> dict[int, Any]:
        """Records of a `same_material` group that earn nothing: record id → the record that
        counts instead. Per learner and group only the record with the most hours counts (the
        earliest on a tie). The exports (views.record_dicts) and the 量化考评 both apply it."""
        if not self.same_material:
            return {}
        group_of = {member: n for n, group in enumerate(self.same_material) for member in group}
        mine = [(r, group_of[(r.course_id, r.lesson_id)]) for r in records if (r.course_id, r.lesson_id) in group_of]
        best: dict[tuple[str, int], Any] = {}
        for r, n in mine:
            key = (r.learner_id, n)
            held = best.get(key)
            if held is None or (r.hours, -(r.completed_at or dt.datetime.max).timestamp()) > (held.hours, -(held.completed_at or dt.datetime.max).timestamp()):
                best[key] = r
        out = {}
        for r, n in mine:
            kept = best[(r.learner_id, n)]
            if kept is not r and r.hours > 0:
                out[r.id] = kept
        return out

    def lesson_hours(self, lesson: Lesson, passed: bool, *, form: str | None = None, studied_minutes: float | None = None) -> float:
        """Hours one lesson earns, never more than its own `hours`.

        Online self-study (`form` of kind 在线自学; None counts as online) is credited by
        `online.method` from the study time the learner app recorded (`studied_minutes`);
        other forms earn the lesson's hours once passed."""
        nominal = float(lesson.hours)
        if self.kind_of(form) != ONLINE or self.method == "lesson_hours":
            return nominal if passed else 0.0
        if self.require_pass and not passed:
            return 0.0
        minutes = studied_minutes
        if minutes is None:
            if self.missing_study_time != "lesson_minutes":
                return 0.0
            minutes = lesson.minutes if lesson.minutes is not None else nominal * 60
        if self.method == "per_hour":
            earned = minutes / self.minutes_per_hour
            if self.step > 0:
                earned = math.floor(earned / self.step + 1e-9) * self.step
        elif self.method == "progress":
            expected = lesson.minutes if lesson.minutes is not None else nominal * 60
            earned = nominal if minutes + 1e-9 >= expected else 0.0
        else:  # tiers
            earned = next((hours for minimum, hours in self.tiers if minutes >= minimum), 0.0)
            earned += self.pass_bonus if passed else 0.0
        return round(min(nominal, max(0.0, earned)), 4)

    # --- years ---------------------------------------------------------------------------
    def local(self, when: dt.datetime | None) -> dt.datetime | None:
        """A naive UTC time from the gradebook → naive local time in the rules' time zone."""
        if when is None:
            return None
        # the offset is looked up once per UTC day: 200,000 records span a few hundred days; a day
        # whose offset changes (daylight saving, in a zone that has it) hour by hour
        day = when.date()
        offset = self._day_offsets.get(day, False)
        if offset is False:
            midnight = dt.datetime(day.year, day.month, day.day)
            first, last = self._offset_at(midnight), self._offset_at(midnight + dt.timedelta(days=1))
            offset = self._day_offsets[day] = first if first == last else None
        if offset is None:
            hour = when.replace(minute=0, second=0, microsecond=0)
            offset = self._offsets.get(hour)
            if offset is None:
                offset = self._offsets[hour] = self._offset_at(hour)
        return when + offset

    def _offset_at(self, utc: dt.datetime) -> dt.timedelta:
        from zoneinfo import ZoneInfo

        return utc.replace(tzinfo=dt.timezone.utc).astimezone(ZoneInfo(self.timezone)).utcoffset()

    def year_of(self, when: dt.date | dt.datetime | None) -> int | None:
        """The counting year a date falls in, named after the year it starts in."""
        if when is None:
            return None
        return when.year if when.month >= self.start_month else when.year - 1

    def split_hours(self, start: dt.date | None, end: dt.date | None, hours: float) -> dict[int, float]:
        """Hours of a training from `start` to `end` (inclusive) per counting year, in
        proportion to its days in each year; all in the year it ends when splitting is off."""
        if end is None:
            return {}
        if start is None or start >= end or not self.split_across_years or self.year_of(start) == self.year_of(end):
            return {self.year_of(end): hours}
        days = (end - start).days + 1
        out: dict[int, float] = {}
        for n in range(days):
            year = self.year_of(start + dt.timedelta(days=n))
            out[year] = out.get(year, 0.0) + hours / days
        return {y: round(h, 4) for y, h in out.items()}

    # --- ranks and requirements ----------------------------------------------------------
    def rank_level(self, rank: str) -> str:
        """The level (省部级 … 科员级) of a rank as the roster writes it; "" when not recognised.
        An exact spelling wins; otherwise the longest spelling the rank contains."""
        rank = (rank or "").strip()
        if not rank:
            return ""
        for level, names in self.rank_levels.items():
            if rank in names or rank == level:
                return level
        best = ("", 0)
        for level, names in self.rank_levels.items():
            for name in (*names, level):
                if name in rank and len(name) > best[1]:
                    best = (level, len(name))
        return best[0]

    def requirement_for(self, learner: Learner) -> Requirement | None:
        name = learner.category
        mapping = self.category_map.get(name)
        if mapping:
            name = mapping.get("default", name)
            level = self.rank_level(learner.rank)
            if level and level in (mapping.get("by_level") or {}):
                name = mapping["by_level"][level]
            for key, target in (mapping.get("by_rank") or {}).items():  # older files: a word in the rank
                if key and key in (learner.rank or ""):
                    name = target
                    break
        if self.role_requirement and learner.category in self.role_categories and self.is_committee(getattr(learner, "role", "")):
            name = self.role_requirement  # a 支部书记 the roster marks only by 党内职务 is still a secretary
        return self.requirements.get(name)

    def window_of(self, req: Requirement, year: int, period_years: int | None = None) -> tuple[int | None, int, str]:
        """(first year, last year, label) counted for `req` when reporting `year`."""
        if req.once and period_years is None:
            return None, year, f"截至{year}"
        p = period_years or req.period_years
        if p == 1:
            return year, year, str(year)
        if req.window == "plan" and req.plan_start is not None:
            first = req.plan_start + ((year - req.plan_start) // p) * p
            return first, year, f"{first}—{first + p - 1}（截至{year}）"
        return year - p + 1, year, f"{year - p + 1}—{year}"

    def year_span(self, year: int) -> tuple[dt.date, dt.date]:
        """First and last day of counting year `year`."""
        first = dt.date(year, self.start_month, 1)
        return first, dt.date(year + 1, self.start_month, 1) - dt.timedelta(days=1)

    def _times(self, part: Part, learner: Learner, year: int, earned: Earned, first: int | None, last: int) -> tuple[int, str]:
        """Trainings counted for `part` (and the span, when it is the probation year): a part tied
        to 入党日期 counts only what falls from that day to `from_joining_years` later (never past
        the year reported); without the date, or without dated trainings, the counting years."""
        joined = getattr(learner, "joined_on", None)
        if not part.from_joining_years or joined is None:
            return earned.times(first, last, part.counts), ""
        try:
            end = joined.replace(year=joined.year + part.from_joining_years)
        except ValueError:  # joined on 29 February
            end = joined.replace(year=joined.year + part.from_joining_years, day=28)
        span = f"（{joined:%Y.%m.%d}—{end:%Y.%m.%d}）"
        if earned.dated:
            return earned.times_between(joined, min(end, self.year_span(year)[1]), part.counts), span
        return earned.times(self.year_of(joined), min(self.year_of(end), year), part.counts), span

    def assess(self, learner: Learner, year: int, earned: Earned) -> dict[str, Any]:
        """Required, earned and shortfall of one learner for one counting year, with the parts
        still missing ("其中 网络自学 差 20 学时", "集中培训 0/1 次")."""
        req = self.requirement_for(learner)
        if req is None or not req.demands_anything:
            got = round(earned.total(year, year, None), 2)
            return {"requirement": req.name if req else "", "window": str(year), "required": 0.0, "earned": got,
                    "shortfall": 0.0, "status": "无要求", "missing": ""}
        first, last, label = self.window_of(req, year)
        got = round(earned.total(first, last, req.counts), 2)
        shortfall = round(max(0.0, req.hours - got), 2)
        missing = []
        for part in req.includes:
            p_first, p_last, _ = self.window_of(req, year, part.period_years)
            if part.hours > 0:
                have = round(earned.total(p_first, p_last, part.counts), 2)
                if have + 1e-9 < part.hours:
                    missing.append(f"{part.label}{have:g}/{part.hours:g}学时")
            if part.times > 0:
                n, span = self._times(part, learner, year, earned, p_first, p_last)
                if n < part.times:
                    missing.append(f"{part.label}{n}/{part.times}次{span}")
        notes = []
        if any(p.from_joining_years for p in req.includes) and getattr(learner, "joined_on", None) is None:
            notes.append("未填入党日期，按全部集中培训计")  # the roster should give 入党日期
        if learner.rank and learner.category in self.category_map and not self.rank_level(learner.rank):
            notes.append(f"职级“{learner.rank}”未识别，按{req.name}计")  # the roster should say which rung
        met = shortfall == 0 and not missing
        return {"requirement": req.name, "window": label, "required": req.hours, "earned": got, "shortfall": shortfall,
                "status": "达标" if met else "未达标", "missing": "；".join(missing + notes)}


def is_committee(role: str, roles: tuple[str, ...]) -> bool:
    """Whether a 党内职务 names a seat on a branch committee; `roles`: the rules file's
    `roles.committee` (`Rules.committee_roles`, `ActivityRules.committee_roles`)."""
    return bool(role) and any(r in role for r in roles)


def committee_roles(data: dict[str, Any]) -> tuple[str, ...]:
    """`roles.committee` of a parsed rules file, the shipped list when the file has no such key
    (an empty list there means nobody): the hour rules and the activity rules both read it here."""
    return tuple(str(r) for r in _get(data.get("roles") or {}, "roles", "committee") or ())


def _problem(path: Path, message: str) -> InputError:
    return InputError(Problem(str(path), message))


def load_rules(path: Path | str | None = None) -> Rules:
    """Read and check a rules file; an error names the file and the field."""
    path = Path(path) if path else settings().rules
    if not path.exists():
        raise _problem(path, t("records.rules.not_found"))
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(Problem(str(path), t("records.rules.yaml", error=exc), mark.line + 1 if mark else None)) from exc
    try:
        return _parse(data, str(path))
    except (KeyError, TypeError, ValueError, LookupError) as exc:
        raise _problem(path, t("records.rules.bad_field", error=exc)) from exc


def _kinds(value: Any, where: str, known: set[str]) -> tuple[str, ...] | None:
    if value is None or value == "all":
        return None
    kinds = tuple(str(v) for v in value)
    unknown = [k for k in kinds if known and k not in known]
    if unknown:
        raise ValueError(f"{where}.counts: {'、'.join(unknown)} (forms: {'、'.join(sorted(known))})")
    return kinds


def _requirement(name: str, spec: dict[str, Any], known: set[str]) -> Requirement:
    where = f"requirements.{name}"
    window = str(spec.get("window", "rolling"))
    if window not in ("rolling", "plan"):
        raise ValueError(f"{where}.window = {window} (rolling | plan)")
    if window == "plan" and spec.get("plan_start") is None:
        raise ValueError(f"{where}.plan_start is needed for window: plan")
    parts = tuple(
        Part(label=str(p.get("label", "")), counts=_kinds(p.get("counts"), f"{where}.includes", known),
             hours=float(p.get("hours", 0)), times=int(p.get("times", 0)),
             period_years=int(p["period_years"]) if p.get("period_years") else None,
             from_joining_years=int(p["from_joining_years"]) if p.get("from_joining_years") else None)
        for p in spec.get("includes") or []
    )
    return Requirement(
        name=name, hours=float(spec["hours"]), period_years=int(spec.get("period_years", 1)), once=bool(spec.get("once", False)),
        source=str(spec.get("source", "")), counts=_kinds(spec.get("counts"), where, known), window=window,
        plan_start=int(spec["plan_start"]) if spec.get("plan_start") is not None else None, includes=parts,
    )


@functools.lru_cache(maxsize=1)
def _shipped_data() -> dict[str, Any]:
    return yaml.safe_load(DEFAULT_RULES.read_text(encoding="utf-8")) or {}


def shipped(*keys: str) -> Any:
    """A value of the shipped rules file (`shipped("online", "pass_bonus")`): what a key an
    organisation's own file leaves out falls back to, so no figure has to live in code."""
    value: Any = _shipped_data()
    for key in keys:
        value = value[key]
    return value


def _get(section: dict[str, Any], name: str, *keys: str) -> Any:
    """`section[keys[-1]]`, else the shipped file's value at `name`/`keys`."""
    return section[keys[-1]] if keys[-1] in section else shipped(name, *keys)


def _parse(data: dict[str, Any], path: str) -> Rules:
    year = data.get("year") or {}
    assessment = data.get("assessment") or {}
    online = data.get("online") or {}
    start_month = int(_get(year, "year", "start_month"))
    if not 1 <= start_month <= 12:
        raise ValueError(f"year.start_month = {start_month}")
    forms = {str(k): tuple(str(f) for f in v or []) for k, v in (data.get("forms") or shipped("forms")).items()}
    known = set(forms)
    requirements = {str(name): _requirement(str(name), spec, known) for name, spec in (data.get("requirements") or {}).items()}
    from zoneinfo import ZoneInfo

    timezone = str(_get(year, "year", "timezone"))
    ZoneInfo(timezone)  # an unknown zone fails here, naming the file
    method = str(_get(online, "online", "method"))
    if method not in METHODS:
        raise ValueError(f"online.method = {method} ({' | '.join(METHODS)})")
    missing = str(_get(online, "online", "missing_study_time"))
    if missing not in ("lesson_minutes", "none"):
        raise ValueError(f"online.missing_study_time = {missing} (lesson_minutes | none)")
    per_hour = online.get("per_hour") or {}
    minutes_per_hour = float(_get(per_hour, "online", "per_hour", "minutes_per_hour"))
    if minutes_per_hour <= 0:
        raise ValueError("online.per_hour.minutes_per_hour must be positive")
    same = []
    for n, group in enumerate(data.get("same_material") or [], start=1):
        pairs = [tuple(str(item).split("/", 1)) for item in group]
        if any(len(p) != 2 for p in pairs):
            raise ValueError(f"same_material[{n}]: write course/lesson")
        same.append(frozenset(pairs))
    roles = data.get("roles") or {}
    mark = _get(assessment, "assessment", "pass_mark")
    rules = Rules(
        start_month=start_month,
        split_across_years=bool(_get(year, "year", "split_across_years")),
        timezone=timezone,
        pass_mark=None if mark is None else float(mark),
        grades=sorted(((float(g["min"]), str(g["label"])) for g in _get(assessment, "assessment", "grades")), reverse=True),
        fail_label=str(_get(assessment, "assessment", "fail_label")),
        forms=forms,
        method=method,
        minutes_per_hour=minutes_per_hour,
        step=float(_get(per_hour, "online", "per_hour", "step")),
        tiers=sorted(((float(t["min_minutes"]), float(t["hours"])) for t in _get(online, "online", "tiers")), reverse=True),
        pass_bonus=float(_get(online, "online", "pass_bonus")),
        require_pass=bool(_get(online, "online", "require_pass")),
        missing_study_time=missing,
        same_material=same,
        rank_levels={str(k): tuple(str(r) for r in v or []) for k, v in (data.get("rank_levels") or {}).items()},
        requirements=requirements,
        category_map=dict(data.get("category_map") or {}),
        training_file=dict(data.get("training_file") or {}),
        committee_roles=committee_roles(data),
        role_requirement=str(roles.get("requirement") or ""),
        role_categories=tuple(str(c) for c in roles.get("for_categories") or ()),
        path=path,
    )
    if rules.role_requirement and rules.role_requirement not in requirements:
        raise ValueError(f"roles.requirement: no requirement named {rules.role_requirement}")
    for name, mapping in rules.category_map.items():
        for target in [*(mapping.get("by_level") or {}).values(), *(mapping.get("by_rank") or {}).values(), mapping.get("default")]:
            if target is not None and target not in requirements:
                raise ValueError(f"category_map.{name}: no requirement named {target}")
    cats = data.get("categories")
    rules.categories = [str(c) for c in cats] if cats else sorted(set(requirements) | set(rules.category_map))
    return rules
