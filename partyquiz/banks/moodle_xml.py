"""Moodle XML (`<quiz><question type=…>`), parsed with defusedxml: a bank file is untrusted input.

Moodle's `question/format/xml/format.php` is the reference. Read: multichoice (single and
multiple), truefalse (feedback for each verdict), shortanswer (weights and feedback per answer,
`usecase`), numerical (several answers with weights, tolerance and feedback; `*` = any other
answer), essay, matching, description, multianswer (cloze, see `cloze.py`), category (→ topic),
`defaultgrade`, `generalfeedback`, `idnumber`/`name`, `<tags>`.

Each text keeps its format: `format="html"` (the default), `moodle_auto_format`, `plain_text`
and `markdown` are turned into Markdown as `text.py` says; `<file name=… encoding="base64">` and
`@@PLUGINFILE@@/name` become course media files. Weights are checked as Moodle's importer checks
them (`common.grade_problems`): a bank Moodle would refuse is refused here, with the line.
Everything else (calculated, ddwtos, gapselect, multi-response cloze parts…) is reported with
its line; fields we cannot keep (combined feedback, hints, units, grader information) are named
in a warning. The writer uses format="markdown" and puts what Moodle has no element for
(difficulty, exact ranges) in a `<partyquiz>` element Moodle ignores.
"""
from __future__ import annotations

import base64
import binascii
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, SubElement, TreeBuilder, indent, tostring

from defusedxml.ElementTree import DefusedXMLParser

from ..errors import InputError, Problem
from ..model import Question
from . import cloze
from .gift import apply_option_ids, own_option_ids
from .common import WILDCARD_RANGE, BankResult, add_question, build_question, grade_problems, pct, slug, snap_fraction, valid_id
from .media import MEDIA_DIR, MediaSink, read_media, referenced
from .text import MOODLE_FORMAT_NAMES, html_to_text, to_markdown

SUPPORTED = {"multichoice", "truefalse", "shortanswer", "numerical", "essay", "matching", "description", "multianswer"}
LINE_ATTR = "_partyquiz_line"
_LINE_TAGS = frozenset({"question", "answer", "questiontext", "subquestion"})
_UNKEPT = {  # Moodle fields with no place in the model: named in a warning when they hold text
    "correctfeedback": "综合反馈（全对）/ combined feedback for a right answer",
    "partiallycorrectfeedback": "综合反馈（部分对）/ combined feedback for a partly right answer",
    "incorrectfeedback": "综合反馈（错误）/ combined feedback for a wrong answer",
    "graderinfo": "评分说明 / information for graders",
    "responsetemplate": "作答模板 / response template",
}


class _LineTreeBuilder(TreeBuilder):
    """A TreeBuilder that remembers the line each element starts on, for error messages."""

    def __init__(self) -> None:
        super().__init__()
        self.parser: DefusedXMLParser | None = None

    def start(self, tag, attrs):
        element = super().start(tag, attrs)
        if self.parser is not None and tag in _LINE_TAGS:  # only where a problem can point
            element.set(LINE_ATTR, str(self.parser.parser.CurrentLineNumber))
        return element


def parse_xml(data: bytes) -> Element:
    builder = _LineTreeBuilder()
    parser = DefusedXMLParser(target=builder, forbid_dtd=True)
    builder.parser = parser
    parser.feed(data)
    return parser.close()


