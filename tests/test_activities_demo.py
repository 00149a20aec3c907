"""The demo's simulated year of branch activities reaches every export."""
from __future__ import annotations

import csv
import datetime as dt

import pytest

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
    assert training and {float(r["学时"]) for r in training} == {24.0}  # 3 days × 8
    files = export_activities(url, tmp_path / "activities", 2026)
    assert len(files) == 14
    with (tmp_path / "activities" / "量化考评.csv").open(encoding="utf-8-sig") as fh:
        grades = {r["等次"] for r in csv.DictReader(fh)}
    assert grades and grades <= {"优秀", "合格", "基本合格", "不合格"}


def test_the_demo_course_is_online_with_a_stage_test():
    """courses/dangyuan-jiaoyu: two online lessons whose hours follow the rule (1 hour = 1 学时 of
    their expected minutes) and a stage test from both, with its own pass mark, time limit, weight."""
    from partyquiz.authoring import load_course
    from partyquiz.build import quiz_key
    from partyquiz.demo import default_course
    from partyquiz.records.rules import load_rules

    course, rules = load_course(default_course()), load_rules()
    lessons = [l for l in course.lessons if l.kind == "lesson"]
    [test] = [l for l in course.lessons if l.kind == "test"]
    assert rules.kind_of(course.form) == "在线自学" and len(lessons) == 2
    assert [(l.hours, l.minutes) for l in lessons] == [(1, 60), (1.5, 90)]
    # 45 minutes studied on the 60-minute lesson: 0.75; the whole 90 minutes of l2: its 1.5
    assert rules.lesson_hours(lessons[0], True, form=course.form, studied_minutes=45) == 0.75
    assert rules.lesson_hours(lessons[1], True, form=course.form, studied_minutes=90) == 1.5
    pools = {q for l in lessons for s in l.quiz.sections for q in s.pool}
    assert set(test.quiz.sections[0].pool) == pools  # from_lessons: [l1, l2]
    assert (course.pass_mark_for(test), test.quiz.time_limit_minutes, test.weight, test.hours) == (70, 20, 1, 0)
    assert quiz_key(course, test).max_score == 30  # 6 drawn × 5 points


@pytest.mark.slow
def test_demo_run_shows_online_crediting_the_stage_test_and_cadres_online_hours(tmp_path):
    """The demo end to end on 8 learners (the fast engine: the nbgrader one is the same chain,
    slower). Learners who studied less than a lesson's minutes earn less than its hours; the stage
    test has records and earns no hours; cadres who completed the 网络专题班 meet their online 50."""
    from partyquiz.demo import run_demo
    from partyquiz.grading.site import GraderSite

    result = run_demo(learners=10, branches=2, out=tmp_path / "out", site=GraderSite(root=tmp_path / "grader", exchange=tmp_path / "exchange"),
                      ledger_url=sqlite_url(tmp_path / "ledger.db"), engine="fast")
    with (tmp_path / "out" / "培训档案-课时明细.csv").open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    online = [r for r in rows if r["课时名称"] in ("党员教育的目标与自学", "党员教育培训的责任、制度和档案")]
    passed = [r for r in online if r["是否合格"] == "合格"]
    nominal = {"党员教育的目标与自学": 1.0, "党员教育培训的责任、制度和档案": 1.5}
    assert passed and all(0 < float(r["学时"]) <= nominal[r["课时名称"]] for r in passed)
    assert any(float(r["学时"]) < nominal[r["课时名称"]] for r in passed)  # crediting from the study time shows
    stage = [r for r in rows if r["课时名称"] == "阶段测试"]
    assert stage and {float(r["学时"]) for r in stage} == {0.0}
    with (tmp_path / "out" / "年度学时汇总.csv").open(encoding="utf-8-sig") as fh:
        yearly = {r["工号"]: r for r in csv.DictReader(fh)}
    cadres = [p for p in result.roster if p.category == "干部"]
    completed = {r["工号"] for r in rows if r["培训名称"].startswith("网络专题班")}
    assert completed and completed <= {p.id for p in cadres}
    for p in cadres:
        assert ("网络自学" in yearly[p.id]["说明"]) == (p.id not in completed), yearly[p.id]
    assert result.branches and {b["year"] for b in result.branches} == {2026}
