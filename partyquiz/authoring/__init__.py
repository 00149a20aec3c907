"""Course sources: course.yml + lessons/*.md + banks → model.Course."""
from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from ..banks import read_bank
from ..errors import InputError, Problem
from ..model import Course


def load_course(folder: Path | str) -> Course:
    """Load and check a course; raises InputError listing every problem found."""
    folder = Path(folder)
    course_file = folder / "course.yml"
    if not course_file.exists():
        raise InputError(Problem(str(course_file), "找不到 course.yml / course.yml not found"))
    try:
        data = yaml.safe_load(course_file.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(Problem(str(course_file), f"YAML 语法错误 / YAML syntax: {exc}", mark.line + 1 if mark else None)) from exc
    try:
        course = Course.model_validate(data)
    except ValidationError as exc:
        raise InputError([Problem(str(course_file), e["msg"], None, ".".join(map(str, e["loc"]))) for e in exc.errors()]) from exc

    problems: list[Problem] = []
    for bank in course.banks:
        try:
            for question in read_bank(folder / bank):
                if question.id in course.questions:
                    problems.append(Problem(str(folder / bank), f"题目 id 重复 / duplicate id '{question.id}'"))
                course.questions[question.id] = question
        except InputError as exc:
            problems.extend(exc.problems)
        except FileNotFoundError:
            problems.append(Problem(str(course_file), f"找不到题库 / bank not found: {bank}"))
    for lesson in course.lessons:
        path = folder / lesson.file
        if not path.exists():
            problems.append(Problem(str(course_file), f"找不到课文 / lesson file not found: {lesson.file}"))
        else:
            course.lesson_text[lesson.id] = path.read_text(encoding="utf-8")
        if lesson.quiz:
            for section in lesson.quiz.sections:
                for qid in section.pool:
                    if qid not in course.questions and not problems:
                        problems.append(Problem(str(course_file), f"课程 {lesson.id} 的测验引用了不存在的题目 / unknown question '{qid}'"))
                _check_uniform_points(course, lesson.id, section, problems, str(course_file))
    if problems:
        raise InputError(problems)
    return course


def _check_uniform_points(course, lesson_id, section, problems, file) -> None:
    """With a draw, every pool question must be worth the same so the maximum is fixed."""
    if section.draw is None or section.points is not None:
        return
    pts = {course.questions[q].points for q in section.pool if q in course.questions}
    if len(pts) > 1:
        problems.append(Problem(file, f"{lesson_id}: 抽题的题目池分值不一致，请设置 points / drawn pool has mixed points; set section points"))