class _Reader:
    """One question's texts: formats, embedded files, and the @@PLUGINFILE@@ references."""

    def __init__(self, sink: MediaSink, warnings: list[Problem], file: str, line: int | None) -> None:
        self.sink, self.warnings, self.file, self.line = sink, warnings, file, line

    def files_of(self, element: Element | None) -> dict[str, str]:
        found: dict[str, str] = {}
        if element is None or len(element) < 2:  # only <text>: no files
            return found
        for node in element.findall("file"):
            name = (node.get("name") or "").strip()
            if not name:
                continue
            try:
                data = base64.b64decode("".join((node.text or "").split()), validate=True)
            except (binascii.Error, ValueError):
                self.warnings.append(Problem(self.file, f"嵌入文件 {name} 不是有效的 base64，未导入 / embedded file {name} is not valid base64: not imported", self.line, "file"))
                continue
            path = (node.get("path") or "/").strip()
            found[path.rstrip("/") + "/" + name] = self.sink.add(name, data)
            found.setdefault("/" + name, found[path.rstrip("/") + "/" + name])
        return found

    def text(self, element: Element | None, default_format: str = "html", plain: bool = False) -> str:
        """The Markdown of `<element format=…><text>…</text><file…/></element>`."""
        if element is None:
            return ""
        raw = (element.findtext("text") or "").strip()
        if plain:
            return raw
        fmt = MOODLE_FORMAT_NAMES.get((element.get("format") or "").strip(), default_format if not element.get("format") else "html")
        files = self.files_of(element)
        resolve = self.media(files)
        if fmt == "markdown" and "@@PLUGINFILE@@" in raw:  # Markdown is kept as written: only its file references change
            raw = re.sub(r"@@PLUGINFILE@@/[^\s\"')<>]+", lambda m: resolve(m.group(0)) or "", raw)
        return to_markdown(raw, fmt, resolve)

    def media(self, files: dict[str, str]):
        def resolve(src: str) -> str:
            if not src.startswith("@@PLUGINFILE@@"):
                return src
            from urllib.parse import unquote

            key = unquote(src[len("@@PLUGINFILE@@"):].split("?", 1)[0])
            if key in files:
                return files[key]
            self.warnings.append(Problem(self.file, f"图片 {key} 没有随题库提供，已显示为替代文字 / image {key} is not in the file: shown as its alt text", self.line, "file"))
            return ""
        return resolve


def _format_of(element: Element | None) -> str:
    if element is None:
        return "html"
    return MOODLE_FORMAT_NAMES.get((element.get("format") or "html").strip(), "html")


def _float(text: str | None, default: float) -> float:
    try:
        return float(text) if text not in (None, "") else default
    except ValueError:
        return default


def _fraction(answer: Element) -> float:
    return float(Decimal((answer.get("fraction") or "0").strip() or "0") / 100)


def parse_bytes(data: bytes, file: str, id_prefix: str = "q") -> BankResult:
    try:
        root = parse_xml(data)
    except Exception as exc:  # ParseError, or defusedxml refusing entities/DTDs
        line = getattr(getattr(exc, "position", None), "__getitem__", lambda _: None)(0)
        return BankResult([], [Problem(file, f"XML 无法解析 / cannot parse XML: {exc}", line)])
    if root.tag != "quiz":
        return BankResult([], [Problem(file, f"根元素应为 <quiz>，实为 <{root.tag}> / root element must be <quiz>", 1)])
    result = BankResult()
    sink = MediaSink(result.media)
    seen: dict[str, int | None] = {}
    category = ""
    for number, q in enumerate(root.findall("question"), start=1):
        line = int(q.get(LINE_ATTR, "0")) or None
        kind = q.get("type", "")
        if kind == "category":
            category = _category(q.findtext("category/text") or "")
            continue
        if kind not in SUPPORTED:
            name = (q.findtext("name/text") or "").strip()
            result.problems.append(Problem(file, f"不支持的题型 '{kind}'（{name}）/ unsupported question type '{kind}'", line, "type"))
            continue
        reader = _Reader(sink, result.warnings, file, line)
        data, problems = _question(q, kind, reader, f"{id_prefix}-{number:03d}")
        if problems:
            result.problems.extend(problems)
            continue
        data["topic"] = category
        apply_option_ids(data, data.pop("_option_ids", None))
        built = build_question(data, file, line)
        if not isinstance(built, list):
            _warn_unkept(q, built.id, reader)
        add_question(result, built, seen, file, line)
    return result


def _warn_unkept(q: Element, qid: str, reader: _Reader) -> None:
    present = {child.tag for child in q}
    if not present & (set(_UNKEPT) | {"hint", "units"}):
        return
    lost = [label for tag, label in _UNKEPT.items() if tag in present and (q.findtext(f"{tag}/text") or "").strip()]
    if q.findall("hint") and any((h.findtext("text") or "").strip() for h in q.findall("hint")):
        lost.append("提示 / hints")
    if q.find("units") is not None and q.findall("units/unit"):
        lost.append("单位 / units")
    if lost:
        reader.warnings.append(Problem(reader.file, f"{qid}: 未保留 / not kept: {'; '.join(lost)}", reader.line, qid))


