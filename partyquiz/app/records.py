"""The learner's own ledger rows and roster entry (for the hour requirement).

Inside the hub they come from the `records` service, which answers for the caller's token only
(hub/records_service.py): the learner's server never holds the ledger URL. Outside the hub (one
person, or the tests' standalone Voilà) they are read from the ledger the settings name.
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
    import httpx

    try:
        response = httpx.get(url, headers={"Authorization": f"token {token}"}, timeout=15)
        response.raise_for_status()
        data = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        return OwnRecords(problem=str(exc))
    return OwnRecords(list(data.get("records") or []), learner_from(data.get("person")))


def records_for(ledger_url: str, learner: str) -> list[dict]:
    from ..records.ledger import learner_records

    try:
        return [r.model_dump(mode="json") for r in learner_records(ledger_url, learner)]
    except Exception:  # no ledger yet: nothing graded so far
        return []


def person_for(ledger_url: str, learner: str) -> dict | None:
    """The learner's own roster entry (category and rank decide the hour requirement), without
    the ID number: the app needs no more."""
    import sqlalchemy as sa

    from ..records.ledger import engine_for, learners

    try:
        with engine_for(ledger_url) as engine, engine.connect() as conn:
            row = conn.execute(sa.select(learners).where(learners.c.id == learner)).mappings().first()
    except Exception:  # no ledger yet
        return None
    if row is None:
        return None
    return {k: row[k] for k in ("id", "name", "branch", "unit", "position", "category", "rank") if k in row}


def from_ledger(ledger_url: str, learner: str) -> OwnRecords:
    """Outside the hub only (the hub's learners never hold the ledger URL)."""
    return OwnRecords(records_for(ledger_url, learner), learner_from(person_for(ledger_url, learner)))
