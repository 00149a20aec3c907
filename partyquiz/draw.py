"""Per-learner draw and shuffles, deterministic from (course, assignment, learner, quiz).

The order comes from sorting by a SHA-256 of the seed and the id, not from `random`, so it is
the same on every Python version and every machine: the widget and the grader compute the
same draw independently, and the grader never trusts the learner's files for it.
"""
from __future__ import annotations

import hashlib

from .model import Quiz


def _rank(seed: str, item: str) -> str:
    return hashlib.sha256(f"{seed}\x1f{item}".encode()).hexdigest()


def seed_for(course_id: str, assignment: str, learner_id: str, quiz_id: str) -> str:
    return "\x1e".join((course_id, assignment, learner_id, quiz_id))


def shuffled(seed: str, items: list[str]) -> list[str]:
    return sorted(items, key=lambda item: _rank(seed, item))


def drawn_questions(quiz: Quiz, seed: str) -> list[str]:
    """Question ids the learner gets, in the order shown."""
    chosen: list[str] = []
    for index, section in enumerate(quiz.sections):
        pool = list(section.pool)
        if section.draw is not None and section.draw < len(pool):
            pool = shuffled(f"{seed}\x1dsection{index}", pool)[: section.draw]
            pool = [q for q in section.pool if q in set(pool)]  # keep authored order for now
        if quiz.shuffle_questions:
            pool = shuffled(f"{seed}\x1dorder{index}", pool)
        chosen.extend(pool)
    return chosen


def option_order(quiz: Quiz, seed: str, question_id: str, option_ids: list[str]) -> list[str]:
    if not quiz.shuffle_options:
        return list(option_ids)
    return shuffled(f"{seed}\x1doptions\x1d{question_id}", option_ids)
