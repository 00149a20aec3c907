"""The course result in the 培训档案 and 支部汇总 follows course.yml's rule (weights, stage tests),
the 量化考评 with 学风 / 纪律 / 评语 is in the 培训档案 and the report, and publish writes the same
files in two processes as in one.

c2 "党史学习" (online, pass mark 60): lessons l1 (2 学时, 120 min) and l2 (1 学时, 60 min), and a
stage test t1 (kind test, weight 2, pass mark 60, 0 学时). Default rule (course.yml `result`):
weighted, lessons_weight 1, require_tests.
  a01: l1 8/10, l2 4/10 (failed), t1 9/10 → lessons (80 + 40) / 2 = 60; (1 × 60 + 2 × 90) / 3 = 80
       → passed (良好), although l2 failed and the plain mean of all three is 70;
  a02: l1 10, l2 10, t1 5/10 (failed) → (100 + 2 × 50) / 3 = 66.67 ≥ 60, but the test failed → 不合格;
  a03: l1 9 only → lessons (90 + 0) / 2 = 45, test 0 → 15 → 不合格, 未完成 党员 and 阶段测试.
With lessons_weight 3 (a course.yml given to the export): a01 → (3 × 60 + 2 × 90) / 5 = 72 (合格).
"""
from __future__ import annotations

import csv
import datetime as dt
import os

import pytest
from openpyxl import load_workbook

from bulk_gradebook import Sub, build_gradebook
from helpers_records import ROSTER, empty_gradebook, sqlite_url
from partyquiz.exports import branch_summary, export_all
from partyquiz.model import Course, CourseResult, Lesson
from partyquiz.records.evaluation import record_evaluation, yearly_evaluation
from partyquiz.records.rollin import roll_in
from partyquiz.report import write_report

C2 = Course(id="c2", title="党史学习", organiser="机关党委", institution="党校", form="在线", year=2026, pass_mark=60,
            lessons=[Lesson(id="l1", title="总纲", file="l1.md", hours=2, minutes=120), Lesson(id="l2", title="党员", file="l2.md", hours=1, minutes=60),
                     Lesson(id="t1", title="阶段测试", file="t1.md", hours=0, kind="test", weight=2, pass_mark=60)])
WHEN = dt.datetime(2026, 4, 1, 2, 0)
MARKS = {("a01", "l1"): 8, ("a01", "l2"): 4, ("a01", "t1"): 9, ("a02", "l1"): 10, ("a02", "l2"): 10, ("a02", "t1"): 5, ("a03", "l1"): 9}


