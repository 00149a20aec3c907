"""Per-learner draws are deterministic, and the key never reaches release/."""
from __future__ import annotations

import re

from partyquiz.answers import AnswerStore
from partyquiz.build import build_course, quiz_key
from partyquiz.draw import drawn_questions, option_order, seed_for
from partyquiz.scoring import grade_quiz


def test_draw_is_the_same_for_the_same_learner_and_differs_between_learners(sample_course):
    key = quiz_key(sample_course, sample_course.lessons[0])
    draws = {lid: drawn_questions(key.quiz, seed_for(key.course_id, key.assignment, lid, key.quiz.id)) for lid in ("u1", "u2", "u3", "u4", "u5")}
    assert draws["u1"] == drawn_questions(key.quiz, seed_for(key.course_id, key.assignment, "u1", key.quiz.id))
    assert all(len(d) == 4 + 3 + 3 for d in draws.values())  # 3 of the 4 true/false questions
    assert len({tuple(d) for d in draws.values()}) > 1
    orders = {tuple(option_order(key.quiz, seed_for(key.course_id, key.assignment, lid, key.quiz.id), "sc-zhiwei", ["dahui", "zhiwei", "xiaozu", "dangke"])) for lid in ("u1", "u2", "u3", "u4")}
    assert len(orders) > 1


def test_grader_ignores_answers_to_questions_not_drawn(sample_course, tmp_path):
    key = quiz_key(sample_course, sample_course.lessons[0])
    drawn = drawn_questions(key.quiz, seed_for(key.course_id, key.assignment, "u7", key.quiz.id))
    undrawn = next(q for q in key.questions if q not in drawn)
    store = AnswerStore(tmp_path, key.notebook)
    store.save(undrawn, key.questions[undrawn].answer)
    result = grade_quiz(key, "u7", store.load())
    assert result.score == 0.0 and undrawn not in result.drawn


KEY_PATTERNS = [
    re.compile(r'"correct"\s*:\s*true'),  # which options are right
    re.compile(r'"answer"\s*:\s*(true|false)'),  # true/false keys
    re.compile(r'\\?"key\\?"\s*:'),  # a practice-mode key block
]


def _leaks(text: str, course) -> list[str]:
    found = [p.pattern for p in KEY_PATTERNS if p.search(text)]
    found += [q.explanation for q in course.questions.values() if q.explanation and q.explanation in text]
    return found


def test_release_holds_no_key(site, sample_course):
    names = [b.name for b in build_course(sample_course, site.source)]
    source_text = "".join(p.read_text(encoding="utf-8") for p in site.source.rglob("*.ipynb"))
    assert _leaks(source_text, sample_course), "the source notebook carries the key in its hidden test"
    for name in names:
        site.generate_and_release(name)
    released = {p: p.read_text(encoding="utf-8") for p in site.root.joinpath("release").rglob("*") if p.is_file()}
    assert any(p.suffix == ".ipynb" for p in released)
    for path, text in released.items():
        assert not _leaks(text, sample_course), f"key data leaked into {path}"
        assert "score_in_notebook" not in text and "BEGIN HIDDEN" not in text
