"""三会一课 register: per branch and period, meetings held against the required frequencies
(rules file, `activities.meetings`, with their sources), and each member's attendance rate.

Periods are calendar months, quarters and half-years of `year` (every_months = 1, 3, 6, 12). A
period that has not ended on `as_of` is "in progress": it is listed but never counts as behind.
"""
from __future__ import annotations

import datetime as dt
import html
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..i18n import t
from .activities import ABSENT, ATTENDED, LEAVE, ActivityRules, Session, Snapshot, load_activity_rules, read_snapshot
from .rules import is_committee


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date  # inclusive

    def label(self, every_months: int) -> str:
        if every_months == 1:
            return f"{self.start:%Y-%m}"
        if every_months == 3:
            return f"{self.start.year}Q{(self.start.month - 1) // 3 + 1}"
        if every_months == 6:
            return f"{self.start.year}H{(self.start.month - 1) // 6 + 1}"
        return str(self.start.year)


def periods(year: int, every_months: int) -> list[Period]:
    out = []
    for month in range(1, 13, every_months):
        start = dt.date(year, month, 1)
        last = month + every_months
        end = (dt.date(year + 1, 1, 1) if last > 12 else dt.date(year, last, 1)) - dt.timedelta(days=1)
        out.append(Period(start, end))
    return out


def meetings_held(sessions: list[Session], branches: list[str], year: int, rules: ActivityRules,
                  as_of: dt.date | None = None) -> list[dict[str, Any]]:
    """One row per branch, required meeting kind and period: held vs required, and `behind`."""
    count: dict[tuple[str, str, dt.date], int] = defaultdict(int)
    for s in sessions:
        meeting = rules.meetings.get(s.kind)
        if meeting is None or s.date.year != year:
            continue
        for p in periods(year, meeting.every_months):
            if p.start <= s.date <= p.end:
                count[(s.branch, s.kind, p.start)] += 1
    out = []
    for branch in branches:
        for meeting in rules.meetings.values():
            for p in periods(year, meeting.every_months):
                if as_of is not None and p.start > as_of:
                    continue  # not begun yet
                held = count[(branch, meeting.kind, p.start)]
                ongoing = as_of is not None and p.end >= as_of
                out.append({"branch": branch, "kind": meeting.kind, "period": p.label(meeting.every_months),
                            "start": p.start, "end": p.end, "required": meeting.times, "held": held,
                            "in_progress": ongoing, "behind": held < meeting.times and not ongoing})
    return out


def attendance_rates(sessions: list[Session], attendance: list[Any], members: list[dict[str, Any]], year: int,
                     rules: ActivityRules) -> list[dict[str, Any]]:
    """Per member: 三会一课 sessions of their own branch they were expected at (支委会 only for
    committee members), attended / on leave / absent, rate = attended / expected. A member a
    sheet does not list counts as absent."""
    status = {(a.session_id, a.learner_id): a.status for a in attendance}
    by_branch: dict[str, list[Session]] = defaultdict(list)
    for s in sessions:
        if s.kind in rules.meetings and s.date.year == year:  # 三会一课 periods are calendar months (register.periods)
            by_branch[s.branch].append(s)
    out = []
    for m in members:
        committee = is_committee(m.get("role", ""), rules.committee_roles)
        expected = [s for s in by_branch.get(m["branch"], [])
                    if rules.meetings[s.kind].attendees == "all" or committee]
        seen = {ATTENDED: 0, LEAVE: 0, ABSENT: 0}
        for s in expected:
            seen[status.get((s.id, m["id"]), ABSENT)] += 1
        out.append({"learner_id": m["id"], "name": m["name"], "branch": m["branch"], "role": m.get("role", ""),
                    "expected": len(expected), "attended": seen[ATTENDED], "leave": seen[LEAVE], "absent": seen[ABSENT],
                    "rate": round(seen[ATTENDED] / len(expected), 4) if expected else None})
    return out


def behind(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Branches that fell behind: per branch, the meetings short, e.g. 支委会 2026-03 (0/1)."""
    short: dict[str, list[str]] = defaultdict(list)
    for r in rows:
        if r["behind"]:
            short[r["branch"]].append(f"{r['kind']} {r['period']}（{r['held']}/{r['required']}）")
    return [{"branch": b, "missing": items, "count": len(items)} for b, items in sorted(short.items())]


def branch_register(ledger_url: str, year: int, *, as_of: dt.date | None = None, rules_path: Path | str | None = None,
                    branch: str | None = None, snapshot: Snapshot | None = None) -> dict[str, Any]:
    """The register of `year` from the ledger: {"meetings", "people", "behind"} (see the functions above).
    `as_of` defaults to today, so the current month or quarter is not yet counted as missed."""
    rules = load_activity_rules(rules_path)
    as_of = as_of or dt.date.today()
    data = snapshot or read_snapshot(ledger_url)
    sessions, attendance, members = data.sessions, data.attendance, data.members
    branches = sorted({m["branch"] for m in members} | {s.branch for s in sessions if s.kind in rules.meetings})
    if branch is not None:
        branches = [b for b in branches if b == branch]
        members = [m for m in members if m["branch"] == branch]
    meetings = meetings_held(sessions, branches, year, rules, as_of)
    return {"year": year, "meetings": meetings, "people": attendance_rates(sessions, attendance, members, year, rules),
            "behind": behind(meetings)}


def register_section_html(register: dict[str, Any], lang: str | None = None) -> str:
    """A self-contained HTML section for the report: branches behind on 三会一课, and each
    branch's mean attendance rate. Labels through i18n (Chinese by default)."""
    rates: dict[str, list[float]] = defaultdict(list)
    for p in register["people"]:
        if p["rate"] is not None:
            rates[p["branch"]].append(p["rate"])
    held: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in register["meetings"]:
        if not r["in_progress"]:
            held[r["branch"]][0] += min(r["held"], r["required"])
            held[r["branch"]][1] += r["required"]
    missing = {b["branch"]: b for b in register["behind"]}
    e = html.escape
    rows = []
    for branch in sorted(held):
        done, due = held[branch]
        mean = sum(rates[branch]) / len(rates[branch]) if rates[branch] else None
        gap = missing.get(branch)
        name = branch or t("activities.register.no_branch", lang)
        rate = "" if mean is None else f"{100 * mean:.1f}%"
        note = "；".join(gap["missing"]) if gap else t("activities.register.on_track", lang)
        css = ' class="behind"' if gap else ""
        rows.append(f"<tr{css}><td>{e(name)}</td><td>{done}/{due}</td><td>{rate}</td><td>{e(note)}</td></tr>")
    labels = [t("activities.register.branch", lang), t("activities.register.held", lang),
              t("activities.register.rate", lang), t("activities.register.missing", lang)]
    head = "".join(f"<th>{e(label)}</th>" for label in labels)
    summary = t("activities.register.summary", lang, year=register["year"], behind=len(missing), branches=len(held))
    return (f'<section class="register"><h2>{e(t("activities.register.title", lang))}</h2><p>{e(summary)}</p>'
            f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></section>")