@pytest.fixture(scope="module")
def ledger(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("course-result")
    gradebook = empty_gradebook(tmp / "gradebook.db")
    build_gradebook(gradebook, {f"c2-{l}": 10.0 for l in ("l1", "l2", "t1")}, [Sub(w, f"c2-{l}", float(m), WHEN) for (w, l), m in MARKS.items()])
    url = sqlite_url(tmp / "ledger.db")
    roll_in(url, gradebook, [C2], roster=ROSTER)
    record_evaluation(url, "a02", 2026, study_style="差", discipline="良", comment="学习不够主动，阶段测试需补考", evaluator="王书记")
    return url


def _csv(path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def test_training_file_follows_the_course_rule_with_a_stage_test(ledger, tmp_path):
    export_all(ledger, tmp_path)  # the ledger alone: kind and weight stored at roll-in, the default rule
    rows = {r["工号"]: r for r in _csv(tmp_path / "培训档案.csv")}
    assert [(w, rows[w]["成绩"], rows[w]["考核结果"], rows[w]["是否合格"], rows[w]["证书"]) for w in ("a01", "a02", "a03")] == [
        ("a01", "80", "良好", "合格", "结业证书"), ("a02", "66.7", "不合格", "不合格", ""), ("a03", "15", "不合格", "不合格", "")]
    assert "未通过：党员，需补考" in rows["a01"]["备注"]  # the failed lesson still earns no hours and is named
    assert "未完成：党员、阶段测试" in rows["a03"]["备注"]
    branches = {(r["支部"], r["课程（班次）"]): r for r in _csv(tmp_path / "支部汇总.csv")}
    assert (branches[("一支部", "党史学习")]["全部合格人数"], branches[("一支部", "党史学习")]["完成率（%）"]) == ("1", "50")
    assert branches[("二支部", "党史学习")]["全部合格人数"] == "0"


def test_a_course_rule_given_to_the_export_is_used(ledger, tmp_path):
    heavier = C2.model_copy(update={"result": CourseResult(lessons_weight=3)})
    export_all(ledger, tmp_path, courses=[heavier])
    rows = {r["工号"]: r for r in _csv(tmp_path / "培训档案.csv")}
    assert (rows["a01"]["成绩"], rows["a01"]["考核结果"]) == ("72", "合格")


def test_branch_summary_follows_the_course_rule_it_is_given(ledger, tmp_path):
    """The workbench, dashboard and demo show branch_summary beside the 支部汇总 publish writes
    with the course.yml rule: both follow it. all_pass: a01 failed l2, a02 the test, a03 missed
    two → nobody passed c2 (the default rule passes a01: 一支部 1 of 2, 50 %)."""
    strict = C2.model_copy(update={"result": CourseResult(rule="all_pass")})
    export_all(ledger, tmp_path, courses=[strict])
    file = {r["支部"]: r for r in _csv(tmp_path / "支部汇总.csv") if r["课程（班次）"] == "党史学习"}
    on_screen = branch_summary(ledger, "c2", year=2026, courses=[strict])
    assert [(r["branch"], r["passed"], r["completion"]) for r in on_screen] == [("一支部", 0, 0.0), ("二支部", 0, 0.0)]
    assert [(file[r["branch"]]["全部合格人数"], file[r["branch"]]["完成率（%）"]) for r in on_screen] == [("0", "0"), ("0", "0")]
    totals = branch_summary(ledger, year=2026, courses=[strict])
    assert [(r["course"], r["passed"]) for r in totals] == [("（全部课程）", 0), ("（全部课程）", 0)]
    assert [r["passed"] for r in branch_summary(ledger, "c2", year=2026)] == [1, 0]  # the default rule


def test_branch_summary_finds_the_course_by_id_when_two_share_a_title(tmp_path):
    """c3 has c2's title: its row is c3's (only a04 of 二支部 took it), never c2's."""
    c3 = Course(id="c3", title=C2.title, year=2026, lessons=[Lesson(id="l1", title="总纲", file="l1.md", hours=1, minutes=60)])
    gradebook = empty_gradebook(tmp_path / "gradebook.db")
    build_gradebook(gradebook, {"c2-l1": 10.0, "c3-l1": 10.0},
                    [Sub("a01", "c2-l1", 8.0, WHEN), Sub("a02", "c2-l1", 9.0, WHEN), Sub("a04", "c3-l1", 7.0, WHEN)])
    url = sqlite_url(tmp_path / "ledger.db")
    roll_in(url, gradebook, [C2, c3], roster=ROSTER)
    rows = branch_summary(url, "c3", year=2026)
    assert [(r["branch"], r["course"], r["submitted"], r["passed"], r["mean_score"]) for r in rows] == [
        ("一支部", "党史学习", 0, 0, None), ("二支部", "党史学习", 1, 1, 70.0)]
    assert set(rows[0]) == {"branch", "year", "course", "learners", "party_members", "submitted", "passed", "completion",
                            "mean_score", "hours", "short"}


def test_evaluation_in_the_training_file_and_the_report(ledger, tmp_path):
    files = export_all(ledger, tmp_path, per_learner=True)
    expected = {r["learner_id"]: r for r in yearly_evaluation(ledger, 2026)}
    sheet = load_workbook(tmp_path / "培训档案.xlsx")["年度考评"]
    rows = [dict(zip([c.value for c in sheet[1]], [c.value for c in row])) for row in sheet.iter_rows(min_row=2)]
    assert [r["工号"] for r in rows] == ["a01", "a02", "a03", "a04"]  # every roster member, by branch
    a02 = next(r for r in rows if r["工号"] == "a02")
    assert (a02["年度"], a02["学风"], a02["纪律"], a02["评语"]) == (2026, "差", "良", "学习不够主动，阶段测试需补考")
    # by hand (rules.yml evaluation): no sessions, so attendance is left out and the weights are
    # quiz 25, stage tests 20, study time 20, collective study 10; quiz (100 + 100) / 2 = 100,
    # stage test 50, study time 3 of 56 学时 = 5.36 %, collective study 0 of 12:
    # (25 × 100 + 20 × 50 + 20 × 5.36 + 10 × 0) / 75 = 48.1 → 不合格
    assert (a02["综合得分"], a02["考评等次"]) == (48.1, "不合格") == (expected["a02"]["score"], expected["a02"]["grade"])
    assert tmp_path / "培训档案-年度考评.csv" in files
    mine = load_workbook(tmp_path / "培训档案" / "a02-李四.xlsx")
    assert mine.sheetnames == ["培训档案", "年度考评"] and mine["年度考评"]["H2"].value == "差"
    page = write_report(ledger, tmp_path / "report.html", year=2026).read_text(encoding="utf-8")
    assert "需关注人员" in page and "学习不够主动，阶段测试需补考" in page and "<td>差</td>" in page
    anonymous = write_report(ledger, tmp_path / "anon.html", year=2026, pseudonymise=True).read_text(encoding="utf-8")
    assert "学习不够主动" in anonymous and "李四" not in anonymous and ">a02<" not in anonymous


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="two processes need two cores")
def test_publish_in_two_processes_writes_what_one_process_writes(ledger, tmp_path):
    from partyquiz.publish import write_exports_and_report

    two = write_exports_and_report(ledger, tmp_path / "two", courses=[C2])
    one = write_exports_and_report(ledger, tmp_path / "one", courses=[C2], parallel=False)
    assert [p.relative_to(tmp_path / "two") for p in two] == [p.relative_to(tmp_path / "one") for p in one]
    assert two[-1].name == "report.html"
    for a, b in zip(two, one):
        if a.suffix == ".csv":
            assert a.read_bytes() == b.read_bytes(), a.name


def test_activity_tables_on_request_are_of_the_reports_year(ledger, tmp_path):
    """The ledger has no sessions: publish writes no activity tables, unless asked (the workbench
    offers them as registers to fill); then of the report's year (2026, the latest with records)
    from the same read."""
    from partyquiz.publish import write_exports_and_report

    plain = write_exports_and_report(ledger, tmp_path / "plain", courses=[C2], parallel=False)
    assert not any(p.parent.name == "线下活动" for p in plain)
    asked = write_exports_and_report(ledger, tmp_path / "asked", courses=[C2], parallel=False, activity_tables=True)
    tables = {p.name for p in asked if p.parent.name == "线下活动"}
    assert {"活动台账.xlsx", "出勤明细.csv", "三会一课.xlsx", "出勤率.csv", "量化考评.csv", "积分.csv"} <= tables
    evaluation = _csv(tmp_path / "asked" / "线下活动" / "量化考评.csv")
    assert {r["年度"] for r in evaluation} == {"2026"} and [r["工号"] for r in evaluation] == ["a01", "a02", "a03", "a04"]
    assert _csv(tmp_path / "asked" / "线下活动" / "活动台账.csv") == []  # no sessions: the header only
    # the main exports are those of a publish without the tables
    assert [p.name for p in asked if p.parent.name != "线下活动"] == [p.name for p in plain]
    for name in ("培训档案.csv", "支部汇总.csv", "培训档案-年度考评.csv"):
        assert (tmp_path / "asked" / name).read_bytes() == (tmp_path / "plain" / name).read_bytes()


def test_an_error_in_the_export_process_is_raised(ledger, tmp_path):
    from partyquiz.publish import write_exports_and_report

    (tmp_path / "培训档案.xlsx").mkdir(parents=True)  # the main exports cannot write their first file
    with pytest.raises(OSError):
        write_exports_and_report(ledger, tmp_path, courses=[C2])
    assert (tmp_path / "report.html").exists()  # the other process finished its part
