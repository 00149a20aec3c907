"""The project's own YAML bank: a list of questions in the model's own field names.

It carries every field of `model.Question` (option ids, weights, feedback, ranges, case
sensitivity…) of every registered kind, in the model's own names, so it is the lossless format
(its mapping per kind is the identity); the others keep what their format can say.
"""
from __future__ import annotations

from pathlib import Path

import yaml

# libyaml when present: a 5,000-question bank loads several times faster (see docs/performance.md)
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

from ..errors import InputError, Problem
from ..i18n import t
from ..model import Question
from .common import BankResult, add_question, build_question, non_finite_path


def _line_of(node: yaml.Node | None) -> int | None:
    return node.start_mark.line + 1 if node is not None else None


def node_at(node: yaml.Node | None, loc: list | tuple) -> yaml.Node | None:
    """The deepest node along a field path (mapping keys, sequence indexes) that exists."""
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if k.value == str(part)), None)
            if match is None:
                break
            node = match
        elif isinstance(node, yaml.SequenceNode) and str(part).isdigit() and int(part) < len(node.value):
            node = node.value[int(part)]
        else:
            break
    return node


def _field_line(node: yaml.Node | None, loc: str) -> int | None:
    return _line_of(node_at(node, loc.split(".") if loc else []))


def syntax_problem(file: str, exc: yaml.YAMLError) -> Problem:
    """A YAML file that does not parse: PyYAML's short reason and the line it stopped at."""
    mark = getattr(exc, "problem_mark", None)
    return Problem(file, t("authoring.bank.yaml_syntax", error=str(getattr(exc, "problem", None) or exc)[:200]), mark.line + 1 if mark else None)


def parse_text(text: str, file: str) -> BankResult:
    try:
        root = yaml.compose(text, Loader=_Loader)
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        return BankResult([], [syntax_problem(file, exc)])
    items = data.get("questions") if isinstance(data, dict) else None
    if not isinstance(items, list):
        return BankResult([], [Problem(file, t("authoring.bank.yaml_no_list"), 1)])
    nodes: list[yaml.Node] = []
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            if key.value == "questions" and isinstance(value, yaml.SequenceNode):
                nodes = value.value
    result = BankResult()
    seen: dict[str, int | None] = {}
    for index, item in enumerate(items):
        node = nodes[index] if index < len(nodes) else None
        line = _line_of(node)
        if not isinstance(item, dict):
            result.problems.append(Problem(file, t("authoring.bank.yaml_not_mapping"), line))
            continue
        if bad := non_finite_path(item):  # .nan / .inf: nobody, or everybody, would be right
            result.problems.append(Problem(file, t("authoring.bank.yaml_not_finite", field=bad), _field_line(node, bad) or line, bad))
            continue
        built = build_question(item, file, line)
        if isinstance(built, list):  # point each error at its own field's line
            built = [Problem(p.file, p.message, _field_line(node, p.column or "") or line, p.column) for p in built]
        add_question(result, built, seen, file, line)
    return result


def parse(path: Path) -> BankResult:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return BankResult([], [Problem(str(path), t("authoring.bank.not_utf8"), raw[: exc.start].count(b"\n") + 1)])
    return parse_text(text, str(path))


def read(path: Path) -> list[Question]:
    return parse(path).raise_if_problems()


def dump(questions: list[Question]) -> str:
    data = {"questions": [q.model_dump(mode="json", exclude_defaults=True) for q in questions]}
    return yaml.dump(data, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), allow_unicode=True, sort_keys=False, width=120)


def write(questions: list[Question], path: Path) -> None:
    from ..files import atomic_write_text

    atomic_write_text(path, dump(questions))


__all__ = ["parse", "parse_text", "read", "dump", "write", "InputError"]
