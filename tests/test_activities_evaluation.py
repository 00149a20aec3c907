"""量化考评 composite and grade by hand, qualitative fields and caps, learning points and the branch ranking."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from helpers_records import ROSTER, sqlite_url
from partyquiz.records import evaluation as E
from partyquiz.records import ledger as L
from partyquiz.records.activities import Attendance, Session, store_session
from partyquiz.records.roster import store_roster

WHEN = dt.datetime(2026, 3, 2, 1, 30)  # UTC


@pytest.fixture
def ledger(tmp_path):
    url = sqlite_url(tmp_path / "ledger.db")
    store_roster(ROSTER, url)
    with L.engine_for(url) as engine, engine.begin() as conn:
        conn.execute(sa.insert(L.courses), [{"id": "c1", "title": "党章", "organiser": "", "institution": "", "form": "在线", "year": 2026}])
        conn.execute(sa.insert(L.lessons), [
            {"course_id": "c1", "lesson_id": "l1", "title": "总纲", "hours": 2, "minutes": 45, "pass_mark": 60, "kind": "lesson"},
            {"course_id": "c1", "lesson_id": "l2", "title": "党员", "hours": 1, "minutes": 20, "pass_mark": 60, "kind": "lesson"},
            {"course_id": "c1", "lesson_id": "t1", "title": "阶段测试", "hours": 0, "minutes": 40, "pass_mark": 60, "kind": "test", "weight": 0.4}])
        rec = {"course_id": "c1", "passed": True, "completed_at": WHEN, "batch_id": "b1", "late": False, "current": True}
        conn.execute(sa.insert(L.records), [
            {**rec, "learner_id": "a01", "lesson_id": "l1", "assignment": "c1-l1", "score": 9, "max_score": 10, "hours": 2},
            {**rec, "learner_id": "a01", "lesson_id": "l2", "assignment": "c1-l2", "score": 7, "max_score": 10, "hours": 1},
            {**rec, "learner_id": "a01", "lesson_id": "t1", "assignment": "c1-t1", "score": 16, "max_score": 20, "hours": 0},
            {**rec, "learner_id": "a02", "lesson_id": "l1", "assignment": "c1-l1", "score": 10, "max_score": 10, "hours": 2}])
    for month in range(1, 7):  # six 集体学习 of 1.5 hours: 张三 at three, 李四 at all
        store_session(url, Session(kind="集体学习", title=f"{month}月学习", date=dt.date(2026, month, 5), clock_hours=1.5, branch="一支部"),
                      [Attendance(learner_id="a01", status="attended" if month <= 3 else "absent"), Attendance(learner_id="a02")])
    store_session(url, Session(kind="党课", title="党课", date=dt.date(2026, 6, 20), clock_hours=2, branch="一支部"),
                  [Attendance(learner_id="a01"), Attendance(learner_id="a02")])
    return url


def test_composite_grade_by_hand(ledger):
    E.record_evaluation(ledger, "a02", 2026, study_style="良", discipline="优", comment="学习认真", evaluator="支部")
    result = {r["learner_id"]: r for r in E.yearly_evaluation(ledger, 2026)}
    one = result["a01"]
    # 出勤 4 of 7 (6 集体学习 + 党课); quiz (90 + 70) / 2; stage test 16/20; hours (2+1 online + 3×1.5 + 2 offline) / 32;
    # 集体学习 3 + 党课 1 (rules: evaluation.collective_study_kinds) = 4 of 12 a year
    assert one["indicators"] == {"attendance": 57.14, "quiz": 80.0, "stage_tests": 80.0, "study_time": 29.69, "collective_study": 33.33}
    # (25×57.14 + 25×80 + 20×80 + 20×29.69 + 10×33.33) / 100 = 5955.6 / 100
    assert one["score"] == 59.56 and one["grade"] == "不合格"
    two = result["a02"]
    # 7 of 7; quiz 100; no stage test (left out, weights rescaled); (2 + 6×1.5 + 2) / 56 (书记和班子成员); 6 + 1 of 12
    assert two["indicators"] == {"attendance": 100.0, "quiz": 100.0, "stage_tests": None, "study_time": 23.21, "collective_study": 58.33}
    # (25×100 + 25×100 + 20×23.21 + 10×58.33) / 80 = 6047.5 / 80 = 75.59375
    assert two["score"] == 75.59 and two["grade"] == "合格"
    assert (two["study_style"], two["discipline"], two["comment"]) == ("良", "优", "学习认真")


def test_grade_bounds_and_qualitative_cap():
    rules = E.load_evaluation_rules()
    assert [rules.grade(s) for s in (95, 90, 89.99, 75, 74.99, 60, 59.99)] == ["优秀", "优秀", "合格", "合格", "基本合格", "基本合格", "不合格"]
    assert rules.grade(95, "差") == "基本合格"  # 纪律 差 caps the grade
    assert rules.grade(50, "差") == "不合格"  # a cap never raises
    assert rules.grade(None) == ""
    assert E.composite({"quiz": 80, "attendance": None}, {"quiz": 25, "attendance": 25}) == 80.0


def test_qualitative_values_are_checked(ledger):
    with pytest.raises(ValueError, match="纪律"):
        E.record_evaluation(ledger, "a01", 2026, discipline="很好")
    with pytest.raises(ValueError, match="花名册"):
        E.record_evaluation(ledger, "nobody", 2026, discipline="优")
    E.record_evaluation(ledger, "a01", 2026, discipline="中")
    E.record_evaluation(ledger, "a01", 2026, discipline="良", comment="改正了")  # the second replaces the first
    assert E.evaluations(ledger, 2026)["a01"]["discipline"] == "良"


def test_points_and_branch_ranking(ledger):
    points = {p["learner_id"]: p for p in E.learning_points(ledger, 2026)}
    # 张三: 2 lessons × 1 + 2 passed × 2 + stage test 5 + 3 集体学习 × 1 + 党课 2
    assert points["a01"]["points"] == 16 and points["a01"]["detail"]["stage_test_passed"] == 5
    # 李四: 1 + 2 + 6 × 1 + 2
    assert points["a02"]["points"] == 11 and points["a03"]["points"] == 0
    assert E.branch_ranking(list(points.values())) == [
        {"branch": "一支部", "members": 2, "total": 27.0, "mean": 13.5, "rank": 1},
        {"branch": "二支部", "members": 2, "total": 0.0, "mean": 0.0, "rank": 2}]
    assert E.learner_points(ledger, "a02")["points"] == 11
    assert E.learning_points(ledger, 2025)[0]["points"] == 0


def test_sessions_across_the_year_end_and_collective_study_kinds_from_the_rules(ledger, tmp_path):
    # a03 (发展对象, 24 学时 required) at a 4-day 集中培训 2025-12-30 … 2026-01-02: 4 × 8 = 32 学时,
    # two days in each year → 16 + 16; and at a 集体学习 on 2025-12-31 (counted in 2025 only)
    store_session(ledger, Session(kind="集中培训", title="冬训", date=dt.date(2025, 12, 30), end_date=dt.date(2026, 1, 2), days=4,
                                  branch="二支部"), [Attendance(learner_id="a03")])
    store_session(ledger, Session(kind="集体学习", title="年终学习", date=dt.date(2025, 12, 31), clock_hours=1, branch="二支部"),
                  [Attendance(learner_id="a03")])
    by_year = {y: {r["learner_id"]: r for r in E.yearly_evaluation(ledger, y)}["a03"]["indicators"] for y in (2025, 2026)}
    # 2025: (16 + 1) / 24 = 70.83; 1 of 12 集体学习 = 8.33.  2026: 16 / 24 = 66.67; no 集体学习
    assert (by_year[2025]["study_time"], by_year[2025]["collective_study"]) == (70.83, 8.33)
    assert (by_year[2026]["study_time"], by_year[2026]["collective_study"]) == (66.67, 0.0)
    # which kinds count as 集体学习 is data: without 党课, a01 is back to 3 of 12
    from partyquiz.records.rules import DEFAULT_RULES

    own = tmp_path / "rules.yml"
    own.write_text(DEFAULT_RULES.read_text(encoding="utf-8").replace(
        "collective_study_kinds: [集体学习, 党课, 站点集中收看]", "collective_study_kinds: [集体学习]"), encoding="utf-8")
    one = {r["learner_id"]: r for r in E.yearly_evaluation(ledger, 2026, rules_path=own)}["a01"]
    assert one["indicators"]["collective_study"] == 25.0


def _rules_with(tmp_path, line: str):
    from partyquiz.records.rules import DEFAULT_RULES

    own = tmp_path / "rules.yml"
    text = DEFAULT_RULES.read_text(encoding="utf-8")
    assert "  follow_up: [基本合格, 不合格]\n" in text
    own.write_text(text.replace("  follow_up: [基本合格, 不合格]\n", line), encoding="utf-8")
    return own


def test_follow_up_written_as_one_grade_lists_that_grade(ledger, tmp_path):
    """`follow_up: 不合格` (a scalar) is that grade, not the characters 不, 合 and 格: the report
    lists 张三 (59.56) and the two members of 二支部 with nothing this year (0) — all 不合格."""
    from partyquiz.records.activity_report import activity_sections_html

    own = _rules_with(tmp_path, "  follow_up: 不合格\n")
    assert E.load_evaluation_rules(own).follow_up == ("不合格",)
    page = activity_sections_html(ledger, 2026, rules_path=own)
    section = page.split('class="follow-up"')[1]
    assert "2026 年度需关注人员（3 人）" in section
    assert [name in section for name in ("张三", "李四", "欧阳娜", "王五")] == [True, False, True, True]
    assert E.load_evaluation_rules().follow_up == ("基本合格", "不合格")
    unset = _rules_with(tmp_path, "")
    assert E.load_evaluation_rules(unset).follow_up == ("不合格",)  # the lowest grade


def test_a_follow_up_grade_that_does_not_exist_names_the_file(tmp_path):
    from partyquiz.errors import InputError

    own = _rules_with(tmp_path, "  follow_up: [很差]\n")
    with pytest.raises(InputError) as err:
        E.load_evaluation_rules(own)
    assert str(own) in str(err.value) and "follow_up" in str(err.value)