def _category(path: str) -> str:
    path = re.sub(r"^\$(course|system|module|cat\d*)\$/", "", path.strip())
    return re.sub(r"^top(/|$)", "", path, flags=re.IGNORECASE)


def _meta(q: Element) -> dict[str, Any]:
    try:
        return json.loads(q.findtext("partyquiz") or "{}")
    except json.JSONDecodeError:
        return {}


def _question(q: Element, kind: str, reader: _Reader, fallback: str) -> tuple[dict[str, Any], list[Problem]]:
    name = (q.findtext("name/text") or "").strip()
    idnumber = (q.findtext("idnumber") or "").strip()
    qid = next((c for c in (idnumber, name) if c and valid_id(c)), fallback)
    qtext = q.find("questiontext")
    qformat = _format_of(qtext)
    meta = _meta(q) if q.find("partyquiz") is not None else {}
    problems: list[Problem] = []

    def problem(message: str, where: Element | None = None, column: str | None = None) -> None:
        at = int(where.get(LINE_ATTR, "0")) if where is not None else 0
        problems.append(Problem(reader.file, message, at or reader.line, column or kind))

    data: dict[str, Any] = {"id": qid, "explanation": reader.text(q.find("generalfeedback"), qformat)}
    if name and name != qid and "title" in Question.model_fields:
        data["title"] = name
    tags = [t.strip() for t in (el.text or "" for el in q.findall("tags/tag/text")) if t.strip()]
    if tags and "tags" in Question.model_fields:
        data["tags"] = tags
    for key in ("difficulty", "source"):
        if meta.get(key):
            data[key] = meta[key]
    if meta.get("option_ids"):
        data["_option_ids"] = meta["option_ids"]
    if kind == "multianswer":
        raw = (qtext.findtext("text") if qtext is not None else "") or ""
        files = reader.files_of(qtext)
        parsed = cloze.parse(raw, qformat, reader.media(files))
        if isinstance(parsed, str):
            problem(parsed, qtext, "questiontext")
            return data, problems
        stem, parts = parsed
        if meta.get("cloze_ids"):
            stem, parts = cloze.apply_part_ids(stem, parts, meta["cloze_ids"])
        data.update(type="cloze", stem=stem, parts=parts, points=sum(p["points"] for p in parts) or 1.0)
        return data, problems
    data["stem"] = reader.text(qtext, "html")
    data["points"] = _float(q.findtext("defaultgrade"), 1.0)
    answers = q.findall("answer")
    if kind == "description":
        data["type"] = "description"
        data.pop("points")
    elif kind == "multichoice":
        single = (q.findtext("single") or "true").strip().lower() not in ("false", "0", "")
        fractions = [_fraction(a) for a in answers]
        if len([a for a in answers if (a.findtext("text") or "").strip() or a.findall("file")]) < 2:
            problem("选择题至少需要两个答案 / multiple choice needs at least two answers")
        elif message := grade_problems("single" if single else "multiple", fractions):
            problem(message, None, "answer/@fraction")
        options = []
        for index, (a, raw_fraction) in enumerate(zip(answers, fractions)):
            fraction = snap_fraction(raw_fraction)
            option: dict[str, Any] = {"id": option_id(index), "text": reader.text(a, qformat), "feedback": reader.text(a.find("feedback"), qformat)}
            if single and fraction == 1:
                option["correct"] = True
            elif single:
                if fraction:
                    option["fraction"] = fraction
            else:
                option["fraction"], option["correct"] = fraction, fraction > 0
            options.append(option)
        if single and sum(1 for o in options if o.get("correct")) > 1:
            problem("不支持：单选题有多个 100% 答案 / unsupported: single choice with several 100% answers")
        data.update(type="single" if single else "multiple", options=options)
    elif kind == "truefalse":
        data["type"] = "truefalse"
        for index, a in enumerate(answers):
            text = (a.findtext("text") or "").strip()
            if text not in ("true", "false"):  # old files: true first, then false
                text = "true" if index == 0 else "false"
            feedback = reader.text(a.find("feedback"), qformat)
            right = _fraction(a) == 1
            if text == "true":
                data["answer"], data["feedback_true"] = right, feedback
            else:
                data.setdefault("answer", not right)
                data["feedback_false"] = feedback
        if "answer" not in data:
            problem("判断题需要答案 / true/false needs its answers")
    elif kind == "shortanswer":
        kept = [a for a in answers if (a.findtext("text") or "").strip() or _fraction(a) or (a.findtext("feedback/text") or "").strip()]
        fractions = [_fraction(a) for a in kept]
        if not kept:
            problem("填空题至少需要一个答案 / short answer needs an answer")
        elif message := grade_problems("shortanswer", fractions):
            problem(message, None, "answer/@fraction")
        elif any(f < 0 for f in fractions):
            problem("不支持：填空题答案的负权重 / unsupported: negative weight on a short answer")
        alternatives = [{"text": (a.findtext("text") or "").strip(), "fraction": snap_fraction(f), "feedback": reader.text(a.find("feedback"), qformat)} for a, f in zip(kept, fractions)]
        plain = all(a["fraction"] == 1 and not a["feedback"] for a in alternatives)
        data.update(type="fill", blanks=[[a["text"] for a in alternatives] if plain else alternatives],
                    case_sensitive=(q.findtext("usecase") or "0").strip() == "1")
    elif kind == "numerical":
        _numerical(q, answers, reader, qformat, meta, data, problem)
    elif kind == "essay":
        data["type"] = "essay"
    elif kind == "matching":
        pairs, distractors = [], []
        for index, sub in enumerate(q.findall("subquestion")):
            left, right = reader.text(sub, qformat), (sub.findtext("answer/text") or "").strip()
            if left:
                pairs.append({"id": option_id(index), "left": left, "right": right})
            else:
                distractors.append(right)
        data.update(type="matching", pairs=pairs, distractors=distractors)
    return data, problems


