"""Moodle XML (`<quiz><question type=…>`), parsed with defusedxml: a bank file is untrusted input.

Read: multichoice (single and multiple, `fraction` weights → `Option.fraction`), truefalse,
shortanswer (→ one blank; `usecase` → case_sensitive), numerical (value ± tolerance), essay,
matching (subquestions; an empty one is a distractor), `category` (→ topic of what follows),
`defaultgrade` (→ points), `generalfeedback` (→ explanation), `idnumber`/`name` (→ id).
Every other type (calculated, ddwtos, gapselect, multianswer, description…) is reported with
its line, never dropped silently. HTML question text is turned into plain text; the writer
uses format="markdown", which Moodle also reads.
"""
from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, SubElement, TreeBuilder, indent, tostring

from defusedxml.ElementTree import DefusedXMLParser

from ..errors import InputError, Problem
from ..model import Question
from .common import BankResult, add_question, build_question, check_weights, slug, valid_id

SUPPORTED = {"multichoice", "truefalse", "shortanswer", "numerical", "essay", "matching"}
LINE_ATTR = "_partyquiz_line"


class _LineTreeBuilder(TreeBuilder):
    """A TreeBuilder that remembers the line each element starts on, for error messages."""

    def __init__(self) -> None:
        super().__init__()
        self.parser: DefusedXMLParser | None = None

    def start(self, tag, attrs):
        element = super().start(tag, attrs)
        if self.parser is not None:
            element.set(LINE_ATTR, str(self.parser.parser.CurrentLineNumber))
        return element


def parse_xml(data: bytes) -> Element:
    builder = _LineTreeBuilder()
    parser = DefusedXMLParser(target=builder, forbid_dtd=True)
    builder.parser = parser
    parser.feed(data)
    return parser.close()


def html_to_text(text: str) -> str:
    text = re.sub(r"(?i)<br\s*/?>", "\n", text)
    text = re.sub(r"(?i)</p\s*>\s*<p[^>]*>", "\n\n", text)
    text = re.sub(r"<[^>]+>", "", text)
    return html.unescape(text).strip()


def _text(element: Element | None, path: str = "text") -> str:
    if element is None:
        return ""
    node = element.find(path) if path else element
    raw = (node.text or "") if node is not None else ""
    if element.get("format", "html") == "html":
        return html_to_text(raw)
    return raw.strip()


def _child_text(q: Element, name: str) -> str:
    return _text(q.find(name))


def _float(text: str | None, default: float) -> float:
    try:
        return float(text) if text not in (None, "") else default
    except ValueError:
        return default


def parse_bytes(data: bytes, file: str, id_prefix: str = "q") -> BankResult:
    try:
        root = parse_xml(data)
    except Exception as exc:  # ParseError, or defusedxml refusing entities/DTDs
        line = getattr(getattr(exc, "position", None), "__getitem__", lambda _: None)(0)
        return BankResult([], [Problem(file, f"XML 无法解析 / cannot parse XML: {exc}", line)])
    if root.tag != "quiz":
        return BankResult([], [Problem(file, f"根元素应为 <quiz>，实为 <{root.tag}> / root element must be <quiz>", 1)])
    result = BankResult()
    seen: dict[str, int | None] = {}
    category = ""
    for number, q in enumerate(root.findall("question"), start=1):
        line = int(q.get(LINE_ATTR, "0")) or None
        kind = q.get("type", "")
        if kind == "category":
            category = _category(_child_text(q, "category"))
            continue
        if kind not in SUPPORTED:
            name = _child_text(q, "name")
            result.problems.append(Problem(file, f"不支持的题型 '{kind}'（{name}）/ unsupported question type '{kind}'", line, "type"))
            continue
        data, problems = _question(q, kind, file, line, f"{id_prefix}-{number:03d}")
        if problems:
            result.problems.extend(problems)
            continue
        data["topic"] = category
        add_question(result, build_question(data, file, line), seen, file, line)
    return result


