"""Pure scoring rules, used by the hidden test cells (nbgrader engine) and the fast engine alike.

The rule of each question type (its fraction of the points) lives with the type in
`partyquiz.qtypes`; this module applies the types to a quiz: points, draw, clamping, totals.

Every function returns a plain Python float within [0, points]: nbgrader parses the last
expression of a test cell with float(), and a numpy scalar or a value above the points would
break it (see docs/design-notes.md).
"""
from __future__ import annotations

import math
from typing import Any

from .draw import drawn_questions, seed_for
from .model import Answer, Question, QuestionScore, QuizKey, QuizResult, ScoringRule
# the shared text and number rules live with the kinds; re-exported for the other layers
from .qtypes.base import is_answered, normalise_text, parse_number

__all__ = ["auto_max", "auto_score", "grade_quiz", "is_answered", "normalise_text", "parse_number", "points_for", "score_question"]

_ROUND = 4


def _clamp(x: float, points: float) -> float:
    if math.isnan(x):
        return 0.0
    return float(round(min(max(x, 0.0), points), _ROUND))


def score_question(question: Question, value: Any, rule: ScoringRule, points: float | None = None) -> float:
    """Score one answer by its kind's fraction. Essays score 0 here: they are graded by hand;
    descriptions score 0: they are never scored."""
    kind = question.kind
    if not kind.scored:
        return 0.0
    points = question.points if points is None else points
    if not kind.is_answered(value):
        return 0.0
    return _clamp(kind.fraction(question, value, rule) * points, points)


def points_for(key: QuizKey, question_id: str) -> float:
    """What the question is worth in this quiz: its section's points, else its own; a text
    item (description) is worth nothing."""
    for section in key.quiz.sections:
        if question_id in section.pool:
            question = key.questions[question_id]
            if not question.kind.scored:
                return 0.0
            return section.points if section.points is not None else question.points
    raise KeyError(question_id)


def grade_quiz(key: QuizKey, learner_id: str, answers: dict[str, Answer]) -> QuizResult:
    """Score a learner's answers against the key, for the questions the learner was drawn.

    Answers to questions the learner was not drawn are ignored, whatever the file says.
    """
    seed = seed_for(key.course_id, key.assignment, learner_id, key.quiz.id)
    drawn = drawn_questions(key.quiz, seed)
    scores = []
    late = False
    for qid in drawn:
        question = key.questions[qid]
        kind = question.kind
        if not kind.scored:
            continue  # a description is shown in the draw but holds no score
        points = points_for(key, qid)
        answer = answers.get(qid)
        value = answer.value if answer is not None else None
        late = late or bool(answer is not None and answer.late)
        scores.append(
            QuestionScore(
                question_id=qid,
                score=score_question(question, value, key.quiz.rule, points),
                max_score=points,
                answered=kind.is_answered(value),
                needs_manual=kind.manual,
                value=value,
            )
        )
    return QuizResult(learner_id=learner_id, assignment=key.assignment, notebook=key.notebook, drawn=drawn, scores=scores, late=late)


def auto_score(result: QuizResult) -> float:
    """The autograded part of a quiz: the float the hidden test cell returns."""
    return float(round(sum(s.score for s in result.scores if not s.needs_manual), _ROUND))


def auto_max(key: QuizKey) -> float:
    """Maximum of the autograded part; essays are graded in their own manual cell, and
    descriptions are never scored."""
    total = 0.0
    for section in key.quiz.sections:
        n = section.draw or len(section.pool)
        auto = [q for q in section.pool if key.questions[q].kind.scored and not key.questions[q].kind.manual]
        if not auto:
            continue
        pts = section.points if section.points is not None else key.questions[auto[0]].points
        if section.draw:
            total += n * pts
        else:
            total += sum(points_for(key, q) for q in auto)
    return round(total, _ROUND)
