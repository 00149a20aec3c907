"""The course result: lessons and stage tests / final exams combined by the rule in course.yml
(`result`, model.CourseResult). Pure; `course_results` reads the current records from the ledger."""
from __future__ import annotations

from typing import Any

from ..model import Course
from . import ledger as L


def course_result(course: Course, mine: dict[str, tuple[float, bool]]) -> dict[str, Any]:
    """`mine`: lesson id → (percent, passed) of one learner's current records. A lesson or
    test with no record counts 0 % and not passed."""
    rule = course.result
    lessons = [l for l in course.lessons if l.kind == "lesson"]
    tests = [l for l in course.lessons if l.kind == "test"]
    lesson_mean = sum(mine.get(l.id, (0.0, False))[0] for l in lessons) / len(lessons) if lessons else 0.0
    weights = {t.id: (t.weight if t.weight is not None else 1.0) for t in tests}
    lessons_weight = rule.lessons_weight if lessons else 0.0
    total_weight = lessons_weight + sum(weights.values())
    percent = (lessons_weight * lesson_mean + sum(w * mine.get(t, (0.0, False))[0] for t, w in weights.items())) / total_weight \
        if total_weight else 0.0
    tests_passed = all(mine.get(t.id, (0.0, False))[1] for t in tests)
    if rule.rule == "all_pass":
        passed = tests_passed and all(mine.get(l.id, (0.0, False))[1] for l in lessons)
    else:
        mark = rule.pass_mark if rule.pass_mark is not None else course.pass_mark
        passed = percent >= mark - 1e-9 and (tests_passed or not rule.require_tests)
    return {"percent": round(percent, 2), "passed": passed, "lessons_percent": round(lesson_mean, 2),
            "tests": {t.id: mine.get(t.id, (0.0, False))[0] for t in tests}}


def course_results(ledger_url: str, course: Course) -> dict[str, dict[str, Any]]:
    """Per learner with any current record of the course: its course result."""
    with L.engine_for(ledger_url) as engine, engine.connect() as conn:
        rows = L.current_rows(conn, course.id)
    by_learner: dict[str, dict[str, tuple[float, bool]]] = {}
    for r in rows:
        by_learner.setdefault(r.learner_id, {})[r.lesson_id] = (100.0 * r.score / r.max_score if r.max_score else 0.0, bool(r.passed))
    return {learner: course_result(course, mine) for learner, mine in sorted(by_learner.items())}