def _exact_range(value: float, tolerance: float) -> list[float]:
    """value ± tolerance as the two decimals they stand for: 3.1415 ± 0.0005 → [3.141, 3.142]."""
    v, t = Decimal(repr(value)), Decimal(repr(tolerance))
    return [float(v - t), float(v + t)]


def _numerical(q, answers, reader, qformat, meta, data, problem) -> None:
    found: list[dict[str, Any]] = []
    fractions = []
    ranges = set(meta.get("ranges", []))
    for index, a in enumerate(answers):
        text = (a.findtext("text") or "").strip() or "*"
        fraction = _fraction(a) if a.get("fraction") is not None else _float(a.findtext("fraction"), 0.0)
        feedback = reader.text(a.find("feedback"), qformat)
        if text == "*":
            found.append({"range": list(WILDCARD_RANGE), "fraction": max(fraction, 0.0), "feedback": feedback})
            continue
        try:
            value = float(text.replace(",", "."))
            tolerance = abs(float((a.findtext("tolerance") or "0").strip() or "0"))
        except ValueError:
            problem(f"数值答案无法识别 / cannot read numerical answer '{text}'", a)
            return
        fractions.append(fraction)
        answer: dict[str, Any] = {"fraction": snap_fraction(fraction), "feedback": feedback}
        if index in ranges:
            answer["range"] = _exact_range(value, tolerance)
        else:
            answer.update(value=value, tolerance=tolerance)
        found.append(answer)
    if not fractions:
        problem("数值题没有答案 / numerical without an answer")
        return
    if message := grade_problems("numerical", fractions):
        problem(message, None, "answer/@fraction")
        return
    if any(f < 0 for f in fractions):
        problem("不支持：数值答案的负权重 / unsupported: negative weight on a numerical answer")
        return
    data["type"] = "numeric"
    if len(found) == 1 and found[0]["fraction"] == 1 and not found[0]["feedback"]:
        data.update({k: v for k, v in found[0].items() if k in ("value", "tolerance", "range")})
    else:
        data["numeric_answers"] = found


