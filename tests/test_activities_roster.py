"""Roster fields: 入党日期 (政治生日) and 党内职务 (branch secretaries, committee members)."""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from helpers_records import sqlite_url
from partyquiz.errors import InputError
from partyquiz.records import ledger as L
from partyquiz.records.activities import Session, load_activity_rules
from partyquiz.records.members import committee, political_birthdays
from partyquiz.records.register import attendance_rates
from partyquiz.records.roster import load_roster, store_roster, write_roster
from partyquiz.records.rules import DEFAULT_RULES, load_rules

ROSTER_CSV = """工号,姓名,支部,人员类别,入党日期,党内职务
a01,张三,一支部,党员,2001年7月1日,支部书记
a02,李四,一支部,党员,2015/7/20,
a03,王五,二支部,党员,1998.03.05,组织委员
a04,赵六,二支部,发展对象,,
"""


def test_joined_on_and_role_from_the_roster_into_the_ledger(tmp_path):
    path = tmp_path / "花名册.csv"
    path.write_text(ROSTER_CSV, encoding="gbk")
    roster = load_roster(path)
    assert [(p.joined_on, p.role) for p in roster] == [
        (dt.date(2001, 7, 1), "支部书记"), (dt.date(2015, 7, 20), ""), (dt.date(1998, 3, 5), "组织委员"), (None, "")]
    url = sqlite_url(tmp_path / "ledger.db")
    store_roster(roster, url)
    with L.engine_for(url) as engine, engine.connect() as conn:
        assert [(p.id, p.joined_on, p.role) for p in L.load_learners(conn)][0] == ("a01", dt.date(2001, 7, 1), "支部书记")
    july = political_birthdays(url, 7, year=2026)
    assert [(r["name"], r["years"]) for r in july] == [("张三", 25), ("李四", 11)]
    assert [r["name"] for r in political_birthdays(url, 7, year=2026, branch="二支部")] == []
    assert [(r["name"], r["role"]) for r in committee(url)] == [("张三", "支部书记"), ("王五", "组织委员")]
    # written back and read again: the same people
    again = load_roster(write_roster(roster, tmp_path / "out.csv"))
    assert [(p.joined_on, p.role) for p in again] == [(p.joined_on, p.role) for p in roster]


def test_bad_joined_on_names_the_row(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("工号,姓名,支部,人员类别,入党日期\na01,张三,一支部,党员,去年\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_roster(path)
    assert "r.csv:2" in str(err.value) and "入党日期" in str(err.value)


def _own_rules(tmp_path, committee_line: str):
    shipped = "  committee: [支部书记, 书记, 副书记, 支部副书记, 支部委员, 委员, 组织委员, 宣传委员, 纪检委员]\n"
    text = DEFAULT_RULES.read_text(encoding="utf-8")
    assert shipped in text
    path = tmp_path / "rules.yml"
    path.write_text(text.replace(shipped, committee_line), encoding="utf-8")
    return path


def test_an_organisations_own_committee_list_is_the_one_used(tmp_path):
    """roles.committee is read in one place: who sits on a committee, who is expected at 支委会
    and who has the secretaries' hour requirement all follow the organisation's list."""
    path = tmp_path / "花名册.csv"
    path.write_text(ROSTER_CSV, encoding="utf-8")
    url = sqlite_url(tmp_path / "ledger.db")
    store_roster(load_roster(path), url)
    own = _own_rules(tmp_path, "  committee: [组织委员]\n")  # 支部书记 is not on this organisation's list
    assert [r["name"] for r in committee(url, rules_path=own)] == ["王五"]
    assert load_activity_rules(own).committee_roles == load_rules(own).committee_roles == ("组织委员",)


def test_an_empty_committee_list_means_nobody_everywhere(tmp_path):
    own = _own_rules(tmp_path, "  committee: []\n")
    rules, activity_rules = load_rules(own), load_activity_rules(own)
    assert rules.committee_roles == activity_rules.committee_roles == ()
    assert not rules.is_committee("支部书记")
    # so the secretary is not expected at 支委会 either (the shipped list was used here before)
    meeting = Session(id="s1", kind="支委会", title="支委会", date=dt.date(2026, 3, 10), clock_hours=1, branch="一支部")
    member = {"id": "a01", "name": "张三", "branch": "一支部", "role": "支部书记"}
    rates = attendance_rates([meeting], [SimpleNamespace(session_id="s1", learner_id="a01", status="attended")], [member], 2026, activity_rules)
    assert (rates[0]["expected"], rates[0]["rate"]) == (0, None)
    shipped = attendance_rates([meeting], [SimpleNamespace(session_id="s1", learner_id="a01", status="attended")], [member], 2026, load_activity_rules())
    assert (shipped[0]["expected"], shipped[0]["rate"]) == (1, 1.0)
