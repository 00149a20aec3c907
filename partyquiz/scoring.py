"""Pure scoring rules, used by the hidden test cells (nbgrader engine) and the fast engine alike.

Every function returns a plain Python float within [0, points]: nbgrader parses the last
expression of a test cell with float(), and a numpy scalar or a value above the points would
break it (see shared/DESIGN-NOTES.md).
"""
from __future__ import annotations

import math
import re
import unicodedata
from typing import Any

from .draw import drawn_questions, seed_for
from .model import Answer, Question, QuestionScore, QuizKey, QuizResult, ScoringRule

_ROUND = 4


def normalise_text(text: str, case_sensitive: bool = False) -> str:
    """Full-width → half-width (NFKC), inner runs of space folded, ends trimmed, case folded."""
    text = unicodedata.normalize("NFKC", str(text))
    text = re.sub(r"\s+", " ", text).strip()
    return text if case_sensitive else text.casefold()


def _clamp(x: float, points: float) -> float:
    if math.isnan(x):
        return 0.0
    return float(round(min(max(x, 0.0), points), _ROUND))


def _as_choice_list(value: Any) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return list(value)
    return None


def _choice_fraction(question: Question, picked: list[str], rule: ScoringRule) -> float:
    picked_set = set(picked)
    known = {o.id for o in question.options}
    if not picked_set or not picked_set <= known:
        return 0.0
    right = set(question.correct_ids)
    if question.type == "single":
        if rule == "fraction":
            opt = next(o for o in question.options if o.id in picked_set)
            return max(0.0, (opt.fraction if opt.fraction is not None else float(opt.correct))) if len(picked_set) == 1 else 0.0
        return 1.0 if picked_set == right else 0.0
    if rule in ("all_or_nothing", "strict"):
        return 1.0 if picked_set == right else 0.0
    if rule == "partial":
        gained = len(picked_set & right) - len(picked_set - right)
        return max(0.0, gained / len(right))
    # fraction: Moodle weights; options without a weight share 1.0 among the right ones and
    # cost an equal share when wrong.
    total = 0.0
    for opt in question.options:
        if opt.id not in picked_set:
            continue
        if opt.fraction is not None:
            total += opt.fraction
        else:
            total += (1.0 / len(right)) if opt.correct else -(1.0 / len(right))
    return max(0.0, min(1.0, total))


def _truefalse_fraction(question: Question, value: Any) -> float:
    if isinstance(value, bool):
        return 1.0 if value == question.answer else 0.0
    return 0.0


def _fill_fraction(question: Question, value: Any, rule: ScoringRule) -> float:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)):
        return 0.0
    hits = 0
    for index, alternatives in enumerate(question.blanks):
        given = value[index] if index < len(value) else None
        if not isinstance(given, str) or not given.strip():
            continue
        norm = normalise_text(given, question.case_sensitive)
        if any(norm == normalise_text(alt, question.case_sensitive) for alt in alternatives):
            hits += 1
    n = len(question.blanks)
    if rule == "all_or_nothing":
        return 1.0 if hits == n else 0.0
    return hits / n


def parse_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        text = normalise_text(value).replace(",", "").replace("，", "")
        try:
            number = float(text)
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def _numeric_fraction(question: Question, value: Any) -> float:
    number = parse_number(value)
    if number is None:
        return 0.0
    if question.range is not None:
        low, high = question.range
        return 1.0 if low <= number <= high else 0.0
    assert question.value is not None
    return 1.0 if abs(number - question.value) <= question.tolerance + 1e-12 else 0.0


def _matching_fraction(question: Question, value: Any, rule: ScoringRule) -> float:
    if not isinstance(value, dict):
        return 0.0
    hits = sum(
        1
        for pair in question.pairs
        if isinstance(value.get(pair.id), str) and normalise_text(value[pair.id], True) == normalise_text(pair.right, True)
    )
    if rule == "all_or_nothing" or rule == "strict":
        return 1.0 if hits == len(question.pairs) else 0.0
    return hits / len(question.pairs)


def is_answered(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, (list, tuple)):
        return any(is_answered(v) for v in value)
    if isinstance(value, dict):
        return any(is_answered(v) for v in value.values())
    return True


def score_question(question: Question, value: Any, rule: ScoringRule, points: float | None = None) -> float:
    """Score one answer. Essays score 0 here: they are graded by hand."""
    points = question.points if points is None else points
    if not is_answered(value):
        return 0.0
    if question.type in ("single", "multiple"):
        picked = _as_choice_list(value)
        fraction = _choice_fraction(question, picked, rule) if picked is not None else 0.0
    elif question.type == "truefalse":
        fraction = _truefalse_fraction(question, value)
    elif question.type == "fill":
        fraction = _fill_fraction(question, value, rule)
    elif question.type == "numeric":
        fraction = _numeric_fraction(question, value)
    elif question.type == "matching":
        fraction = _matching_fraction(question, value, rule)
    else:
        fraction = 0.0
    return _clamp(fraction * points, points)


def points_for(key: QuizKey, question_id: str) -> float:
    for section in key.quiz.sections:
        if question_id in section.pool:
            return section.points if section.points is not None else key.questions[question_id].points
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
        points = points_for(key, qid)
        answer = answers.get(qid)
        value = answer.value if answer is not None else None
        late = late or bool(answer is not None and answer.late)
        scores.append(
            QuestionScore(
                question_id=qid,
                score=score_question(question, value, key.quiz.rule, points),
                max_score=points,
                answered=is_answered(value),
                needs_manual=question.type == "essay",
                value=value,
            )
        )
    return QuizResult(learner_id=learner_id, assignment=key.assignment, notebook=key.notebook, drawn=drawn, scores=scores, late=late)


def auto_score(result: QuizResult) -> float:
    """The autograded part of a quiz: the float the hidden test cell returns."""
    return float(round(sum(s.score for s in result.scores if not s.needs_manual), _ROUND))


def auto_max(key: QuizKey) -> float:
    """Maximum of the autograded part; essays are graded in their own manual cell."""
    total = 0.0
    for section in key.quiz.sections:
        n = section.draw or len(section.pool)
        auto = [q for q in section.pool if key.questions[q].type != "essay"]
        if not auto:
            continue
        pts = section.points if section.points is not None else key.questions[auto[0]].points
        if section.draw:
            total += n * pts
        else:
            total += sum(points_for(key, q) for q in auto)
    return round(total, _ROUND)
