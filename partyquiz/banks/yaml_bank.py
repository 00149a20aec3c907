"""The project's own YAML bank: a list of questions in the model's own field names."""
from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from ..errors import InputError, Problem
from ..model import Question


def _line_of(node: yaml.Node | None) -> int | None:
    return node.start_mark.line + 1 if node is not None else None


def read(path: Path) -> list[Question]:
    text = path.read_text(encoding="utf-8")
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(Problem(str(path), f"YAML 语法错误 / YAML syntax: {exc}", mark.line + 1 if mark else None)) from exc
    items = data.get("questions") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise InputError(Problem(str(path), "缺少 questions 列表 / missing 'questions' list", 1))
    nodes = []
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            if key.value == "questions" and isinstance(value, yaml.SequenceNode):
                nodes = value.value
    questions: list[Question] = []
    problems: list[Problem] = []
    seen: dict[str, int | None] = {}
    for index, item in enumerate(items):
        line = _line_of(nodes[index]) if index < len(nodes) else None
        try:
            question = Question.model_validate(item)
        except ValidationError as exc:
            for err in exc.errors():
                loc = ".".join(str(p) for p in err["loc"])
                problems.append(Problem(str(path), f"{err['msg']}", line, loc or None))
            continue
        if question.id in seen:
            problems.append(Problem(str(path), f"题目 id 重复 / duplicate id '{question.id}' (first at line {seen[question.id]})", line))
            continue
        seen[question.id] = line
        questions.append(question)
    if problems:
        raise InputError(problems)
    return questions


def dump(questions: list[Question]) -> str:
    data = {"questions": [q.model_dump(exclude_defaults=True) for q in questions]}
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=120)


def write(questions: list[Question], path: Path) -> None:
    from ..answers import atomic_write_text

    atomic_write_text(path, dump(questions))