def _category(path: str) -> str:
    path = re.sub(r"^\$(course|system|module|cat\d*)\$/", "", path)
    return re.sub(r"^top/?", "", path, flags=re.IGNORECASE)


def _question(q: Element, kind: str, file: str, line: int | None, fallback: str) -> tuple[dict[str, Any], list[Problem]]:
    name = _child_text(q, "name")
    idnumber = (q.findtext("idnumber") or "").strip()
    qid = next((c for c in (idnumber, name) if c and valid_id(c)), fallback)
    data: dict[str, Any] = {
        "id": qid,
        "stem": _text(q.find("questiontext")),
        "points": _float(q.findtext("defaultgrade"), 1.0),
        "explanation": _text(q.find("generalfeedback")),
    }
    answers = q.findall("answer")
    problems: list[Problem] = []

    def problem(message: str, where: Element | None = None) -> None:
        at = int(where.get(LINE_ATTR, "0")) if where is not None else 0
        problems.append(Problem(file, message, at or line, kind))

    if kind == "multichoice":
        single = (q.findtext("single") or "true").strip().lower() in ("true", "1")
        options = []
        for index, a in enumerate(answers):
            fraction = round(_float(a.get("fraction"), 0.0) / 100, 9)
            option: dict[str, Any] = {"id": _option_id(index), "text": _text(a), "feedback": _text(a.find("feedback"))}
            if single and fraction >= 1:
                option["correct"] = True
            elif single:
                if fraction:
                    option["fraction"] = fraction
            else:
                option["fraction"], option["correct"] = fraction, fraction > 0
            options.append(option)
        if not single and (message := check_weights(options)):
            problems.append(Problem(file, message, line, "answer/@fraction"))
        data.update(type="single" if single else "multiple", options=options)
    elif kind == "truefalse":
        right = [a for a in answers if _float(a.get("fraction"), 0) >= 100]
        if len(right) != 1:
            problem("判断题需要恰好一个 100% 的答案 / true/false needs exactly one 100% answer")
        else:
            data.update(type="truefalse", answer=_text(right[0]).lower() in ("true", "对", "正确"))
    elif kind == "shortanswer":
        if any(0 < _float(a.get("fraction"), 0) < 100 for a in answers):
            problem("不支持部分得分的填空答案 / unsupported: partial-credit short answer")
        alternatives = [_text(a) for a in answers if _float(a.get("fraction"), 0) >= 100]
        data.update(type="fill", blanks=[alternatives], case_sensitive=(q.findtext("usecase") or "0").strip() == "1")
    elif kind == "numerical":
        full = [a for a in answers if _float(a.get("fraction"), 0) >= 100]
        if len(full) != 1 or len(answers) != 1:
            problem("不支持多个或部分得分的数值答案 / unsupported: several or partial-credit numerical answers")
        else:
            value = _float(_text(full[0]), float("nan"))
            if value != value:
                problem(f"数值答案无法识别 / cannot read numerical answer '{_text(full[0])}'", full[0])
            data.update(type="numeric", value=value, tolerance=abs(_float(full[0].findtext("tolerance"), 0.0)))
    elif kind == "essay":
        data["type"] = "essay"
    elif kind == "matching":
        pairs, distractors = [], []
        for index, sub in enumerate(q.findall("subquestion")):
            left, right = _text(sub), _text(sub.find("answer"), "text")
            if left:
                pairs.append({"id": _option_id(index), "left": left, "right": right})
            else:
                distractors.append(right)
        data.update(type="matching", pairs=pairs, distractors=distractors)
    return data, problems


