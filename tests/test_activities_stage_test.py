"""Stage tests: a quiz drawing from two lessons' banks as its own assignment (own pass mark, time
limit, weight), graded by both engines with identical scores; the course result by its rule."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from helpers_grading import SAMPLE, submit_direct
from partyquiz.authoring import load_course
from partyquiz.build import build_course, quiz_key
from partyquiz.grading import gradebook as gbk
from partyquiz.grading.batch import grade_assignment
from partyquiz.grading.site import GraderSite
from partyquiz.model import Course, CourseResult, Lesson
from partyquiz.records.course_result import course_result
from partyquiz.scoring import grade_quiz
from partyquiz.simulate import make_roster, right_answer, wrong_answer

L1_POOL = ["sc-sanhui-dahui", "sc-zhiwei", "mc-si-jizhi", "tf-zuzhi-shenghuo", "tf-dangfei"]
L2_POOL = ["sc-dangke", "sc-jiti-xuexi", "mc-jili", "mc-guanli-zhidu", "tf-sixiang-huibao", "tf-biaozhang"]


def stage_course(tmp: Path) -> Course:
    folder = tmp / "course-stage"
    shutil.copytree(SAMPLE, folder)
    (folder / "lessons" / "t1.md").write_text("# 阶段测试\n\n本测试从第一、二课的题库中抽题。\n", encoding="utf-8")
    (folder / "lessons" / "l2.md").write_text("# 第二课\n\n党员教育管理的长效机制。\n", encoding="utf-8")
    data = yaml.safe_load((folder / "course.yml").read_text(encoding="utf-8"))
    first = data["lessons"][0]
    first["hours"] = 2
    first["quiz"]["sections"] = [{"title": "第一课", "pool": L1_POOL, "points": 2}]
    data["lessons"] = [first,
                       {"id": "l2", "title": "第二课", "file": "lessons/l2.md", "hours": 2,
                        "quiz": {"id": "quiz2", "sections": [{"title": "第二课", "pool": L2_POOL, "points": 2}]}},
                       {"id": "t1", "title": "阶段测试", "file": "lessons/t1.md", "hours": 0, "kind": "test", "weight": 2,
                        "pass_mark": 70,
                        "quiz": {"id": "stage", "time_limit_minutes": 30,
                                 "sections": [{"title": "综合题", "from_lessons": ["l1", "l2"], "draw": 6, "points": 5}]}}]
    data["result"] = {"rule": "weighted", "lessons_weight": 1, "pass_mark": 60}
    (folder / "course.yml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return load_course(folder)


def test_stage_test_draws_from_both_lessons_with_its_own_settings(tmp_path):
    course = stage_course(tmp_path)
    test = course.lesson("t1")
    assert (test.kind, test.weight, course.pass_mark_for(test), test.quiz.time_limit_minutes) == ("test", 2, 70, 30)
    assert test.quiz.sections[0].pool == L1_POOL + L2_POOL  # both lessons' banks, each question once
    key = quiz_key(course, test)
    assert key.max_score == 30  # 6 drawn × 5 points, the same for everyone
    drawn = {q for s in make_roster(20) for q in grade_quiz(key, s.id, {}).drawn}
    assert drawn & set(L1_POOL) and drawn & set(L2_POOL)
    with pytest.raises(ValueError, match="没有这些课时：nope"):
        Course.model_validate({"id": "x", "title": "x", "year": 2026, "lessons": [
            {"id": "t", "title": "t", "file": "t.md", "hours": 0, "kind": "test",
             "quiz": {"id": "q", "sections": [{"from_lessons": ["nope"], "pool": []}]}}]})


def test_course_result_by_rule():
    course = Course(id="c", title="c", year=2026, pass_mark=60, result=CourseResult(lessons_weight=1),
                    lessons=[Lesson(id="l1", title="a", file="a.md", hours=1), Lesson(id="l2", title="b", file="b.md", hours=1),
                             Lesson(id="t1", title="t", file="t.md", hours=0, kind="test", weight=2, pass_mark=70)])
    # lessons mean (80 + 60) / 2 = 70; (1 × 70 + 2 × 75) / 3 = 73.33
    got = course_result(course, {"l1": (80, True), "l2": (60, True), "t1": (75, True)})
    assert (got["percent"], got["passed"], got["lessons_percent"]) == (73.33, True, 70.0)
    # a failed test fails the course even above the mark (require_tests)
    assert course_result(course, {"l1": (100, True), "l2": (100, True), "t1": (65, False)})["passed"] is False
    # missing test: 0 % → (70 + 0) / 3 = 23.33
    assert course_result(course, {"l1": (80, True), "l2": (60, True)})["percent"] == 23.33
    strict = course.model_copy(update={"result": CourseResult(rule="all_pass")})
    assert course_result(strict, {"l1": (80, True), "l2": (50, False), "t1": (90, True)})["passed"] is False


def test_both_engines_score_the_stage_test_identically(tmp_path):
    course = stage_course(tmp_path)
    fast = GraderSite(root=tmp_path / "fast" / "grader", exchange=tmp_path / "fast" / "exchange")
    fast.prepare()
    build_course(course, fast.source)
    test = course.lesson("t1")
    assignment = course.assignment_name(test)
    fast.generate_and_release(assignment)
    key = quiz_key(course, test)
    import random

    students = [p.id for p in make_roster(6)]
    for n, student in enumerate(students):
        rng = random.Random(n)
        drawn = grade_quiz(key, student, {}).drawn
        submit_direct(fast, key, student, {q: right_answer(key.questions[q]) if rng.random() < n / 6 else wrong_answer(key.questions[q], rng)
                                           for q in drawn})
    shutil.copytree(tmp_path / "fast", tmp_path / "nbg")
    nbg = GraderSite(root=tmp_path / "nbg" / "grader", exchange=tmp_path / "nbg" / "exchange")
    grade_assignment(fast, course, assignment, engine="fast", collect=False, progress=False)
    grade_assignment(nbg, course, assignment, engine="nbgrader", workers=1, collect=False, progress=False)

    def scores(site):
        rows = gbk.read_rows(site.gradebook_url, assignment, students)
        return {s: rows[s].notebooks["t1"].auto_scores for s in students}

    ours, theirs = scores(fast), scores(nbg)
    assert ours == theirs
    totals = [sum(v.values()) for v in ours.values()]
    assert len(set(totals)) > 1 and max(totals) <= 30  # varied scores out of the test's own maximum