def option_id(index: int) -> str:
    return "abcdefghijklmnopqrstuvwxyz"[index % 26] + (str(index // 26) if index >= 26 else "")


def parse(path: Path) -> BankResult:
    return parse_bytes(path.read_bytes(), str(path), slug(path.stem, "q"))


def read(path: Path) -> list[Question]:
    return parse(path).raise_if_problems()


# --- writing -----------------------------------------------------------------------------------

class _Writer:
    """Texts out: `media/x` images become `@@PLUGINFILE@@/x` with the file embedded."""

    def __init__(self, media_folder: Path | None, warnings: list[Problem], file: str) -> None:
        self.media_folder, self.warnings, self.file = media_folder, warnings, file

    def text_el(self, parent: Element, tag: str, text: str, fmt: str | None = "markdown", qid: str = "") -> Element:
        element = SubElement(parent, tag, {"format": fmt} if fmt else {})
        refs = sorted(referenced(text))
        for ref in refs:
            text = text.replace(f'src="{ref}"', f'src="@@PLUGINFILE@@/{ref.removeprefix(MEDIA_DIR + "/")}"')
        SubElement(element, "text").text = text
        for ref in refs:
            data = read_media(self.media_folder, ref) if self.media_folder is not None else None
            if data is None:
                self.warnings.append(Problem(self.file, f"{qid}: 找不到媒体文件 {ref}，未嵌入 / media file {ref} not found: not embedded", None, qid))
                continue
            SubElement(element, "file", {"name": ref.removeprefix(MEDIA_DIR + "/"), "path": "/", "encoding": "base64"}).text = base64.b64encode(data).decode("ascii")
        return element


def _num(x: float) -> str:
    from .spreadsheet import fmt_number

    return fmt_number(x)


def _answer(w: _Writer, parent: Element, fraction: float, text: str, feedback: str = "", qid: str = "", fmt: str | None = "markdown") -> Element:
    answer = w.text_el(parent, "answer", text, fmt, qid)
    answer.set("fraction", pct(fraction))
    if feedback:  # Moodle reads a missing <feedback> as empty
        w.text_el(answer, "feedback", feedback, "markdown", qid)
    return answer


def _midpoint(low: float, high: float) -> tuple[str, str]:
    lo, hi = Decimal(repr(low)), Decimal(repr(high))
    mid, half = (lo + hi) / 2, (hi - lo) / 2
    return format(mid.normalize(), "f"), format(half.normalize(), "f")


def question_element(q: Question, w: _Writer) -> Element:
    kind = {"single": "multichoice", "multiple": "multichoice", "truefalse": "truefalse", "fill": "shortanswer",
            "numeric": "numerical", "essay": "essay", "matching": "matching", "description": "description", "cloze": "multianswer"}[q.type]
    el = Element("question", {"type": kind})
    SubElement(SubElement(el, "name"), "text").text = getattr(q, "title", "") or q.id
    stem = cloze.dump(q) if q.type == "cloze" else q.stem
    w.text_el(el, "questiontext", stem, "markdown", q.id)
    w.text_el(el, "generalfeedback", q.explanation, "markdown", q.id)
    if q.type != "cloze":
        SubElement(el, "defaultgrade").text = _num(q.points)
    SubElement(el, "penalty").text = "0"
    SubElement(el, "hidden").text = "0"
    SubElement(el, "idnumber").text = q.id
    meta: dict[str, Any] = {k: getattr(q, k) for k in ("difficulty", "source") if getattr(q, k)}
    if q.type in ("single", "multiple"):
        SubElement(el, "single").text = "true" if q.type == "single" else "false"
        SubElement(el, "shuffleanswers").text = "true"
        SubElement(el, "answernumbering").text = "ABCD"
        n_right = len(q.correct_ids)
        for o in q.options:
            if q.type == "single":
                fraction = 1.0 if o.correct else (o.fraction or 0.0)
            else:
                fraction = o.fraction if o.fraction is not None else snap_fraction(round((1 / n_right if o.correct else -1 / n_right), 7))
            _answer(w, el, fraction, o.text, o.feedback, q.id)
    elif q.type == "truefalse":
        _answer(w, el, 1.0 if q.answer else 0.0, "true", q.feedback_true, q.id, "moodle_auto_format")
        _answer(w, el, 0.0 if q.answer else 1.0, "false", q.feedback_false, q.id, "moodle_auto_format")
    elif q.type == "fill":
        SubElement(el, "usecase").text = "1" if q.case_sensitive else "0"
        for alt in q.blanks[0]:
            if isinstance(alt, str):
                _answer(w, el, 1.0, alt, "", q.id, "moodle_auto_format")
            else:
                _answer(w, el, alt.fraction, alt.text, alt.feedback, q.id, "moodle_auto_format")
    elif q.type == "numeric":
        answers = []
        if q.range is not None or q.value is not None:
            answers.append((1.0, q.value, q.tolerance, q.range, ""))
        answers += [(a.fraction, a.value, a.tolerance, a.range, a.feedback) for a in q.numeric_answers]
        ranges = []
        for index, (fraction, value, tolerance, rng, feedback) in enumerate(answers):
            if rng is not None and tuple(rng) == WILDCARD_RANGE:
                _answer(w, el, fraction, "*", feedback, q.id, "moodle_auto_format")
                SubElement(el[-1], "tolerance").text = "0"
                continue
            if rng is not None:  # Moodle has no range: the middle ± half the width, in exact decimals
                text, tol = _midpoint(rng[0], rng[1])
                ranges.append(index)
            else:
                text, tol = _num(value), _num(tolerance)
            answer = _answer(w, el, fraction, text, feedback, q.id, "moodle_auto_format")
            SubElement(answer, "tolerance").text = tol
        if ranges:
            meta["ranges"] = ranges
    elif q.type == "essay":
        SubElement(el, "responseformat").text = "editor"
        SubElement(el, "responsefieldlines").text = "10"
    elif q.type == "matching":
        SubElement(el, "shuffleanswers").text = "true"
        for left, right in [(p.left, p.right) for p in q.pairs] + [("", d) for d in q.distractors]:
            sub = w.text_el(el, "subquestion", left, "markdown", q.id)
            SubElement(SubElement(sub, "answer"), "text").text = right
    tags = getattr(q, "tags", []) or []
    if tags:
        tags_el = SubElement(el, "tags")
        for tag in tags:
            SubElement(SubElement(tags_el, "tag"), "text").text = tag
    if ids := own_option_ids(q):
        meta["option_ids"] = ids
    if q.type == "cloze" and (cloze_ids := cloze.own_part_ids(q)):
        meta["cloze_ids"] = cloze_ids
    if meta:
        SubElement(el, "partyquiz").text = json.dumps(meta, ensure_ascii=False)
    return el


def export_problems(questions: list[Question], file: str) -> list[Problem]:
    problems = []
    for q in questions:
        if q.type == "fill" and len(q.blanks) != 1:
            problems.append(Problem(file, f"{q.id}: Moodle 的填空题（shortanswer）只能有一个空：请改为完形填空题（cloze）/ Moodle short answer holds one blank only: make it a cloze question", None, q.id))
        elif q.type == "cloze" and (message := cloze.export_problem(q)):
            problems.append(Problem(file, f"{q.id}: {message}", None, q.id))
    return problems


def dump(questions: list[Question], media_folder: Path | None = None, warnings: list[Problem] | None = None, file: str = "") -> bytes:
    writer = _Writer(media_folder, warnings if warnings is not None else [], file)
    root = Element("quiz")
    category = None
    for q in questions:
        if q.topic != category:
            category = q.topic
            cat = SubElement(root, "question", {"type": "category"})
            SubElement(SubElement(cat, "category"), "text").text = f"$course$/top/{q.topic}" if q.topic else "$course$/top"
        root.append(question_element(q, writer))
    indent(root)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + tostring(root, encoding="utf-8", xml_declaration=False) + b"\n"


def write(questions: list[Question], path: Path, media_folder: Path | None = None) -> list[Problem]:
    from ..files import atomic_write_bytes

    problems = export_problems(questions, str(path))
    if problems:
        raise InputError(problems)
    warnings: list[Problem] = []
    atomic_write_bytes(path, dump(questions, media_folder, warnings, str(path)))
    return warnings


__all__ = ["parse", "parse_bytes", "read", "dump", "write", "html_to_text", "parse_xml"]
