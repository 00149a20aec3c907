"""Member facts kept on the roster: 政治生日 (入党日期) and who sits on a branch committee."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from . import ledger as L
from .rules import is_committee, load_rules


def political_birthdays(ledger_url: str, month: int, *, year: int | None = None, branch: str | None = None) -> list[dict[str, Any]]:
    """Members on the roster who joined the party in `month` (记录造册 for 政治生日 activities),
    with how many years they have been members in `year` (this year by default), by day."""
    year = year or dt.date.today().year
    with L.engine_for(ledger_url) as engine, engine.connect() as conn:
        query = sa.select(L.learners).where(L.learners.c.joined_on.is_not(None), L.learners.c.on_roster == sa.true())
        if branch is not None:
            query = query.where(L.learners.c.branch == branch)
        rows = conn.execute(query).mappings().all()
    out = [{"learner_id": r["id"], "name": r["name"], "branch": r["branch"], "joined_on": r["joined_on"],
            "years": year - r["joined_on"].year} for r in rows if r["joined_on"].month == month]
    return sorted(out, key=lambda r: (r["joined_on"].day, r["branch"], r["learner_id"]))


def committee(ledger_url: str, branch: str | None = None, *, rules_path: Path | str | None = None) -> list[dict[str, Any]]:
    """Branch secretaries and committee members (roster column 党内职务), by the rules file's
    `roles.committee`."""
    roles = load_rules(rules_path).committee_roles
    with L.engine_for(ledger_url) as engine, engine.connect() as conn:
        rows = conn.execute(sa.select(L.learners).where(L.learners.c.on_roster == sa.true())
                            .order_by(L.learners.c.branch, L.learners.c.id)).mappings().all()
    return [{"learner_id": r["id"], "name": r["name"], "branch": r["branch"], "role": r["role"]}
            for r in rows if is_committee(r["role"], roles) and (branch is None or r["branch"] == branch)]
