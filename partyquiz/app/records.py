"""The learner's own ledger rows and roster entry, their hours against the requirement and their
积分 (learning points).

Inside the hub they come from the `records` service, which answers for the caller's token only
(hub/records_service.py): the learner's server never holds the ledger URL. Outside the hub (one
person, or the tests' standalone Voilà) they are read from the ledger the settings name.

Hours are counted as the exports count them (`standing_for`): the online rows through
`exports.views.record_dicts`, the attended offline activities through
`records.activities.offline_dicts`, the requirement through `Rules.assess` (only the training
forms the requirement counts); points through `records.evaluation.learning_points`. Each over a
snapshot of this one learner's rows, so one learner's page never reads the whole ledger.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..model import Learner


@dataclass
class OwnRecords:
    records: list[dict[str, Any]] = field(default_factory=list)
    person: Learner | None = None
    problem: str | None = None  # the service could not be reached: say so, do not show 0 学时 as fact
    standing: dict[str, Any] | None = None  # `standing_for`: hours against the requirement, per year and course
    points: dict[str, Any] | None = None  # `standing_for`: this year's 积分 with where they came from


def learner_from(data: dict[str, Any] | None) -> Learner | None:
    if not data:
        return None
    try:
        return Learner(**{k: v for k, v in data.items() if k in Learner.model_fields})
    except ValueError:
        return None


def own_records(learner: str) -> OwnRecords:
    from ..settings import settings

    s = settings()
    if s.records_url and s.hub_api_token:
        return _from_service(s.records_url, s.hub_api_token)
    return from_ledger(s.ledger_url, learner)


def _from_service(url: str, token: str) -> OwnRecords:
    # urllib, not httpx: httpx's package imports its command line (click, rich, pygments' lexers),
    # ≈ 6 MB of every learner's kernel for one GET (measured)
    import json
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            data = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return OwnRecords(problem=f"{exc.code} {exc.reason} ({url})")
    except (OSError, ValueError) as exc:  # URLError, timeouts and refused connections are OSErrors
        return OwnRecords(problem=f"{exc} ({url})")
    if not isinstance(data, dict):
        return OwnRecords(problem=f"not a records answer ({url})")
    return OwnRecords(list(data.get("records") or []), learner_from(data.get("person")),
                      standing=data.get("standing"), points=data.get("points"))


def from_ledger(ledger_url: str, learner: str) -> OwnRecords:
    """Outside the hub only (the hub's learners never hold the ledger URL). One read of the ledger
    (`standing_for`) gives the rows, the roster entry, the hours and the points."""
    got = standing_for(ledger_url, learner)
    return OwnRecords(list(got.get("records") or []), learner_from(got.get("person")),
                      standing=got.get("standing"), points=got.get("points"))


PERSON_FIELDS = ("id", "name", "branch", "unit", "position", "category", "rank")  # never the ID number: the app needs no more


def _newest_first(records: list) -> list:
    """As `ledger.learner_records` lists them: newest first (undated last), then course, lesson."""
    rows = sorted(records, key=lambda r: (r.course_id, r.lesson_id))
    dated = sorted((r for r in rows if r.completed_at is not None), key=lambda r: r.completed_at, reverse=True)  # stable
    return dated + [r for r in rows if r.completed_at is None]


# --- hours and points, counted as the exports count them --------------------------------------------
def _snapshot(conn, learner: str):
    """`records.activities.Snapshot` holding this learner's rows only."""
    import sqlalchemy as sa

    from ..records import ledger as L
    from ..records.activities import Session, Snapshot

    row = conn.execute(sa.select(L.learners).where(L.learners.c.id == learner)).mappings().first()
    person = learner_from(dict(row)) if row is not None else None
    records = conn.execute(sa.select(L.records).where(L.records.c.learner_id == learner, L.records.c.current == sa.true())
                           .order_by(L.records.c.course_id, L.records.c.lesson_id)).all()
    # only this learner's attendance (indexed), not the 200,000 rows of everyone (activities.read_activities)
    mine = conn.execute(sa.select(L.attendance).where(L.attendance.c.learner_id == learner)).all()
    held = sorted({a.session_id for a in mine})
    sessions = [Session(**{k: v for k, v in r.items() if k != "imported_at"})
                for r in conn.execute(sa.select(L.sessions).where(L.sessions.c.id.in_(held)).order_by(L.sessions.c.date, L.sessions.c.id)).mappings()] if held else []
    tests = {(r.course_id, r.lesson_id) for r in conn.execute(
        sa.select(L.lessons.c.course_id, L.lessons.c.lesson_id).where(L.lessons.c.kind == "test"))}
    return Snapshot(sessions, mine, [dict(row)] if row is not None else [], [person] if person else [], records, tests)


def _ledger_data(conn, snap):
    import sqlalchemy as sa

    from ..exports.views import LedgerData
    from ..records import ledger as L

    courses = {r.id: r for r in conn.execute(sa.select(L.courses))}
    lessons = {(r.course_id, r.lesson_id): r for r in conn.execute(sa.select(L.lessons))}
    ids = [r.id for r in snap.records]
    regraded = {r[0] for r in conn.execute(sa.select(L.records.c.superseded_by).where(L.records.c.superseded_by.in_(ids)))} if ids else set()
    return LedgerData(people=snap.people, members=snap.people, courses=courses, lessons=lessons, records=snap.records, regraded=regraded)


def standing(rows: list[dict[str, Any]], person: Learner | None, learner: str, rules, year: int) -> dict[str, Any]:
    """Hours of one learner from export rows (online and offline): this year's against the
    requirement (`Rules.assess`: only the forms it counts), every year's, every course's."""
    from ..exports.views import earned_by_learner
    from ..records.rules import Earned

    earned = earned_by_learner(rows, rules).get(learner) or Earned()
    assessed = rules.assess(person or Learner.model_construct(id=learner, name=learner, category="", rank=""), year, earned)
    requirement = rules.requirement_for(person) if person is not None else None
    by_course: dict[str, dict[str, Any]] = {}
    offline = []
    for d in rows:
        course = by_course.setdefault(d["course_id"], {"title": d["course_title"], "hours": 0.0, "offline": bool(d.get("offline"))})
        course["hours"] = round(course["hours"] + float(d["hours"] or 0), 2)
        if d.get("offline"):
            offline.append({"title": d["lesson_title"], "kind": d["course_title"], "date": str(d["start_date"]),
                            "hours": round(float(d["hours"] or 0), 2), "year": d["year"]})
    return {
        "year": year, "requirement": assessed["requirement"], "window": assessed["window"],
        "required": float(assessed["required"]), "earned": float(assessed["earned"]), "shortfall": float(assessed["shortfall"]),
        "status": assessed["status"], "missing": assessed["missing"],
        "period_years": requirement.period_years if requirement and not requirement.once else 1,
        "counts": list(requirement.counts) if requirement and requirement.counts else None,
        "this_year": round(earned.total(year, year, None), 2),
        "by_year": {str(y): round(earned.total(y, y, None), 2) for y in sorted(earned.years(), reverse=True)},
        "by_course": by_course, "offline": sorted(offline, key=lambda o: o["date"], reverse=True),
    }


def standing_for(ledger_url: str, learner: str, rules=None, today=None) -> dict[str, Any]:
    """`{"records": …, "person": …, "standing": …, "points": …}` for one learner, from one read of
    the ledger (the records service answers with it): the current records newest first, the
    roster entry without the ID number, hours and 积分. Empty when there is no ledger yet:
    nothing graded, nothing attended."""
    import datetime as dt

    from ..exports.views import record_dicts
    from ..records import ledger as L
    from ..records.activities import load_activity_rules, offline_dicts
    from ..records.evaluation import learning_points
    from ..records.rules import load_rules
    from .lessons import local_time

    rules = rules or load_rules()
    today = today or local_time(dt.datetime.now(dt.timezone.utc), rules.timezone).date()
    year = rules.year_of(today)
    try:
        with L.engine_for(ledger_url) as engine, engine.connect() as conn:
            snap = _snapshot(conn, learner)
            data = _ledger_data(conn, snap)
    except Exception:  # no ledger yet (or not reachable): the page shows what it knows
        return {}
    rows = record_dicts(data, rules)
    try:
        rows += offline_dicts(snap.sessions, snap.attendance, snap.people, rules, load_activity_rules(rules.path or None))
    except Exception:  # a rules file without an `activities` section: no offline hours to add
        pass
    person = snap.people[0] if snap.people else None
    mine = next((p for p in learning_points(ledger_url, year, rules_path=rules.path or None, snapshot=snap, hour_rules=rules)
                 if p["learner_id"] == learner), {"points": 0.0, "detail": {}})
    row = snap.learners[0] if snap.learners else None
    try:
        records = [L._to_record(r).model_dump(mode="json") for r in _newest_first(snap.records)]
    except ValueError:  # a row the record model refuses: the list is left out, the hours still show
        records = []
    return {"records": records,
            "person": {k: row[k] for k in PERSON_FIELDS if k in row} if row is not None else None,
            "standing": standing(rows, person, learner, rules, year),
            "points": {"year": year, "points": float(mine["points"]), "detail": dict(mine["detail"])}}
