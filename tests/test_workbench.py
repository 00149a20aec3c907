"""The workbench's library: 作业总览 from one SQL query per source, the essay queue, marks through
nbgrader's Gradebook with first-save-wins, and feedback + ledger following a mark.

Real nbgrader gradebook and course root (helpers_grading), the fast engine, a real SQLite ledger.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from helpers_grading import essay_course, release, submit_direct  # noqa: E402

from partyquiz.grading.site import GraderSite
from partyquiz.pipeline import grade_and_roll_in
from partyquiz.draw import drawn_questions, seed_for
from partyquiz.records.ledger import learner_records
from partyquiz.workbench import marking, overview

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """An essay lesson, three learners submitted (two answered the essay), graded once."""
    tmp = tmp_path_factory.mktemp("wb")
    course = essay_course(tmp)
    site = GraderSite(root=tmp / "grader", exchange=tmp / "exchange")
    assignment, key = release(site, course, duedate="2026-05-01 12:00:00")
    for n, student in enumerate(("u0001", "u0002", "u0003")):
        drawn = drawn_questions(key.quiz, seed_for(key.course_id, key.assignment, student, key.quiz.id))
        values = {q: key.questions[q].answer for q in drawn if key.questions[q].type == "truefalse"}
        if n < 2:
            values["es-xinde"] = f"第{n + 1}位学员的心得：坚持三会一课。"
        stamp = "2026-05-02 10:00:00.000000 UTC" if n == 2 else "2026-05-01 10:00:00.000000 UTC"  # u0003 is late
        submit_direct(site, key, student, values, timestamp=stamp)
    ledger = f"sqlite:///{tmp / 'ledger.db'}"
    summary, _ = grade_and_roll_in(site, course, assignment, ledger_url=ledger, progress=False, collect=False, release_feedback=False)
    assert summary.graded == 3
    return site, course, assignment, key, ledger


def test_overview_counts_from_gradebook_ledger_and_disk(graded):
    site, course, assignment, key, ledger = graded
    rows = {r.assignment: r for r in overview.lesson_overview([course], site.gradebook_url, ledger, site.root)}
    row = rows[assignment]
    assert row.released and row.submitted == 3 and row.graded == 3
    assert row.late == 1
    assert row.essays_waiting == 2  # a blank essay scores 0 at once: nothing for a human to read
    assert row.average is not None and 0 <= row.average <= 100
    assert row.pass_rate is not None
    assert overview.percent(None) == "—" and overview.percent(float("nan")) == "—" and overview.percent(0.5) == "50.0%"


def test_overview_of_an_empty_site_shows_dashes_not_errors(tmp_path):
    from partyquiz.authoring import load_course
    from helpers_grading import SAMPLE

    course = load_course(SAMPLE)
    rows = overview.lesson_overview([course], f"sqlite:///{tmp_path / 'none.db'}", f"sqlite:///{tmp_path / 'l.db'}", tmp_path)
    assert rows and not rows[0].released and rows[0].graded == 0 and rows[0].average is None


def test_essay_queue_mark_and_first_save_wins(graded):
    site, course, assignment, key, ledger = graded
    queue = marking.essay_queue(site.gradebook_url, site.root, [course], names={"u0001": "张三"})
    assert [i.student for i in queue] == ["u0001", "u0002"]
    first = queue[0]
    assert first.stem == key.questions["es-xinde"].stem and "三会一课" in first.answer
    assert first.reference  # the rubric (explanation when no reference is set)
    assert marking.display_name(first, 1, blind=True).startswith("学员 #1")
    assert "张三" in marking.display_name(first, 1, blind=False)
    with pytest.raises(marking.MarkError, match="0 到 5"):
        marking.save_mark(site.gradebook_url, first, 6, seen=None)

    # two markers opened the same essay (both saw it unmarked): the first save wins
    a = marking.save_mark(site.gradebook_url, first, 4, "联系实际", seen=None)
    b = marking.save_mark(site.gradebook_url, first, 2, "太短", seen=None)
    assert a.saved and not b.saved and b.current == 4
    from nbgrader.api import Gradebook

    with Gradebook(site.gradebook_url) as gb:  # what formgrader shows
        grade = gb.find_grade(first.grade_id, first.notebook, assignment, "u0001")
        assert grade.manual_score == 4 and not grade.needs_manual_grade
        assert gb.find_comment(first.grade_id, first.notebook, assignment, "u0001").manual_comment == "联系实际"
    # the one who saw 4 may change it
    assert marking.save_mark(site.gradebook_url, first, 5, seen=4).saved
    left = marking.essay_queue(site.gradebook_url, site.root, [course])
    assert [i.student for i in left] == ["u0002"]


def test_after_a_mark_feedback_and_ledger_follow(graded):
    site, course, assignment, key, ledger = graded
    item = next(i for i in marking.essay_queue(site.gradebook_url, site.root, [course]) if i.student == "u0002")
    assert learner_records(ledger, "u0002") == []  # not complete while the essay waits: no record yet
    from partyquiz.answers import answers_path, load_answers
    from partyquiz.scoring import auto_score, grade_quiz

    answers = load_answers(answers_path(site.root / "submitted" / "u0002" / assignment, key.notebook)).answers
    before = auto_score(grade_quiz(key, "u0002", answers))
    assert marking.save_mark(site.gradebook_url, item, 3, seen=None).saved
    done = marking.refresh_learner(site, course, item, ledger_url=ledger)
    page = (site.root / "feedback" / "u0002" / assignment / f"{key.notebook}.html").read_text(encoding="utf-8")
    assert 'data-pending="0"' in page and "待教师批阅" not in page
    assert learner_records(ledger, "u0002")[0].score == pytest.approx(before + 3)
    assert done.problems == [] or all("发布" in p for p in done.problems)
