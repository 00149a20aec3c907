"""Offline activities (三会一课, 集中培训, 集体学习 …): sessions, their sign-in sheets, credited hours.

A session is one meeting or training of a branch; attendance says who was there (attended),
excused (leave) or absent. Hours are credited by the `activities` section of the rules file
(a day = 8 学时, half a day = 4, branch study 1 an hour, with their sources there) and reach the
same 培训档案, 年度学时汇总 and 支部汇总 as the online records (`offline_dicts`, which exports.gather calls).

Sign-in sheets (签到表, .xlsx or .csv in UTF-8 or GBK) are the ones branches already keep: a few
"名称：值" lines about the session above a table with 工号 and/or 姓名 and a 签到 column. A bad
sheet stores nothing (one transaction per sheet); every problem names the file and the row.
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import sqlalchemy as sa
import yaml
from pydantic import BaseModel, Field

from ..errors import InputError, Problem
from ..i18n import t
from ..model import Learner
from . import ledger as L
from .roster import _read_rows
from .rules import ONLINE

ATTENDED, LEAVE, ABSENT = "attended", "leave", "absent"
STATUS_LABEL = {ATTENDED: "出席", LEAVE: "请假", ABSENT: "缺席"}
OFFLINE_PREFIX = "线下:"  # offline rows carry course id "线下:<kind>" in the exports


class Session(BaseModel):
    """One offline activity of a branch."""

    id: str = ""  # filled from date, branch, kind and title when empty
    kind: str  # 党课, 支部党员大会 … (a key of activities.kinds)
    title: str
    date: dt.date
    end_date: dt.date | None = None
    days: float | None = Field(default=None, ge=0)  # length in days (全天 = 1, 半天 = 0.5), or
    clock_hours: float | None = Field(default=None, ge=0)  # length in clock hours
    organiser: str = ""
    branch: str = ""
    form: str = ""  # 现场 / 线上 / 站点集中收看 …
    source: str = ""

    def with_id(self) -> "Session":
        if self.id:
            return self
        digest = hashlib.sha1(f"{self.title}|{self.organiser}".encode()).hexdigest()[:6]
        return self.model_copy(update={"id": f"{self.date:%Y%m%d}-{self.branch}-{self.kind}-{digest}"})


class Attendance(BaseModel):
    learner_id: str
    status: str = ATTENDED  # attended | leave | absent
    note: str = ""


@dataclass(frozen=True)
class Meeting:
    """A required meeting frequency of 三会一课: `times` in every `every_months` months."""

    kind: str
    every_months: int
    times: int = 1
    attendees: str = "all"  # all | committee


@dataclass
class ActivityRules:
    day_hours: float
    half_day_hours: float
    per_clock_hour: float
    step: float
    kinds: dict[str, dict[str, str]]  # kind → {form, credit}
    statuses: dict[str, str]  # how a sheet writes it → attended | leave | absent
    meetings: dict[str, Meeting] = field(default_factory=dict)
    committee_roles: tuple[str, ...] = ()  # 党内职务 on a branch committee (rules file, `roles.committee`)
    path: str = ""

    def form_of(self, kind: str) -> str:
        return self.kinds.get(kind, {}).get("form", kind)

    def hours_for(self, session: Session) -> float:
        """Hours one attendee earns. Days: 8 a whole day, 4 a half day (a rest under half a day
        earns nothing); clock hours: 1 an hour, rounded down to `step`."""
        prefer = self.kinds.get(session.kind, {}).get("credit", "hours")
        by_days = session.days is not None and (prefer == "days" or session.clock_hours is None)
        if by_days:
            whole = math.floor(session.days + 1e-9)
            rest = session.days - whole
            return whole * self.day_hours + (self.half_day_hours if rest >= 0.5 - 1e-9 else 0.0)
        if session.clock_hours is None:
            return 0.0
        raw = session.clock_hours * self.per_clock_hour
        return math.floor(raw / self.step + 1e-9) * self.step if self.step else raw


def rules_yaml(path: Path) -> dict[str, Any]:
    """The parsed rules file, cached while the file is unchanged (the activity tables read their
    three sections of it several times per export)."""
    stat = path.stat()
    return _parsed(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=8)
def _parsed(path: str, mtime_ns: int, size: int) -> dict[str, Any]:
    return yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}


def load_activity_rules(path: Path | str | None = None) -> ActivityRules:
    """The `activities` section of the rules file; an error names the file and the field."""
    from ..settings import settings

    path = Path(path) if path else settings().rules
    try:
        data = rules_yaml(path).get("activities")
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(Problem(str(path), t("activities.rules.unreadable", error=exc))) from exc
    if not isinstance(data, dict):
        raise InputError(Problem(str(path), t("activities.rules.no_section")))
    try:
        credit = data["credit"]
        kinds = {str(k): {"form": str(v.get("form", k)), "credit": str(v.get("credit", "hours"))} for k, v in data["kinds"].items()}
        for kind, spec in kinds.items():
            if spec["credit"] not in ("days", "hours"):
                raise ValueError(f"activities.kinds.{kind}.credit = {spec['credit']} (days | hours)")
        statuses = {}
        for status, words in (data.get("attendance") or {}).items():
            if status not in STATUS_LABEL:
                raise ValueError(f"activities.attendance.{status} ({' | '.join(STATUS_LABEL)})")
            statuses.update({str(w).strip(): status for w in words})
        meetings = {}
        for kind, spec in (data.get("meetings") or {}).items():
            if str(kind) not in kinds:
                raise ValueError(f"activities.meetings.{kind}: not in activities.kinds")
            meeting = Meeting(str(kind), int(spec["every_months"]), int(spec.get("times", 1)), str(spec.get("attendees", "all")))
            if 12 % meeting.every_months or meeting.attendees not in ("all", "committee"):
                raise ValueError(f"activities.meetings.{kind}: every_months must divide 12, attendees all | committee")
            meetings[meeting.kind] = meeting
        from .rules import committee_roles

        return ActivityRules(day_hours=float(credit["day_hours"]), half_day_hours=float(credit["half_day_hours"]),
                             per_clock_hour=float(credit["per_clock_hour"]), step=float(credit.get("step", 0)),
                             kinds=kinds, statuses=statuses, meetings=meetings, committee_roles=committee_roles(rules_yaml(path)),
                             path=str(path))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InputError(Problem(str(path), t("activities.rules.bad_field", error=exc))) from exc


# ------------------------------------------------------------------ reading a sign-in sheet

META = {  # session field → labels a sheet writes before the table
    "title": ("会议名称", "活动名称", "活动主题", "主题", "培训名称", "名称", "title"),
    "kind": ("活动类型", "会议类型", "类型", "类别", "kind"),
    "date": ("日期", "时间", "会议时间", "活动时间", "培训时间", "date"),
    "length": ("时长", "会议时长", "活动时长", "培训时长", "length"),
    "organiser": ("组织者", "组织单位", "主办单位", "主持人", "主讲人", "organiser"),
    "branch": ("支部", "党支部", "所在支部", "branch"),
    "form": ("形式", "活动形式", "会议形式", "form"),
    "id": ("编号", "活动编号", "id"),
}
COLUMNS = {
    "learner_id": ("工号", "编号", "人员编号", "学号", "用户名", "id"),
    "name": ("姓名", "name"),
    "status": ("签到", "签到情况", "出席情况", "出勤", "出勤情况", "状态", "是否出席", "status"),
    "signature": ("签名", "本人签名", "签字", "signature"),
    "note": ("备注", "note"),
}


def _norm(text: object) -> str:
    return re.sub(r"\s+", "", str(text or "")).lower()


def _lookup(labels: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {_norm(alias): key for key, aliases in labels.items() for alias in aliases}


def _header_columns(header: list[str], labels: dict[str, tuple[str, ...]]) -> dict[str, int]:
    """A sheet's header row → {key: column index}, the first column of each key (labels: key →
    the ways a sheet writes it; spaces and case do not matter)."""
    names = _lookup(labels)
    columns: dict[str, int] = {}
    for index, cell in enumerate(header):
        key = names.get(_norm(cell))
        if key and key not in columns:
            columns[key] = index
    return columns


def _people_index(people: list[Learner]) -> tuple[dict[str, Learner], dict[str, list[Learner]]]:
    """(by id, by name) over the roster: a sheet names a person by 工号 or by 姓名."""
    by_name: dict[str, list[Learner]] = {}
    for p in people:
        by_name.setdefault(p.name, []).append(p)
    return {p.id: p for p in people}, by_name


def _cell(row: list[str], columns: dict[str, int], key: str) -> str:
    index = columns.get(key)
    return str(row[index]).strip() if index is not None and index < len(row) else ""


def parse_date_range(text: str) -> tuple[dt.date, dt.date | None]:
    """2026-03-15, 2026/3/15, 2026年3月15日, 2026.3.15, an Excel date, or 'start至end' / 'start—end'."""
    found = re.findall(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})", text)
    if not found:
        raise ValueError(t("activities.sheet.bad_date", text=text))
    dates = [dt.date(int(y), int(m), int(d)) for y, m, d in found[:2]]
    end = dates[1] if len(dates) > 1 and dates[1] != dates[0] else None
    if end and end < dates[0]:
        raise ValueError(t("activities.sheet.ends_before", text=text))
    return dates[0], end


def parse_length(text: str) -> tuple[float | None, float | None]:
    """(days, clock hours) from 全天 / 1天 / 半天 / 3天 / 2小时 / 1.5h / 90分钟 / a bare number (hours)."""
    t = _norm(text)
    if t in ("全天", "一天"):
        return 1.0, None
    if t in ("半天", "半日"):
        return 0.5, None
    if m := re.fullmatch(r"(\d+(?:\.\d+)?)(天|日|d|days?)", t):
        return float(m.group(1)), None
    if m := re.fullmatch(r"(\d+(?:\.\d+)?)(分钟|min|minutes?)", t):
        return None, float(m.group(1)) / 60
    if m := re.fullmatch(r"(\d+(?:\.\d+)?)(小时|个小时|h|hours?|学时)?", t):
        return None, float(m.group(1))
    raise ValueError(t("activities.sheet.bad_length", text=text))


def _meta_pair(row: list[str]) -> tuple[str, str] | None:
    cells = [c for c in row if str(c).strip()]
    if not cells:
        return None
    first = str(cells[0]).strip()
    for sep in ("：", ":"):
        if sep in first:
            key, _, value = first.partition(sep)
            return key, (value.strip() or (str(cells[1]).strip() if len(cells) > 1 else ""))
    if len(cells) >= 2:
        return first, str(cells[1]).strip()
    return None


@dataclass
class SheetResult:
    file: str
    session: Session | None = None
    attendance: list[Attendance] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    stored: bool = False

    @property
    def counts(self) -> dict[str, int]:
        out = {ATTENDED: 0, LEAVE: 0, ABSENT: 0}
        for a in self.attendance:
            out[a.status] += 1
        return out


def read_sign_in_sheet(path: Path | str, people: list[Learner], rules: ActivityRules, *,
                       defaults: dict[str, Any] | None = None) -> SheetResult:
    """Parse one 签到表 into a session and its attendance; every problem is collected (with row
    numbers as the spreadsheet shows them), nothing is stored here. `defaults` fill session fields
    the sheet does not give (e.g. the branch, from the CLI); the sheet wins over them."""
    path = Path(path)
    result = SheetResult(file=str(path))
    try:
        rows = _read_rows(path)
    except InputError as exc:
        result.problems.extend(exc.problems)
        return result
    meta_names = _lookup(META)
    meta: dict[str, tuple[str, int]] = {}
    header_at = None
    for n, row in enumerate(rows, start=1):
        normed = [_norm(c) for c in row]
        if any(c in ("姓名", "工号", "name") for c in normed):
            header_at = n
            break
        pair = _meta_pair(row)
        if pair and _norm(pair[0]) in meta_names:
            meta[meta_names[_norm(pair[0])]] = (pair[1], n)
    session = _session_from_meta(meta, defaults or {}, rules, str(path), result.problems)
    if header_at is None:
        result.problems.append(Problem(str(path), t("activities.sheet.no_header")))
        return result
    columns = _header_columns(rows[header_at - 1], COLUMNS)
    if "status" not in columns and "signature" not in columns:
        result.problems.append(Problem(str(path), t("activities.sheet.no_status"), header_at))
        return result
    result.attendance = _attendance_rows(rows[header_at:], header_at, columns, people, session, rules, str(path), result.problems)
    result.session = session
    return result


def _session_from_meta(meta: dict[str, tuple[str, int]], defaults: dict[str, Any], rules: ActivityRules,
                       file: str, problems: list[Problem]) -> Session | None:
    values: dict[str, Any] = {k: v for k, v in defaults.items() if v not in (None, "")}
    for key, (text, row) in meta.items():
        try:
            if key == "date":
                values["date"], values["end_date"] = parse_date_range(text)
            elif key == "length":
                values["days"], values["clock_hours"] = parse_length(text)
            elif text:
                values[key] = text
        except ValueError as exc:
            problems.append(Problem(file, str(exc), row))
    if "date" in values and isinstance(values["date"], str):
        values["date"], values["end_date"] = parse_date_range(values["date"])
    for key, label in (("kind", "活动类型"), ("title", "会议名称"), ("date", "日期")):
        if key not in values and not (key == "date" and "date" in meta):  # a date line that did not parse is named above
            problems.append(Problem(file, t("activities.sheet.missing_line", label=label)))
    if "kind" in values and values["kind"] not in rules.kinds:
        problems.append(Problem(file, t("activities.sheet.unknown_kind", kind=values["kind"], kinds="、".join(rules.kinds)),
                                meta.get("kind", ("", None))[1]))
    if values.get("days") is None and values.get("clock_hours") is None and "kind" in values:
        problems.append(Problem(file, t("activities.sheet.no_length")))
    if any(p.file == file for p in problems):
        return None
    values.setdefault("source", Path(file).name)
    return Session(**values).with_id()


def _attendance_rows(rows: list[list[str]], header_at: int, columns: dict[str, int], people: list[Learner],
                     session: Session | None, rules: ActivityRules, file: str, problems: list[Problem]) -> list[Attendance]:
    by_id, by_name = _people_index(people)
    seen: dict[str, int] = {}
    out = []

    def cell(row: list[str], key: str) -> str:
        return _cell(row, columns, key)

    for n, row in enumerate(rows, start=header_at + 1):
        learner_id, name = cell(row, "learner_id"), cell(row, "name")
        if not learner_id and not name:
            continue  # blank line, or a 序号 left without a person
        person = by_id.get(learner_id) if learner_id else _by_name(name, by_name, session)
        if person is None:
            who = learner_id or name
            why = "activities.sheet.name_ambiguous" if not learner_id and len(by_name.get(name, [])) > 1 else "activities.sheet.not_on_roster"
            problems.append(Problem(file, t(why, who=who), n))
            continue
        if learner_id and name and person.name != name:
            problems.append(Problem(file, t("activities.sheet.name_mismatch", id=learner_id, roster=person.name, sheet=name), n))
            continue
        status_text = cell(row, "status")
        if "status" in columns:
            status = rules.statuses.get(status_text) if status_text else ABSENT
            if status is None:
                problems.append(Problem(file, t("activities.sheet.bad_status", text=status_text), n, "签到"))
                continue
        else:  # only a signature column: signed = attended
            status = ATTENDED if cell(row, "signature") else ABSENT
        if person.id in seen:
            problems.append(Problem(file, t("activities.sheet.twice", who=f"{person.id} {person.name}", row=seen[person.id]), n))
            continue
        seen[person.id] = n
        out.append(Attendance(learner_id=person.id, status=status, note=cell(row, "note")))
    return out


def _by_name(name: str, by_name: dict[str, list[Learner]], session: Session | None) -> Learner | None:
    matches = by_name.get(name, [])
    if session and len(matches) > 1:
        matches = [p for p in matches if p.branch == session.branch] or matches
    return matches[0] if len(matches) == 1 else None


# ------------------------------------------------------------------ storing

def store_session(ledger_url: str, session: Session, attendance: Iterable[Attendance]) -> Session:
    """Write one session and its whole attendance list in one transaction (the workbench and the
    importer both call this). The same session again replaces its attendance, so re-importing a
    corrected sheet is safe."""
    session = session.with_id()
    rows = [{"session_id": session.id, "learner_id": a.learner_id, "status": a.status, "note": a.note} for a in attendance]
    bad = [r["status"] for r in rows if r["status"] not in STATUS_LABEL]
    if bad:
        raise ValueError(f"attendance status must be one of {', '.join(STATUS_LABEL)}: {bad[0]}")
    with L.engine_for(ledger_url) as engine, engine.begin() as conn:
        conn.execute(sa.delete(L.attendance).where(L.attendance.c.session_id == session.id))
        conn.execute(sa.delete(L.sessions).where(L.sessions.c.id == session.id))
        conn.execute(sa.insert(L.sessions).values(**session.model_dump(), imported_at=L.utcnow()))
        if rows:
            conn.execute(sa.insert(L.attendance), rows)
    return session


def store_sessions(ledger_url: str, sessions: Iterable[tuple[Session, Iterable[Attendance]]]) -> list[Session]:
    """Many sessions with their attendance in ONE transaction (a year of a branch from the
    workbench, the demo): all are stored or none. Each replaces an earlier copy of itself."""
    stored, session_rows, attendance_rows = [], [], []
    now = L.utcnow()
    for session, attendance in sessions:
        session = session.with_id()
        stored.append(session)
        session_rows.append({**session.model_dump(), "imported_at": now})
        attendance_rows.extend({"session_id": session.id, "learner_id": a.learner_id, "status": a.status, "note": a.note}
                               for a in attendance)
    bad = [r["status"] for r in attendance_rows if r["status"] not in STATUS_LABEL]
    if bad:
        raise ValueError(f"attendance status must be one of {', '.join(STATUS_LABEL)}: {bad[0]}")
    ids = [r["id"] for r in session_rows]
    with L.engine_for(ledger_url) as engine, engine.begin() as conn:
        for start in range(0, len(ids), 500):  # SQLite caps the parameters of one statement
            chunk = ids[start:start + 500]
            conn.execute(sa.delete(L.attendance).where(L.attendance.c.session_id.in_(chunk)))
            conn.execute(sa.delete(L.sessions).where(L.sessions.c.id.in_(chunk)))
        if session_rows:
            conn.execute(sa.insert(L.sessions), session_rows)
        if attendance_rows:
            conn.execute(sa.insert(L.attendance), attendance_rows)
    return stored


def import_attendance(ledger_url: str, paths: Iterable[Path | str], *, rules_path: Path | str | None = None,
                      defaults: dict[str, Any] | None = None) -> list[SheetResult]:
    """Import sign-in sheets: each good sheet is stored (one transaction each); a sheet with any
    problem stores nothing and the others go on. Returns one result per file."""
    rules = load_activity_rules(rules_path)
    with L.engine_for(ledger_url) as engine, engine.connect() as conn:
        people = L.load_learners(conn)
    results = []
    for path in paths:
        result = read_sign_in_sheet(path, people, rules, defaults=defaults)
        if not result.problems and result.session is not None:
            result.session = store_session(ledger_url, result.session, result.attendance)
            result.stored = True
        results.append(result)
    return results


def list_sessions(ledger_url: str, *, branch: str | None = None, year: int | None = None, kind: str | None = None,
                  rules_path: Path | str | None = None) -> list[dict[str, Any]]:
    """Sessions, oldest first, with attendance counts and the hours one attendee earns."""
    rules = load_activity_rules(rules_path)
    query = sa.select(L.sessions).order_by(L.sessions.c.date, L.sessions.c.branch, L.sessions.c.id)
    if branch:
        query = query.where(L.sessions.c.branch == branch)
    if kind:
        query = query.where(L.sessions.c.kind == kind)
    with L.engine_for(ledger_url) as engine, engine.connect() as conn:
        sessions = [Session(**{k: v for k, v in r.items() if k != "imported_at"}) for r in conn.execute(query).mappings()]
        counts: dict[str, dict[str, int]] = {}
        for sid, status, n in conn.execute(sa.select(L.attendance.c.session_id, L.attendance.c.status, sa.func.count())
                                           .group_by(L.attendance.c.session_id, L.attendance.c.status)):
            counts.setdefault(sid, {})[status] = n
    out = []
    for s in sessions:
        if year is not None and s.date.year != year:
            continue
        c = counts.get(s.id, {})
        out.append({**s.model_dump(), "hours": rules.hours_for(s), "attended": c.get(ATTENDED, 0),
                    "leave": c.get(LEAVE, 0), "absent": c.get(ABSENT, 0)})
    return out


def read_activities(conn: sa.Connection) -> tuple[list[Session], list[Any]]:
    sessions = [Session(**{k: v for k, v in r.items() if k != "imported_at"})
                for r in conn.execute(sa.select(L.sessions).order_by(L.sessions.c.date, L.sessions.c.id)).mappings()]
    return sessions, conn.execute(sa.select(L.attendance)).all()


@dataclass
class Snapshot:
    """What the activity views need, read from the ledger once (the register, the evaluation,
    the points and the activity tables share it: 200,000 attendance rows are read one time)."""

    sessions: list[Session]
    attendance: list[Any]
    learners: list[dict[str, Any]]  # ledger rows (on_roster, role, joined_on …)
    people: list[Learner]
    records: list[Any]  # current records
    tests: set[tuple[str, str]]  # (course, lesson) of stage tests

    @property
    def members(self) -> list[dict[str, Any]]:
        """Those on the current roster (everyone when no roster was ever imported)."""
        on = [r for r in self.learners if r["on_roster"]]
        return on or list(self.learners)


def read_snapshot(ledger_url: str) -> Snapshot:
    with L.engine_for(ledger_url) as engine, engine.connect() as conn:
        return snapshot_of(conn)


def snapshot_of(conn: sa.Connection) -> Snapshot:
    """The Snapshot on an open ledger connection (exports.gather reads it with the rest of the ledger)."""
    sessions, attendance = read_activities(conn)
    learners = [dict(r) for r in conn.execute(sa.select(L.learners).order_by(L.learners.c.branch, L.learners.c.id)).mappings()]
    people = L.people_of(learners)
    records = L.current_rows(conn)
    tests = {(r.course_id, r.lesson_id) for r in conn.execute(
        sa.select(L.lessons.c.course_id, L.lessons.c.lesson_id).where(L.lessons.c.kind == "test"))}
    return Snapshot(sessions, attendance, learners, people, records, tests)


# ------------------------------------------------------------------ into the exports

def offline_dicts(sessions: list[Session], attendance: list[Any], people: list[Learner], rules: Any,
                  activity_rules: ActivityRules) -> list[dict[str, Any]]:
    """One dict per attended session, with the keys of exports.views.record_dicts, so the 培训档案,
    年度学时汇总 and 支部汇总 count offline hours beside the online ones; `rules` is the hour Rules
    (year of a date, year-end split, kind of a form); only attendees earn hours. A session spanning
    a year end is split by its days (rules).

    Each kind of activity is one training class per person and year in the 培训档案 (course id
    "线下:党课" …, the sessions as its lessons); an attended session counts as passed. Offline
    rows have no score: score, max_score and percent are 0 and `offline` is True."""
    prefix = str(getattr(rules, "training_file", {}).get("number_prefix", ""))
    # person and session fields are built once and shared: 5,000 people × 40 sessions = 200,000 rows
    who = {p.id: {"learner_id": p.id, "name": p.name, "branch": p.branch, "unit": p.unit, "position": p.position,
                  "category": p.category, "rank": p.rank, "id_number": p.id_number, "file_number": prefix + p.id} for p in people}
    what: dict[str, list[dict[str, Any]]] = {}
    for s in sessions:
        hours = activity_rules.hours_for(s)
        end = s.end_date or s.date
        shares = rules.split_hours(s.date, end, hours) if end != s.date else {rules.year_of(s.date): hours}
        form = activity_rules.form_of(s.kind)
        course_id = f"{OFFLINE_PREFIX}{s.kind}"
        category = rules.training_category(course_id, form) if hasattr(rules, "training_category") else ""
        online = rules.kind_of(form) == ONLINE  # a 网络专题班 imported from its completion list is no offline class
        what[s.id] = [{
            "course_id": course_id, "lesson_id": s.id, "course_title": s.kind, "lesson_title": s.title,
            "training_name": f"{s.kind}（{'网络' if online else '线下'}）", "organiser": s.organiser or s.branch, "institution": s.branch,
            "form": form, "kind": rules.kind_of(form), "training_category": category,
            "start_date": s.date, "end_date": end, "year": year, "period": f"{s.date:%Y.%m.%d}—{end:%Y.%m.%d}",
            "hours": round(share, 2), "score": 0.0, "max_score": 0.0, "percent": 0.0,
            "result": STATUS_LABEL[ATTENDED], "passed": "合格",
            "completed_at": dt.datetime.combine(end, dt.time()), "rolled_at": None,
            "notes": ("网络培训：" if online else "线下活动：") + s.title, "batch_id": s.source, "offline": True,
        } for year, share in sorted(shares.items())]
    out = []
    for a in attendance:
        parts = what.get(a.session_id)
        if parts is None or a.status != ATTENDED:
            continue
        person = who.get(a.learner_id)
        if person is None:
            person = who[a.learner_id] = {**dict.fromkeys(("name", "branch", "unit", "position", "category", "rank", "id_number"), ""),
                                          "learner_id": a.learner_id, "name": a.learner_id, "file_number": prefix + a.learner_id}
        for part in parts:
            row = {**person, **part}
            if a.note:
                row["notes"] = f"{part['notes']}；{a.note}"
            out.append(row)
    return out

