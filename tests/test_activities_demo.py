"""The demo's simulated year of branch activities reaches every export."""
from __future__ import annotations

import csv
import datetime as dt

from helpers_records import sqlite_url
from partyquiz.exports import export_all
from partyquiz.records.activity_exports import export_activities
from partyquiz.records.activities import list_sessions
from partyquiz.records.register import branch_register
from partyquiz.records.roster import store_roster
from partyquiz.records.simulate_activities import YEAR_PLAN, simulate_activities
from partyquiz.simulate import make_roster


def test_a_simulated_year_in_every_export(tmp_path):
    url = sqlite_url(tmp_path / "ledger.db")
    roster = make_roster(12, 2)
    store_roster(roster, url)
    imported = simulate_activities(url, roster, 2026, tmp_path / "签到表")
    assert imported and all(r.stored and not r.problems for r in imported)  # real 签到表 files went through the importer
    sessions = list_sessions(url, year=2026)
    planned = sum(len(months) for _, months, _ in YEAR_PLAN)
    assert planned * 2 * 0.8 < len(sessions) <= planned * 2  # a few meetings skipped on purpose
    assert branch_register(url, 2026, as_of=dt.date(2027, 1, 1))["behind"]  # so some branch falls behind
    export_all(url, tmp_path / "out")
    with (tmp_path / "out" / "培训档案-课时明细.csv").open(encoding="utf-8-sig") as fh:
        offline = [r for r in csv.DictReader(fh) if r["备注"].startswith("线下活动")]
    assert {r["工号"] for r in offline} == {p.id for p in roster}
    training = [r for r in offline if "集中培训" in r["培训名称"]]
    assert training and {float(r["学时"]) for r in training} == {16.0}  # 2 days × 8
    files = export_activities(url, tmp_path / "activities", 2026)
    assert len(files) == 14
    with (tmp_path / "activities" / "量化考评.csv").open(encoding="utf-8-sig") as fh:
        grades = {r["等次"] for r in csv.DictReader(fh)}
    assert grades and grades <= {"优秀", "合格", "基本合格", "不合格"}