def _option_id(index: int) -> str:
    return "abcdefghijklmnopqrstuvwxyz"[index % 26] + (str(index // 26) if index >= 26 else "")


def parse(path: Path) -> BankResult:
    return parse_bytes(path.read_bytes(), str(path), slug(path.stem, "q"))


def read(path: Path) -> list[Question]:
    return parse(path).raise_if_problems()


# --- writing -----------------------------------------------------------------------------------

def _text_el(parent: Element, tag: str, text: str, fmt: str | None = "markdown") -> Element:
    element = SubElement(parent, tag, {"format": fmt} if fmt else {})
    SubElement(element, "text").text = text
    return element


def _num(x: float) -> str:
    from .spreadsheet import fmt_number

    return fmt_number(x)


def _answer(parent: Element, fraction: float, text: str, feedback: str = "") -> Element:
    answer = _text_el(parent, "answer", text)
    answer.set("fraction", f"{fraction * 100:.7g}")
    _text_el(answer, "feedback", feedback)
    return answer


def question_element(q: Question) -> Element:
    kind = {"single": "multichoice", "multiple": "multichoice", "truefalse": "truefalse", "fill": "shortanswer",
            "numeric": "numerical", "essay": "essay", "matching": "matching"}[q.type]
    el = Element("question", {"type": kind})
    SubElement(SubElement(el, "name"), "text").text = q.id
    _text_el(el, "questiontext", q.stem)
    _text_el(el, "generalfeedback", q.explanation)
    SubElement(el, "defaultgrade").text = _num(q.points)
    SubElement(el, "penalty").text = "0"
    SubElement(el, "hidden").text = "0"
    SubElement(el, "idnumber").text = q.id
    if q.type in ("single", "multiple"):
        SubElement(el, "single").text = "true" if q.type == "single" else "false"
        SubElement(el, "shuffleanswers").text = "true"
        SubElement(el, "answernumbering").text = "ABCD"
        n_right = len(q.correct_ids)
        for o in q.options:
            if q.type == "single":
                fraction = 1.0 if o.correct else (o.fraction or 0.0)
            else:
                fraction = o.fraction if o.fraction is not None else (1 / n_right if o.correct else -1 / n_right)
            _answer(el, fraction, o.text, o.feedback)
    elif q.type == "truefalse":
        _answer(el, 1.0 if q.answer else 0.0, "true")
        _answer(el, 0.0 if q.answer else 1.0, "false")
    elif q.type == "fill":
        SubElement(el, "usecase").text = "1" if q.case_sensitive else "0"
        for alternative in q.blanks[0]:
            _answer(el, 1.0, alternative)
    elif q.type == "numeric":
        value, tolerance = q.value, q.tolerance
        if q.range is not None:  # Moodle has no range: the middle ± half the width is the same set
            value, tolerance = (q.range[0] + q.range[1]) / 2, (q.range[1] - q.range[0]) / 2
        answer = _answer(el, 1.0, _num(value))
        SubElement(answer, "tolerance").text = _num(tolerance)
    elif q.type == "essay":
        SubElement(el, "responseformat").text = "editor"
        SubElement(el, "responsefieldlines").text = "10"
    elif q.type == "matching":
        SubElement(el, "shuffleanswers").text = "true"
        for left, right in [(p.left, p.right) for p in q.pairs] + [("", d) for d in q.distractors]:
            sub = _text_el(el, "subquestion", left)
            SubElement(SubElement(sub, "answer"), "text").text = right
    return el


def export_problems(questions: list[Question], file: str) -> list[Problem]:
    return [Problem(file, f"{q.id}: Moodle 的填空题（shortanswer）只能有一个空 / Moodle short answer holds one blank only", None, q.id)
            for q in questions if q.type == "fill" and len(q.blanks) != 1]


def dump(questions: list[Question]) -> bytes:
    root = Element("quiz")
    category = None
    for q in questions:
        if q.topic != category:
            category = q.topic
            cat = SubElement(root, "question", {"type": "category"})
            SubElement(SubElement(cat, "category"), "text").text = f"$course$/top/{q.topic}" if q.topic else "$course$/top"
        root.append(question_element(q))
    indent(root)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + tostring(root, encoding="utf-8", xml_declaration=False) + b"\n"


def write(questions: list[Question], path: Path) -> None:
    from .common import atomic_write_bytes

    problems = export_problems(questions, str(path))
    if problems:
        raise InputError(problems)
    atomic_write_bytes(path, dump(questions))
