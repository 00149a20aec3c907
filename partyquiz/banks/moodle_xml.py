"""Moodle XML (`<quiz><question type=…>`), parsed with defusedxml: a bank file is untrusted input.

Moodle's `question/format/xml/format.php` is the reference. Read: multichoice (single and
multiple; a single choice may have several 100% answers, any one is full marks), truefalse
(feedback for each verdict), shortanswer (weights and feedback per answer, `usecase`, `*` the
wildcard), numerical (several answers with weights, tolerance and feedback; `*` = any other
answer), essay (`graderinfo` → the essay's `reference`, for markers only), matching (`match`
too), description, cloze (`cloze` as Moodle's exporter writes it, or `multianswer`; see
`cloze.py`), category (→ topic), `defaultgrade`, `generalfeedback`, `idnumber`/`name` (a
repeated name is allowed, as in Moodle: the second question gets a numbered id, with a warning),
`<tags>`.

Each text keeps its format: `format="html"` (the default), `moodle_auto_format`, `plain_text`
and `markdown` are turned into Markdown as `text.py` says; `<file name=… encoding="base64">`,
`@@PLUGINFILE@@/name` (images and links) and Moodle 1.9's `<image>`/`<image_base64>` become
course media files; a reference to a file the bank does not hold is named in a warning. Weights
are checked as Moodle's importer checks them (`common.grade_problems`): a bank Moodle would
refuse is refused here, with the line; a grade, weight or number that is not a finite number is
refused too. Everything else (calculated, ddwtos, gapselect, multi-response cloze parts…) is
reported with its line; fields we cannot keep (combined feedback, hints, units) are named in a
warning. The writer declares Moodle's type for every kind it holds (`KINDS`; any other kind is
refused, naming the question), uses format="markdown", and puts what Moodle has no element for
(difficulty, exact ranges, a cloze's points when not its parts' sum) in a `<partyquiz>` element
Moodle ignores.
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
from ..i18n import t
from ..model import Question
from . import cloze
from .common import (WILDCARD_RANGE, BankResult, add_question, apply_option_ids, build_question, finite, finite_json, fraction_of, grade_problems,
                     name_question, option_id, own_option_ids, pct, slug, snap_fraction, unmapped, untrimmed_warnings)
from .media import MEDIA_DIR, MediaSink, plugin_file_name, read_media, referenced, size_warning
from .text import MOODLE_FORMAT_NAMES, html_to_text, to_markdown

# Moodle's type names → the reader of each; its exporter writes `cloze` for multianswer and its
# importer also takes `match` for matching
READ_AS = {"multichoice": "multichoice", "truefalse": "truefalse", "shortanswer": "shortanswer", "numerical": "numerical",
           "essay": "essay", "matching": "matching", "match": "matching", "description": "description",
           "multianswer": "multianswer", "cloze": "multianswer"}
LINE_ATTR = "_partyquiz_line"
_LINE_TAGS = frozenset({"question", "answer", "questiontext", "subquestion"})
_UNKEPT = {  # Moodle fields with no place in the model: named in a warning when they hold text
    "correctfeedback": "authoring.bank.unkept.correctfeedback",
    "partiallycorrectfeedback": "authoring.bank.unkept.partiallycorrectfeedback",
    "incorrectfeedback": "authoring.bank.unkept.incorrectfeedback",
    "responsetemplate": "authoring.bank.unkept.responsetemplate",
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


class _Refused(Exception):
    """A question Moodle would not import: the message, and the element it is about."""

    def __init__(self, message: str, where: Element | None = None, column: str | None = None) -> None:
        super().__init__(message)
        self.message, self.where, self.column = message, where, column


def _line_of(element: Element | None) -> int:
    return int(element.get(LINE_ATTR, "0")) if element is not None else 0


class _Reader:
    """One question's texts: formats, embedded files, and the @@PLUGINFILE@@ references."""

    def __init__(self, sink: MediaSink, warnings: list[Problem], file: str, line: int | None) -> None:
        self.sink, self.warnings, self.file, self.line = sink, warnings, file, line

    def warn(self, message: str, column: str = "file") -> None:
        self.warnings.append(Problem(self.file, message, self.line, column))

    def store(self, name: str, encoded: str) -> str | None:
        """An embedded base64 file as a course media file (its `media/…` path), or None with a warning."""
        encoded = "".join(encoded.split())
        if too_big := size_warning(len(encoded) * 3 // 4, name):
            self.warn(too_big)
            return None
        try:
            data = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            self.warn(t("authoring.bank.file_bad_base64", name=name))
            return None
        return self.sink.add(name, data)

    def files_of(self, element: Element | None) -> dict[str, str]:
        found: dict[str, str] = {}
        if element is None or len(element) < 2:  # only <text>: no files
            return found
        for node in element.findall("file"):
            name = (node.get("name") or "").strip()
            if not name or (ref := self.store(name, node.text or "")) is None:
                continue
            path = (node.get("path") or "/").strip()
            found[path.rstrip("/") + "/" + name] = ref
            found.setdefault("/" + name, ref)
        return found

    def text(self, element: Element | None, default_format: str = "html", extra: tuple[str, dict[str, str]] = ("", {})) -> str:
        """The Markdown of `<element format=…><text>…</text><file…/></element>` (+ `extra` HTML and its files)."""
        if element is None and not extra[0]:
            return ""
        raw = ((element.findtext("text") if element is not None else "") or "").strip() + extra[0]
        fmt = MOODLE_FORMAT_NAMES.get((element.get("format") or "").strip(), "html") if element is not None and element.get("format") else default_format
        return to_markdown(raw, fmt, self.media({**self.files_of(element), **extra[1]}))

    def media(self, files: dict[str, str]):
        def resolve(src: str) -> str:
            if (key := plugin_file_name(src)) is None:
                return src
            if key in files:
                return files[key]
            self.warn(t("authoring.bank.file_missing", name=key))
            return ""
        return resolve

    def legacy_image(self, q: Element) -> tuple[str, dict[str, str]]:
        """Moodle 1.9's `<image>` + `<image_base64>`: the picture, shown after the question text
        (as Moodle's importer does). An `<image>` without its data is named in a warning."""
        name = (q.findtext("image") or "").strip()
        if not name:
            return "", {}
        data = q.findtext("image_base64") or ""
        if not data.strip():
            self.warn(t("authoring.bank.file_missing", name=name))
            return "", {}
        safe = name.replace("/", "_")
        ref = self.store(safe, data)
        return (f' <img src="@@PLUGINFILE@@/{safe}" />', {"/" + safe: ref}) if ref else ("", {})


def _format_of(element: Element | None) -> str:
    if element is None:
        return "html"
    return MOODLE_FORMAT_NAMES.get((element.get("format") or "html").strip(), "html")


def _number(text: str | None, default: float, what: str, where: Element | None = None) -> float:
    """A number a question needs (grade, tolerance…); a text that is not a finite number is refused."""
    if text is None or not text.strip():
        return default
    try:
        return finite(text.strip().replace(",", "."))
    except ValueError:
        raise _Refused(t("authoring.bank.xml_not_a_number", field=what, text=text.strip()[:40]), where, what) from None


def _fraction(answer: Element) -> float:
    raw = answer.get("fraction")
    if raw is None:  # very old files: <fraction> inside the answer
        return _number(answer.findtext("fraction"), 0.0, "fraction", answer)
    try:
        return fraction_of(raw.strip() or "0")  # a blank weight is 0, as Moodle reads it
    except ValueError:
        raise _Refused(t("authoring.bank.xml_bad_fraction", text=raw.strip()[:40]), answer, "answer/@fraction") from None


def parse_bytes(data: bytes, file: str, id_prefix: str = "q") -> BankResult:
    try:
        root = parse_xml(data)
    except Exception as exc:  # ParseError, or defusedxml refusing entities/DTDs
        line = getattr(getattr(exc, "position", None), "__getitem__", lambda _: None)(0)
        return BankResult([], [Problem(file, t("authoring.bank.xml_unreadable", error=str(exc)), line)])
    if root.tag != "quiz":
        return BankResult([], [Problem(file, t("authoring.bank.xml_root", tag=str(root.tag)[:40]), 1)])
    result = BankResult()
    sink = MediaSink(result.media)
    seen: dict[str, int | None] = {}
    category = ""
    for number, q in enumerate(root.findall("question"), start=1):
        line = _line_of(q) or None
        kind = q.get("type", "")
        if kind == "category":
            category = _category(q.findtext("category/text") or "")
            continue
        name = (q.findtext("name/text") or "").strip()
        if kind not in READ_AS:
            result.problems.append(Problem(file, t("authoring.bank.xml_unsupported", type=kind, name=name), line, "type"))
            continue
        reader = _Reader(sink, result.warnings, file, line)
        try:
            data = _question(q, READ_AS[kind], reader)
        except _Refused as refused:
            result.problems.append(Problem(file, refused.message, _line_of(refused.where) or line, refused.column or kind))
            continue
        idnumber = (q.findtext("idnumber") or "").strip()
        name_question(data, idnumber, name, f"{id_prefix}-{number:03d}", seen, result.warnings, file, line)
        data["topic"] = category
        apply_option_ids(data, data.pop("_option_ids", None))
        built = build_question(data, file, line)
        if not isinstance(built, list):
            _warn_unkept(q, built.id, reader)
        add_question(result, built, seen, file, line)
    return result


def _warn_unkept(q: Element, qid: str, reader: _Reader) -> None:
    present = {child.tag for child in q}
    if not present & (set(_UNKEPT) | {"hint", "units", "graderinfo"}):
        return
    lost = [t(key) for tag, key in _UNKEPT.items() if tag in present and (q.findtext(f"{tag}/text") or "").strip()]
    if q.get("type") != "essay" and (q.findtext("graderinfo/text") or "").strip():
        lost.append(t("authoring.bank.unkept.graderinfo"))
    if q.findall("hint") and any((h.findtext("text") or "").strip() for h in q.findall("hint")):
        lost.append(t("authoring.bank.unkept.hints"))
    if q.find("units") is not None and q.findall("units/unit"):
        lost.append(t("authoring.bank.unkept.units"))
    if lost:
        reader.warnings.append(Problem(reader.file, t("authoring.bank.not_kept", id=qid, what="; ".join(lost)), reader.line, qid))


def _category(path: str) -> str:
    path = re.sub(r"^\$(course|system|module|cat\d*)\$/", "", path.strip())
    return re.sub(r"^top(/|$)", "", path, flags=re.IGNORECASE)


def _meta(q: Element) -> dict[str, Any]:
    try:
        meta = finite_json(q.findtext("partyquiz") or "{}")
    except ValueError:  # a hand-edited record that is not ours: ignored
        return {}
    return meta if isinstance(meta, dict) else {}


def _question(q: Element, kind: str, reader: _Reader) -> dict[str, Any]:
    qtext = q.find("questiontext")
    qformat = _format_of(qtext)
    meta = _meta(q) if q.find("partyquiz") is not None else {}
    data: dict[str, Any] = {"explanation": reader.text(q.find("generalfeedback"), qformat)}
    tags = [t.strip() for t in (el.text or "" for el in q.findall("tags/tag/text")) if t.strip()]
    if tags:
        data["tags"] = tags
    for key in ("difficulty", "source"):
        if meta.get(key):
            data[key] = meta[key]
    if meta.get("option_ids"):
        data["_option_ids"] = meta["option_ids"]
    legacy = reader.legacy_image(q)
    if kind == "multianswer":
        _multianswer(q, qtext, qformat, legacy, meta, reader, data)
        return data
    data["stem"] = reader.text(qtext, "html", legacy)
    data["points"] = _number(q.findtext("defaultgrade"), 1.0, "defaultgrade")
    READERS[kind](q, q.findall("answer"), reader, qformat, meta, data)
    return data


def _multianswer(q, qtext, qformat, legacy, meta, reader: _Reader, data) -> None:
    raw = ((qtext.findtext("text") if qtext is not None else "") or "") + legacy[0]
    files = {**reader.files_of(qtext), **legacy[1]}
    parsed = cloze.parse(raw, qformat, reader.media(files))
    if isinstance(parsed, str):
        raise _Refused(parsed, qtext, "questiontext")
    stem, parts = parsed
    if meta.get("cloze_ids"):
        stem, parts = cloze.apply_part_ids(stem, parts, meta["cloze_ids"])
    total = sum(p["points"] for p in parts) or 1.0
    points = meta.get("points")  # ours: what the question is worth when not the parts' sum
    data.update(type="cloze", stem=stem, parts=parts, points=points if isinstance(points, (int, float)) and not isinstance(points, bool) else total)


def _description(q, answers, reader, qformat, meta, data) -> None:
    data["type"] = "description"
    data.pop("points")


def _essay(q, answers, reader, qformat, meta, data) -> None:
    data["type"] = "essay"
    data["reference"] = reader.text(q.find("graderinfo"), qformat)  # information for graders: markers only


def _blank(a: Element) -> bool:
    return not (a.findtext("text") or "").strip() and not a.findall("file")


def _multichoice(q, answers, reader, qformat, meta, data) -> None:
    single = (q.findtext("single") or "true").strip().lower() not in ("false", "0", "")
    answers = [a for a in answers if not _blank(a)]  # Moodle skips a blank answer
    fractions = [_fraction(a) for a in answers]
    if len(answers) < 2:
        raise _Refused(t("authoring.bank.choice_two_answers"))
    if message := grade_problems("single" if single else "multiple", fractions):
        raise _Refused(message, None, "answer/@fraction")
    options = []
    for index, (a, raw_fraction) in enumerate(zip(answers, fractions)):
        fraction = snap_fraction(raw_fraction)
        option: dict[str, Any] = {"id": option_id(index), "text": reader.text(a, qformat), "feedback": reader.text(a.find("feedback"), qformat)}
        if single and fraction == 1:  # several 100% answers: any one is full marks, as in Moodle
            option["correct"] = True
        elif single:
            if fraction:
                option["fraction"] = fraction
        else:
            option["fraction"], option["correct"] = fraction, fraction > 0
        options.append(option)
    data.update(type="single" if single else "multiple", options=options)


def _truefalse(q, answers, reader, qformat, meta, data) -> None:
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
        raise _Refused(t("authoring.bank.tf_no_answer"))


def _shortanswer(q, answers, reader, qformat, meta, data) -> None:
    kept = [a for a in answers if (a.findtext("text") or "").strip()]  # Moodle never matches a blank answer
    if not kept:
        raise _Refused(t("authoring.bank.short_no_answer"))
    fractions = [_fraction(a) for a in kept]
    if message := grade_problems("shortanswer", fractions):
        raise _Refused(message, None, "answer/@fraction")
    if any(f < 0 for f in fractions):
        raise _Refused(t("authoring.bank.short_negative"))
    alternatives = [{"text": (a.findtext("text") or "").strip(), "fraction": snap_fraction(f), "feedback": reader.text(a.find("feedback"), qformat)} for a, f in zip(kept, fractions)]
    plain = all(a["fraction"] == 1 and not a["feedback"] for a in alternatives)
    data.update(type="fill", blanks=[[a["text"] for a in alternatives] if plain else alternatives],
                case_sensitive=(q.findtext("usecase") or "0").strip() == "1")


def _matching(q, answers, reader, qformat, meta, data) -> None:
    pairs, distractors = [], []
    for index, sub in enumerate(q.findall("subquestion")):
        left, right = reader.text(sub, qformat), (sub.findtext("answer/text") or "").strip()
        if left:
            pairs.append({"id": option_id(index), "left": left, "right": right})
        else:
            distractors.append(right)
    data.update(type="matching", pairs=pairs, distractors=distractors)


def _exact_range(value: float, tolerance: float) -> list[float]:
    """value ± tolerance as the two decimals they stand for: 3.1415 ± 0.0005 → [3.141, 3.142]."""
    v, t_ = Decimal(repr(value)), Decimal(repr(tolerance))
    return [float(v - t_), float(v + t_)]


def _numerical(q, answers, reader, qformat, meta, data) -> None:
    found: list[dict[str, Any]] = []
    fractions = []
    ranges = set(r for r in meta.get("ranges", []) if isinstance(r, int)) if isinstance(meta.get("ranges"), list) else set()
    for index, a in enumerate(answers):
        text = (a.findtext("text") or "").strip() or "*"
        fraction = _fraction(a)
        feedback = reader.text(a.find("feedback"), qformat)
        if text == "*":
            found.append({"range": list(WILDCARD_RANGE), "fraction": max(fraction, 0.0), "feedback": feedback})
            continue
        try:
            value = finite(text.replace(",", "."))
        except ValueError:
            raise _Refused(t("authoring.bank.numeric_unreadable", text=text[:40]), a) from None
        tolerance = abs(_number(a.findtext("tolerance"), 0.0, "tolerance", a))
        fractions.append(fraction)
        answer: dict[str, Any] = {"fraction": snap_fraction(fraction), "feedback": feedback}
        if index in ranges:
            answer["range"] = _exact_range(value, tolerance)
        else:
            answer.update(value=value, tolerance=tolerance)
        found.append(answer)
    if not fractions:
        raise _Refused(t("authoring.bank.numeric_no_answer"))
    if message := grade_problems("numerical", fractions):
        raise _Refused(message, None, "answer/@fraction")
    if any(f < 0 for f in fractions):
        raise _Refused(t("authoring.bank.numeric_negative"))
    data["type"] = "numeric"
    if len(found) == 1 and found[0]["fraction"] == 1 and not found[0]["feedback"]:
        data.update({k: v for k, v in found[0].items() if k in ("value", "tolerance", "range")})
    else:
        data["numeric_answers"] = found


READERS = {"description": _description, "essay": _essay, "multichoice": _multichoice, "truefalse": _truefalse,
           "shortanswer": _shortanswer, "numerical": _numerical, "matching": _matching}


def parse(path: Path) -> BankResult:
    return parse_bytes(path.read_bytes(), str(path), slug(path.stem, "q"))


def read(path: Path) -> list[Question]:
    return parse(path).raise_if_problems()


# --- writing -----------------------------------------------------------------------------------

class _Writer:
    """Texts out: `media/x` images and links become `@@PLUGINFILE@@/x` with the file embedded."""

    def __init__(self, media_folder: Path | None, warnings: list[Problem], file: str) -> None:
        self.media_folder, self.warnings, self.file = media_folder, warnings, file

    def text_el(self, parent: Element, tag: str, text: str, fmt: str | None = "markdown", qid: str = "") -> Element:
        element = SubElement(parent, tag, {"format": fmt} if fmt else {})
        refs = sorted(referenced(text))
        for ref in refs:
            name = ref.removeprefix(MEDIA_DIR + "/")
            text = text.replace(f'src="{ref}"', f'src="@@PLUGINFILE@@/{name}"').replace(f'href="{ref}"', f'href="@@PLUGINFILE@@/{name}"')
        SubElement(element, "text").text = text
        for ref in refs:
            data = read_media(self.media_folder, ref) if self.media_folder is not None else None
            if data is None:
                self.warnings.append(Problem(self.file, t("authoring.bank.media_not_found", id=qid, ref=ref), None, qid))
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


def _write_choice(q: Question, el: Element, w: _Writer, meta: dict) -> None:
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


def _write_truefalse(q: Question, el: Element, w: _Writer, meta: dict) -> None:
    _answer(w, el, 1.0 if q.answer else 0.0, "true", q.feedback_true, q.id, "moodle_auto_format")
    _answer(w, el, 0.0 if q.answer else 1.0, "false", q.feedback_false, q.id, "moodle_auto_format")


def _write_fill(q: Question, el: Element, w: _Writer, meta: dict) -> None:
    SubElement(el, "usecase").text = "1" if q.case_sensitive else "0"
    for alt in q.blanks[0]:
        if isinstance(alt, str):
            _answer(w, el, 1.0, alt, "", q.id, "moodle_auto_format")
        else:
            _answer(w, el, alt.fraction, alt.text, alt.feedback, q.id, "moodle_auto_format")


def _write_numeric(q: Question, el: Element, w: _Writer, meta: dict) -> None:
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


def _write_essay(q: Question, el: Element, w: _Writer, meta: dict) -> None:
    SubElement(el, "responseformat").text = "editor"
    SubElement(el, "responsefieldlines").text = "10"
    if q.reference:  # Moodle's information for graders: markers see it, learners never do
        w.text_el(el, "graderinfo", q.reference, "markdown", q.id)


def _write_matching(q: Question, el: Element, w: _Writer, meta: dict) -> None:
    SubElement(el, "shuffleanswers").text = "true"
    for left, right in [(p.left, p.right) for p in q.pairs] + [("", d) for d in q.distractors]:
        sub = w.text_el(el, "subquestion", left, "markdown", q.id)
        SubElement(SubElement(sub, "answer"), "text").text = right


def _write_cloze(q: Question, el: Element, w: _Writer, meta: dict) -> None:
    if cloze_ids := cloze.own_part_ids(q):
        meta["cloze_ids"] = cloze_ids
    if q.points != sum(p.points for p in q.parts):  # Moodle grades a cloze out of its parts' sum
        meta["points"] = q.points
        w.warnings.append(Problem(w.file, t("authoring.bank.cloze_points", id=q.id, points=_num(q.points), total=_num(sum(p.points for p in q.parts))), None, q.id))


def _write_nothing(q: Question, el: Element, w: _Writer, meta: dict) -> None:
    return None


# Moodle's question type of every kind this format holds, and what writes the kind's fields.
# A kind not listed (one registered later) is refused at export, naming the question.
KINDS = {"single": ("multichoice", _write_choice), "multiple": ("multichoice", _write_choice), "truefalse": ("truefalse", _write_truefalse),
         "fill": ("shortanswer", _write_fill), "numeric": ("numerical", _write_numeric), "essay": ("essay", _write_essay),
         "matching": ("matching", _write_matching), "description": ("description", _write_nothing), "cloze": ("cloze", _write_cloze)}


def question_element(q: Question, w: _Writer) -> Element:
    moodle_type, write_fields = KINDS[q.type]
    el = Element("question", {"type": moodle_type})
    SubElement(SubElement(el, "name"), "text").text = q.title or q.id
    stem = cloze.dump(q) if q.type == "cloze" else q.stem
    w.text_el(el, "questiontext", stem, "markdown", q.id)
    w.text_el(el, "generalfeedback", q.explanation, "markdown", q.id)
    if q.type != "cloze":
        SubElement(el, "defaultgrade").text = _num(q.points)
    SubElement(el, "penalty").text = "0"
    SubElement(el, "hidden").text = "0"
    SubElement(el, "idnumber").text = q.id
    meta: dict[str, Any] = {k: getattr(q, k) for k in ("difficulty", "source") if getattr(q, k)}
    write_fields(q, el, w, meta)
    if q.tags:
        tags_el = SubElement(el, "tags")
        for tag in q.tags:
            SubElement(SubElement(tags_el, "tag"), "text").text = tag
    if ids := own_option_ids(q):
        meta["option_ids"] = ids
    if meta:
        SubElement(el, "partyquiz").text = json.dumps(meta, ensure_ascii=False)
    return el


def export_problems(questions: list[Question], file: str) -> list[Problem]:
    problems = unmapped(questions, KINDS, "Moodle XML", file)
    for q in questions:
        if q.type == "fill" and len(q.blanks) != 1:
            problems.append(Problem(file, t("authoring.bank.xml_one_blank", id=q.id), None, q.id))
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
    """Write Moodle XML; returns the warnings (media not found, texts Moodle trims, cloze points)."""
    from ..files import atomic_write_bytes

    problems = export_problems(questions, str(path))
    if problems:
        raise InputError(problems)
    warnings: list[Problem] = []
    atomic_write_bytes(path, dump(questions, media_folder, warnings, str(path)))
    return warnings + untrimmed_warnings(questions, "Moodle XML", str(path))


__all__ = ["parse", "parse_bytes", "read", "dump", "write", "html_to_text", "parse_xml"]
