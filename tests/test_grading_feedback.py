"""Learner feedback: answer, score and explanation per drawn question; never a key of a question
the learner was not drawn, never the pool's key; right answers only when the quiz reveals them."""
from __future__ import annotations

import random

import pytest

from helpers_grading import release, submit_direct
from partyquiz.answers import Answer
from partyquiz.grading.batch import grade_assignment
from partyquiz.grading.feedback import render_feedback
from partyquiz.scoring import grade_quiz
from partyquiz.simulate import simulated_answers


@pytest.fixture(scope="module")
def graded(tmp_path_factory, sample_course):
    from partyquiz.grading.site import GraderSite

    base = tmp_path_factory.mktemp("feedback")
    site = GraderSite(root=base / "grader", exchange=base / "exchange")
    site.prepare()
    assignment, key = release(site, sample_course)
    rng = random.Random(3)
    students = [f"fb{i:03d}" for i in range(40)]
    for student in students:
        submit_direct(site, key, student, simulated_answers(key, student, rng.random(), rng))
    summary = grade_assignment(site, sample_course, assignment, collect=False, progress=False)
    return site, assignment, key, students, summary


def test_every_learner_gets_a_feedback_page(graded):
    site, assignment, key, students, summary = graded
    assert summary.feedback == len(students)
    for student in students:
        assert (site.root / "feedback" / student / assignment / "l1.html").exists()


def test_no_feedback_file_holds_a_key_of_an_undrawn_question_or_of_the_pool(graded):
    site, assignment, key, students, _ = graded
    pool_key = key.model_dump_json()
    undrawn_seen = 0
    for page in (site.root / "feedback").rglob("*.html"):
        student = page.parent.parent.name
        html = page.read_text(encoding="utf-8")
        drawn = set(grade_quiz(key, student, {}).drawn)
        undrawn = [q for q in key.questions.values() if q.id not in drawn]
        undrawn_seen += len(undrawn)
        for question in undrawn:
            assert question.stem not in html and question.id not in html
            assert not question.explanation or question.explanation not in html
        assert pool_key not in html and "BEGIN HIDDEN TESTS" not in html and "score_in_notebook" not in html
        assert html.count('<div class="q ') == len(drawn)
    assert undrawn_seen >= len(students)  # the draw really left questions out


def test_right_answers_only_when_the_quiz_reveals_them(sample_course):
    from partyquiz.build import quiz_key

    key = quiz_key(sample_course, sample_course.lessons[0])
    result = grade_quiz(key, "u1", {})
    shown = render_feedback(key, result, "zh-CN")
    assert "正确答案" in shown and "解析" in shown and "（未作答）" in shown
    hidden_key = key.model_copy(deep=True)
    hidden_key.quiz.reveal_answers = False
    hidden = render_feedback(hidden_key, result, "zh-CN")
    assert "正确答案" not in hidden and "解析" in hidden
    for qid in result.drawn:
        question = key.questions[qid]
        if question.type == "single":
            right = next(o.text for o in question.options if o.correct)
            assert f"正确答案：{right}" in shown and f"正确答案：{right}" not in hidden


def test_learner_text_is_escaped_and_english_on_request(sample_course):
    from partyquiz.build import quiz_key

    key = quiz_key(sample_course, sample_course.lessons[0])
    student = "u1"
    qid = next(q for q in grade_quiz(key, student, {}).drawn if key.questions[q].type == "single")
    result = grade_quiz(key, student, {qid: Answer(value=["<script>alert(1)</script>"], saved_at="2026-05-01T10:00:00+08:00")})
    page = render_feedback(key, result, "en")
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Your answer" in page and "Question 1" in page and 'lang="en"' in page


@pytest.mark.slow
def test_the_instructors_essay_comment_reaches_the_learners_page_escaped(tmp_path):
    """Marked in the workbench (or in formgrader: both write nbgrader's comment row), then the
    learner's page is rebuilt: the comment is there under the essay, as text."""
    from nbgrader.api import Gradebook

    from helpers_grading import essay_course
    from partyquiz.draw import drawn_questions, seed_for
    from partyquiz.grading.site import GraderSite
    from partyquiz.workbench import marking

    course = essay_course(tmp_path)
    site = GraderSite(root=tmp_path / "grader", exchange=tmp_path / "exchange")
    assignment, key = release(site, course)
    for student in ("u0001", "u0002"):
        drawn = drawn_questions(key.quiz, seed_for(key.course_id, key.assignment, student, key.quiz.id))
        assert "es-xinde" in drawn
        submit_direct(site, key, student, {"es-xinde": "坚持三会一课，联系支部实际。"})
    grade_assignment(site, course, assignment, engine="fast", collect=False, release_feedback=False, progress=False)
    queue = {i.student: i for i in marking.essay_queue(site.gradebook_url, site.root, [course])}
    comment = "论述完整。\n<script>alert('x')</script> 建议结合 <b>本支部</b> 实例"
    assert marking.save_mark(site.gradebook_url, queue["u0001"], 4, comment, seen=None).saved
    marking.refresh_learner(site, course, queue["u0001"], ledger_url=None)
    page = (site.root / "feedback" / "u0001" / assignment / f"{key.notebook}.html").read_text(encoding="utf-8")
    assert "教师评语" in page and "论述完整。" in page and "建议结合 &lt;b&gt;本支部&lt;/b&gt; 实例" in page
    assert "<script>alert" not in page and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    # formgrader writes the same row through nbgrader's Gradebook: the rebuilt page reads it too
    with Gradebook(site.gradebook_url) as gb:
        gb.find_comment(queue["u0002"].grade_id, key.notebook, assignment, "u0002").manual_comment = "Good, 很好"
        gb.db.commit()
    assert marking.essay_marks(site.gradebook_url, "u0002", assignment)[1] == {"es-xinde": "Good, 很好"}
    assert marking.essay_marks(site.gradebook_url, "u0001", assignment) == ({"es-xinde": 4.0}, {"es-xinde": comment})
