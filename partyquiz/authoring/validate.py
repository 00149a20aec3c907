"""Check a course folder and report EVERY problem at once, each with its file and line.

Pydantic's errors carry a field path (`lessons.0.quiz.sections.2.draw`); `yaml.compose` keeps
the line of every node, so each path is mapped back to the line the author has to fix. The
checks that need more than one file (bank ids, lesson files, pools) run on the raw YAML data,
so a type error in one lesson does not hide a missing file in another.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ..banks import parse_bank
from ..banks.yaml_bank import node_at, syntax_problem
from ..errors import Problem
from ..i18n import t
from ..model import Course, Question


@dataclass
class CourseCheck:
    folder: Path
    course: Course | None = None
    problems: list[Problem] = field(default_factory=list)
    questions: dict[str, Question] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


class _Lines:
    """Field path → line in course.yml (the deepest node that exists on the path)."""

    def __init__(self, root: yaml.Node | None):
        self.root = root

    def __call__(self, *loc: Any) -> int | None:
        node = node_at(self.root, list(loc))
        return node.start_mark.line + 1 if node is not None else None


def check_course(folder: Path | str) -> CourseCheck:
    folder = Path(folder)
    check = CourseCheck(folder)
    course_file = folder / "course.yml"
    file = str(course_file)
    if not course_file.exists():
        check.problems.append(Problem(file, t("authoring.course.not_found")))
        return check
    text = course_file.read_text(encoding="utf-8")
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        check.problems.append(syntax_problem(file, exc))
        return check
    if not isinstance(data, dict):
        check.problems.append(Problem(file, t("authoring.course.not_mapping"), 1))
        return check
    line = _Lines(root)
    course = _validate_model(data, file, line, check.problems)
    check.questions = _load_banks(folder, data, file, line, check.problems)
    lesson_text = _check_lessons(folder, data, file, line, check.questions, check.problems)
    if course is not None and not check.problems:
        course.questions = check.questions
        course.lesson_text = lesson_text
        course.folder = str(Path(folder))
        check.course = course
    return check


def _validate_model(data: dict, file: str, line: _Lines, problems: list[Problem]) -> Course | None:
    try:
        return Course.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = [p for p in err["loc"]]
            message = err["msg"].removeprefix("Value error, ")
            problems.append(Problem(file, message, line(*loc), ".".join(map(str, loc)) or None))
        return None


def _load_banks(folder: Path, data: dict, file: str, line: _Lines, problems: list[Problem]) -> dict[str, Question]:
    questions: dict[str, Question] = {}
    where: dict[str, str] = {}
    banks = data.get("banks") or []
    if not isinstance(banks, list):
        return questions
    for index, bank in enumerate(banks):
        if not isinstance(bank, str):
            continue
        path = folder / bank
        if not path.exists():
            problems.append(Problem(file, t("authoring.course.bank_not_found", bank=bank), line("banks", index), f"banks.{index}"))
            continue
        result = parse_bank(path)
        problems.extend(result.problems)
        for question in result.questions:
            if question.id in questions:
                problems.append(Problem(str(path), t("authoring.bank.duplicate_across", id=question.id, where=where[question.id]), result.lines.get(question.id), "id"))
                continue
            questions[question.id] = question
            where[question.id] = f"{bank}:{result.lines.get(question.id)}"
    return questions


def _check_lessons(folder: Path, data: dict, file: str, line: _Lines, questions: dict[str, Question], problems: list[Problem]) -> dict[str, str]:
    texts: dict[str, str] = {}
    lessons = data.get("lessons") or []
    if not isinstance(lessons, list):
        return texts
    seen_lessons: set[str] = set()
    seen_quizzes: set[str] = set()
    for i, lesson in enumerate(lessons):
        if not isinstance(lesson, dict):
            continue
        lesson_id = str(lesson.get("id", i))
        if lesson_id in seen_lessons:
            problems.append(Problem(file, t("authoring.course.duplicate_lesson", id=lesson_id), line("lessons", i, "id"), f"lessons.{i}.id"))
        seen_lessons.add(lesson_id)
        lesson_file = lesson.get("file")
        if isinstance(lesson_file, str):
            path = folder / lesson_file
            if not path.is_file():
                problems.append(Problem(file, t("authoring.course.lesson_not_found", file=lesson_file), line("lessons", i, "file"), f"lessons.{i}.file"))
            else:
                texts[lesson_id] = path.read_text(encoding="utf-8")
        quiz = lesson.get("quiz")
        if isinstance(quiz, dict):
            quiz_id = str(quiz.get("id", ""))
            if quiz_id and quiz_id in seen_quizzes:
                problems.append(Problem(file, t("authoring.course.duplicate_quiz", id=quiz_id), line("lessons", i, "quiz", "id"), f"lessons.{i}.quiz.id"))
            seen_quizzes.add(quiz_id)
            _check_sections(quiz.get("sections"), ("lessons", i, "quiz", "sections"), file, line, questions, problems,
                            shuffled=quiz.get("shuffle_questions", True) is not False)
    return texts


def _check_sections(sections: Any, at: tuple, file: str, line: _Lines, questions: dict[str, Question], problems: list[Problem],
                    shuffled: bool = True) -> None:
    if not isinstance(sections, list):
        return
    for j, section in enumerate(sections):
        if not isinstance(section, dict) or not isinstance(section.get("pool"), list):
            continue
        pool = section["pool"]
        for k, qid in enumerate(pool):
            if str(qid) not in questions:
                problems.append(Problem(file, t("authoring.course.unknown_question", id=qid), line(*at, j, "pool", k), ".".join(map(str, (*at, j, "pool", k)))))
        known = [questions[str(q)] for q in pool if str(q) in questions]
        texts = [q.id for q in known if not q.kind.scored]
        if shuffled and texts and len(known) > len(texts):
            # shuffled among its questions, a text that introduces them would land anywhere
            problems.append(Problem(file, t("authoring.course.description_shuffled", ids=", ".join(texts)),
                                    line(*at, j, "pool"), ".".join(map(str, (*at, j, "pool")))))
        draw = section.get("draw")
        if draw is None:
            continue
        where = ".".join(map(str, (*at, j, "draw")))
        essays = [q.id for q in known if q.kind.manual]
        if texts:
            problems.append(Problem(file, t("authoring.course.description_drawn", ids=", ".join(texts)), line(*at, j, "draw"), where))
        if essays:
            problems.append(Problem(file, t("authoring.course.essay_drawn", ids=", ".join(essays)), line(*at, j, "draw"), where))
        if section.get("points") is None and len({q.points for q in known}) > 1:
            points = ", ".join(f"{q.id}={q.points:g}" for q in known)
            problems.append(Problem(file, t("authoring.course.mixed_points", points=points), line(*at, j, "draw"), where))
