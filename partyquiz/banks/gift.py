"""GIFT, Moodle's plain-text question format, read the way Moodle's importer reads it.

Moodle's `question/format/gift/format.php` is the reference; the rules it applies, in its order:
- questions are separated by blank lines; lines starting with `//` are comments (a comment
  may carry `[id:…]` (→ the id) and `[tag:…]`; ours, `// partyquiz {...}`, carries points and
  difficulty, which GIFT has no place for);
- escapes: `\\\\` is one backslash and `\\: \\# \\= \\{ \\} \\~ \\n` are the literal characters
  (a newline for `\\n`); any other backslash stays as typed (`C:\\temp`);
- `::name::` (the id when it is a valid id, else the title); the first `{` and first `}` hold
  the answers; no braces at all is a description; text after `}` makes a missing-word stem
  (`_____` where the block stood); `####` (the last one) starts the general feedback;
- each text may start with `[html]`, `[moodle]`, `[plain]` or `[markdown]` (default: the stem's
  format, the stem's default is moodle); the marker is removed and the text rendered as that
  format (see `text.py`);
- the type: `#…` numerical; a `~` anywhere multiple choice (so `->` inside an option is text);
  `=` and `->` matching; exactly `T`/`TRUE`/`F`/`FALSE` (before any `#`) true/false, whose
  first `#` is the feedback for a wrong answer and the second for a right one; anything else
  is a short answer (`{One}` too); empty braces are an essay;
- weights `%50%`; Moodle then refuses weights that are not among its grades, single choice and
  short answer without a 100% answer, and multiple choice whose positive weights do not add up
  to 100% (see `common.grade_problems`).
An `@@PLUGINFILE@@` image or link (GIFT carries no files) shows its alt text, with a warning
naming the file; a `// comment` inside an answer block (which GIFT-grammar-PEG.js reads as a
comment, Moodle as text) is dropped with a warning. Two questions with the same `::name::`
both import (Moodle allows it): the second gets a numbered id, with a warning.

Writing: `KINDS` declares the answer block of every kind GIFT holds; any other kind (cloze, or a
kind registered later) is refused, naming the question. Leading/trailing spaces, which GIFT
trims, are named in a warning.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from ..errors import InputError, Problem
from ..i18n import t
from ..model import Question
from .common import (WILDCARD_RANGE, BankResult, add_question, apply_option_ids, build_question, finite, finite_json, fraction_of, grade_problems,
                     name_question, option_id, own_option_ids, pct, slug, snap_fraction, unmapped, untrimmed_warnings)
from .media import plugin_file_name
from .text import to_markdown

META_PREFIX = "// partyquiz "
_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_FORMAT_NAMES = {"moodle": "moodle", "html": "html", "plain": "plain", "markdown": "markdown"}
# Placeholders for escaped characters while the text is split (private-use code points)
_ESCAPED = {":": "\ue001", "#": "\ue002", "=": "\ue003", "{": "\ue004", "}": "\ue005", "~": "\ue006", "n": "\ue007"}
_BACKSLASH = "\ue000"
_RESTORE = str.maketrans({v: ("\n" if k == "n" else k) for k, v in _ESCAPED.items()})
_WEIGHT = re.compile(r"^%-*([0-9]{1,2})\.?([0-9]*)%")


# --- escapes -----------------------------------------------------------------------------------

def escapes_in(text: str) -> str:
    """Moodle's escapedchar_pre: `\\\\` → one backslash, `\\x` of a control character → a placeholder."""
    text = text.replace("\\\\", _BACKSLASH)
    for char, placeholder in _ESCAPED.items():
        text = text.replace("\\" + char, placeholder)
    return text.replace(_BACKSLASH, "\\")


def escapes_out(text: str) -> str:
    return text.translate(_RESTORE)


def escape(text: str) -> str:
    """Moodle's repchar: what the writer puts in a GIFT file for `text`."""
    text = text.replace("\\", "\\\\")
    for ch in "#=~{}:":
        text = text.replace(ch, "\\" + ch)
    return text.replace("\r\n", "\n").replace("\r", "").replace("\n", "\\n")


# --- reading -----------------------------------------------------------------------------------

def _blocks(text: str) -> list[tuple[int, list[str], list[str]]]:
    """Questions as (first text line, lines, comment lines), split at blank lines.

    Lines are kept as typed (Moodle's readquestion trims a line only to see whether it is a
    comment), so `<pre>` code and Markdown lists keep their indentation and hard breaks."""
    blocks: list[tuple[int, list[str], list[str]]] = []
    current: list[str] = []
    comments: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            if current:
                blocks.append((start, current, comments))
                current, comments = [], []
            continue
        if line.startswith("//"):
            comments.append(line)
            continue
        if not current:
            start = number
        current.append(raw)
    if current:
        blocks.append((start, current, comments))
    return blocks


# Moodle's extract_idnumber_and_tags_from_comment: `\]` is a bracket, control characters end it
_ID_OR_TAG = re.compile(r"\[(id|tag):((?:\\\]|[^\]\x00-\x1f])*)\]")


def _meta(comments: list[str]) -> tuple[dict[str, Any], str, list[str]]:
    meta: dict[str, Any] = {}
    for line in comments:
        if line.startswith(META_PREFIX):
            try:
                found = finite_json(line[len(META_PREFIX):])
            except ValueError:  # a hand-edited record that is not ours: ignored
                found = {}
            meta = found if isinstance(found, dict) else {}
    idnumber, tags = "", []
    for line in comments:
        for kind, value in _ID_OR_TAG.findall(line):
            value = value.replace("\\]", "]").strip()
            if kind == "id":
                idnumber = value
            elif value:
                tags.append(value)
    return meta, idnumber, tags


def parse_text(text: str, file: str, id_prefix: str = "q") -> BankResult:
    result = BankResult()
    seen: dict[str, int | None] = {}
    category = ""
    for number, (line, lines, comments) in enumerate(_blocks(text.lstrip("\ufeff")), start=1):
        joined = escapes_in("\n".join(lines).strip())
        if joined.startswith("$CATEGORY:"):
            category = _category(escapes_out(joined[len("$CATEGORY:"):]).strip())
            continue
        meta, idnumber, tags = _meta(comments)
        reader = _Reader(file, line, result.warnings)
        data, problems = reader.question(joined)
        if problems:
            result.problems.extend(problems)
            continue
        name = data.pop("_name")
        name_question(data, idnumber, name, f"{id_prefix}-{number:03d}", seen, result.warnings, file, line)
        data.setdefault("topic", category)
        if tags:
            data["tags"] = tags
        for key in ("points", "difficulty", "source", "case_sensitive", "explanation", "reference"):
            if key in meta:
                data[key] = meta[key]
        apply_option_ids(data, meta.get("option_ids"))
        if data["type"] == "description":
            data.pop("points", None)
        add_question(result, build_question(data, file, line), seen, file, line)
    return result


def _category(path: str) -> str:
    path = re.sub(r"^\$(course|system|module|cat\d*)\$/", "", path)
    return re.sub(r"^top(/|$)", "", path, flags=re.IGNORECASE)


def _with_format(text: str, default: str) -> tuple[str, str]:
    """Moodle's parse_text_with_format: (text without its `[format]` marker, format)."""
    fmt = default
    if text.startswith("["):
        end = text.find("]")
        if end > 0 and text[1:end] in _FORMAT_NAMES:
            fmt, text = _FORMAT_NAMES[text[1:end]], text[end + 1:]
    if fmt in ("moodle", "plain") and "\n" in text:  # indentation only matters to Markdown and <pre>
        text = "\n".join(line.strip() for line in text.split("\n"))
    return escapes_out(text).strip(), fmt


def _weight(piece: str) -> tuple[float | None, str]:
    """Moodle's answerweightparser: `%-33.333%rest` → (-0.33333, 'rest'); no weight → None."""
    if not _WEIGHT.match(piece):
        return None, piece
    end = piece.index("%", 1)
    try:
        weight = fraction_of(piece[1:end].replace("--", "-"))
    except ValueError:
        weight = 0.0
    return weight, piece[end + 1:]


def _pieces(answers: str, separator: str) -> list[str]:
    parts = answers.split(separator)
    if parts and not parts[0].strip():
        parts = parts[1:]
    return [p.strip() for p in parts]


# an inline `// comment` in an answer block (GIFT-grammar-PEG.js reads it as a comment; Moodle as text)
_INLINE_COMMENT = re.compile(r"(?:^|(?<=[ \t]))//[^\n]*", re.M)


class _Reader:
    """One GIFT question: its texts (format markers, files it cannot carry) and its answers."""

    def __init__(self, file: str, line: int, warnings: list[Problem]) -> None:
        self.file, self.line, self.warnings = file, line, warnings

    def warn(self, message: str, column: str = "{…}") -> None:
        self.warnings.append(Problem(self.file, message, self.line, column))

    def media(self, src: str) -> str:
        """GIFT carries no files: an `@@PLUGINFILE@@` image shows its alt text, a link its text."""
        if (name := plugin_file_name(src)) is None:
            return src
        self.warn(t("authoring.bank.gift_no_files", name=name.lstrip("/")), "file")
        return ""

    def md(self, text: str, fmt: str) -> str:
        return to_markdown(text, fmt, self.media)

    def render(self, text: str, default: str) -> str:
        body, fmt = _with_format(text.strip(), default)
        return self.md(body, fmt)

    def comment(self, piece: str, fmt: str) -> tuple[str, str, str]:
        """Moodle's commentparser: (answer text without format marker, its format, feedback as Markdown)."""
        bits = piece.split("#", 1)
        text, text_format = _with_format(bits[0].strip(), fmt)
        feedback = self.render(bits[1], fmt) if len(bits) > 1 else ""
        return text, text_format, feedback

    def problem(self, message: str) -> list[Problem]:
        return [Problem(self.file, message, self.line, "{…}")]

    def question(self, text: str) -> tuple[dict[str, Any], list[Problem]]:
        name, comments_dropped = "", False
        if text.startswith("::"):
            text = text[2:]
            end = text.find("::")
            if end >= 0:  # without a closing `::` Moodle takes it all as text
                name, text = escapes_out(text[:end]).strip(), text[end + 2:].strip()
                if text.startswith("//"):  # `::title:: // comment`: a comment, not the stem's first line
                    text = text.partition("\n")[2].strip()
                    comments_dropped = True
        start, finish = text.find("{"), text.find("}")
        description = start < 0 and finish < 0
        if not description and (start < 0 or finish < 0 or finish < start):
            return {}, self.problem(t("authoring.bank.gift_braces"))
        if description:
            question_text, answers = text, ""
        else:
            answers = text[start + 1:finish].strip()
            if text.endswith("}"):
                question_text = text[:start] + text[finish + 1:]
            else:  # missing-word format: the blank stands where the block was
                question_text = text[:start] + "_____" + text[finish + 1:]
        general = ""
        if (cut := answers.rfind("####")) >= 0:
            general, answers = answers[cut + 4:], answers[:cut].strip()
        if "//" in answers and (stripped := _INLINE_COMMENT.sub("", answers).strip()) != answers:
            answers, comments_dropped = stripped, True
        if comments_dropped:
            self.warn(t("authoring.bank.gift_inline_comment"))
        stem, stem_format = _with_format(question_text.strip(), "moodle")
        data: dict[str, Any] = {"_name": name, "stem": self.md(stem, stem_format)}
        if general.strip():
            data["explanation"] = self.render(general, stem_format)
        if description:
            data["type"] = "description"
            return data, []
        return data, self.answers(answers, stem_format, data)

    def answers(self, answers: str, fmt: str, data: dict[str, Any]) -> list[Problem]:
        if answers == "":
            data["type"] = "essay"
            return []
        if answers.startswith("#"):
            return self.numerical(answers[1:], fmt, data)
        if "~" in answers:
            return self.multichoice(answers, fmt, data)
        if "=" in answers and "->" in answers:
            return self.matching(answers, fmt, data)
        check = answers.split("#", 1)[0].strip() if answers.find("#") > 0 else answers
        if check in ("T", "TRUE", "F", "FALSE"):
            bits = answers.split("#", 2)
            wrong = self.render(bits[1], fmt) if len(bits) > 1 else ""
            right = self.render(bits[2], fmt) if len(bits) > 2 else ""
            truth = bits[0].strip() in ("T", "TRUE")
            data.update(type="truefalse", answer=truth,
                        feedback_true=right if truth else wrong, feedback_false=wrong if truth else right)
            return []
        return self.shortanswer(answers, fmt, data)

    def multichoice(self, answers: str, fmt: str, data) -> list[Problem]:
        single = "=" in answers
        options, fractions = [], []
        for piece in _pieces(answers.replace("=", "~="), "~"):
            if piece.startswith("="):
                weight, piece = 1.0, piece[1:]
            else:
                weight, piece = _weight(piece)
                weight = weight or 0.0
            text, text_format, feedback = self.comment(piece, fmt)
            if not text:  # Moodle skips a blank answer
                continue
            fractions.append(weight)
            options.append({"id": option_id(len(options)), "text": self.md(text, text_format), "feedback": feedback, "_w": snap_fraction(weight)})
        if len(options) < 2:
            return self.problem(t("authoring.bank.choice_two_answers"))
        if message := grade_problems("single" if single else "multiple", fractions):
            return self.problem(message)
        for option in options:
            weight = option.pop("_w")
            if single:
                if weight == 1:  # several 100% answers: any one of them is full marks, as in Moodle
                    option["correct"] = True
                elif weight:
                    option["fraction"] = weight
            else:
                option["fraction"], option["correct"] = weight, weight > 0
        data.update(type="single" if single else "multiple", options=options)
        return []

    def matching(self, answers: str, fmt: str, data) -> list[Problem]:
        pieces = _pieces(answers, "=")
        if len(pieces) < 2:
            return self.problem(t("authoring.bank.matching_two_pairs"))
        pairs, distractors = [], []
        for index, piece in enumerate(pieces):
            cut = piece.find("->")
            if cut < 0:
                return self.problem(t("authoring.bank.matching_arrow"))
            left_text, left_format = _with_format(piece[:cut].strip(), fmt)
            right = escapes_out(piece[cut + 2:]).strip()
            if left_text:
                pairs.append({"id": option_id(index), "left": self.md(left_text, left_format), "right": right})
            else:
                distractors.append(right)
        data.update(type="matching", pairs=pairs, distractors=distractors)
        return []

    def shortanswer(self, answers: str, fmt: str, data) -> list[Problem]:
        alternatives, fractions = [], []
        for piece in _pieces(answers, "="):
            weight, piece = _weight(piece)
            weight = 1.0 if weight is None else weight
            text, _, feedback = self.comment(piece, fmt)
            if not text:  # a blank answer: Moodle skips it
                continue
            fractions.append(weight)
            alternatives.append({"text": text, "fraction": snap_fraction(weight), "feedback": feedback})
        if not alternatives:
            return self.problem(t("authoring.bank.short_no_answer"))
        if message := grade_problems("shortanswer", fractions):
            return self.problem(message)
        if any(a["fraction"] < 0 for a in alternatives):
            return self.problem(t("authoring.bank.short_negative"))
        plain = all(a["fraction"] == 1 and not a["feedback"] for a in alternatives)
        data.update(type="fill", blanks=[[a["text"] for a in alternatives] if plain else alternatives])
        return []

    def numerical(self, body: str, fmt: str, data) -> list[Problem]:
        wrong = ""
        if (pos := body.find("~")) >= 0:
            wrong, body = body[pos:], body[:pos]
        found: list[dict[str, Any]] = []
        for piece in _pieces(body, "="):
            weight, piece = _weight(piece)
            weight = 1.0 if weight is None else weight
            text, _, feedback = self.comment(piece, fmt)
            answer: dict[str, Any] = {"fraction": snap_fraction(weight), "feedback": feedback}
            try:
                if text.find("..") > 0:
                    low, high = text.split("..", 1)
                    answer["range"] = sorted((_number(low), _number(high)))
                elif text.find(":") > 0:
                    value, tolerance = text.split(":", 1)
                    answer["value"], answer["tolerance"] = _number(value), abs(_number(tolerance))
                else:
                    answer["value"] = _number(text)
            except ValueError:
                return self.problem(t("authoring.bank.numeric_unreadable", text=text))
            found.append(answer)
        if not found:
            return self.problem(t("authoring.bank.numeric_no_answer"))
        fractions = [a["fraction"] for a in found]
        if message := grade_problems("numerical", fractions):
            return self.problem(message)
        if any(f < 0 for f in fractions):
            return self.problem(t("authoring.bank.numeric_negative"))
        if wrong:
            _, _, feedback = self.comment(wrong[1:], fmt)
            found.append({"range": list(WILDCARD_RANGE), "fraction": 0.0, "feedback": feedback})
        data["type"] = "numeric"
        if len(found) == 1 and found[0]["fraction"] == 1 and not found[0]["feedback"]:
            only = found[0]
            data.update({k: only[k] for k in ("value", "tolerance", "range") if k in only})
        else:
            data["numeric_answers"] = found
        return []


def _number(text: str) -> float:
    if not re.fullmatch(_NUMBER, text.strip()):
        raise ValueError(text)
    return finite(text)


def parse(path: Path) -> BankResult:
    from .spreadsheet import Undecodable, decode_csv, undecodable_problem

    try:
        text = decode_csv(path.read_bytes())
    except Undecodable as exc:
        return BankResult([], [undecodable_problem(str(path), exc)])
    return parse_text(text, str(path), slug(path.stem, "q"))


def read(path: Path) -> list[Question]:
    return parse(path).raise_if_problems()


# --- writing -----------------------------------------------------------------------------------

def _num(x: float) -> str:
    from .spreadsheet import fmt_number

    return fmt_number(x)


def _fb(text: str) -> str:
    return f"#{escape(text)}" if text else ""


def _numeric_answer(answer) -> str:
    if answer.range is not None and tuple(answer.range) == WILDCARD_RANGE:
        return f"~{_fb(answer.feedback) or '#'}"
    target = f"{_num(answer.range[0])}..{_num(answer.range[1])}" if answer.range is not None else f"{_num(answer.value)}:{_num(answer.tolerance)}"
    return f"=%{pct(answer.fraction)}%{target}{_fb(answer.feedback)}"


def _alternative(alt) -> str:
    if isinstance(alt, str):
        return f"={escape(alt)}"
    return f"=%{pct(alt.fraction)}%{escape(alt.text)}{_fb(alt.feedback)}"


def _essay(q: Question) -> str:
    return ""


def _truefalse(q: Question) -> str:
    right, wrong = (q.feedback_true, q.feedback_false) if q.answer else (q.feedback_false, q.feedback_true)
    inner = "TRUE" if q.answer else "FALSE"
    if wrong or right:
        inner += f"#{escape(wrong)}" + (f"#{escape(right)}" if right else "")
    return inner


def _numeric(q: Question) -> str:
    if q.numeric_answers or (q.value is None and q.range is None):
        first = []
        if q.range is not None:
            first = [f"=%100%{_num(q.range[0])}..{_num(q.range[1])}"]
        elif q.value is not None:
            first = [f"=%100%{_num(q.value)}:{_num(q.tolerance)}"]
        return "#" + " ".join(first + [_numeric_answer(a) for a in q.numeric_answers])
    if q.range is not None:
        return f"#{_num(q.range[0])}..{_num(q.range[1])}"
    return f"#{_num(q.value)}" + (f":{_num(q.tolerance)}" if q.tolerance else "")


def _fill(q: Question) -> str:
    return " ".join(_alternative(a) for a in q.blanks[0])


def _matching(q: Question) -> str:
    return " ".join([f"={escape(p.left)} -> {escape(p.right)}" for p in q.pairs] + [f"= -> {escape(d)}" for d in q.distractors])


def _single(q: Question) -> str:
    parts = []
    for o in q.options:
        mark = "=" if o.correct else (f"~%{pct(o.fraction)}%" if o.fraction else "~")
        parts.append(f"{mark}{escape(o.text)}{_fb(o.feedback)}")
    return " ".join(parts)


def _multiple(q: Question) -> str:
    n_right = len(q.correct_ids)  # every option weighted, as Moodle writes it
    parts = []
    for o in q.options:
        fraction = o.fraction if o.fraction is not None else (1 / n_right if o.correct else -1 / n_right)
        parts.append(f"~%{pct(snap_fraction(round(fraction, 7)))}%{escape(o.text)}{_fb(o.feedback)}")
    return " ".join(parts)


# GIFT's answer block per kind (a description has none). A kind not listed here — cloze, or
# one registered later — has no GIFT form: exporting it is refused, naming the question.
KINDS = {"single": _single, "multiple": _multiple, "truefalse": _truefalse, "fill": _fill, "numeric": _numeric,
         "matching": _matching, "essay": _essay, "description": None}


def answer_block(q: Question) -> str:
    inner = KINDS[q.type](q)
    if q.explanation:
        inner += f" ####{escape(q.explanation)}"
    return "{" + inner + "}"


def export_problems(questions: list[Question], file: str) -> list[Problem]:
    problems = []
    for q in questions:
        if q.type == "fill" and len(q.blanks) != 1:
            problems.append(Problem(file, t("authoring.bank.gift_one_blank", id=q.id), None, q.id))
        elif q.type == "cloze":
            problems.append(Problem(file, t("authoring.bank.gift_no_cloze", id=q.id), None, q.id))
    return problems + unmapped([q for q in questions if q.type != "cloze"], KINDS, "GIFT", file)


def _meta_line(q: Question) -> str:
    fields = ("points", "difficulty", "source", "case_sensitive", "reference")
    meta = {k: getattr(q, k) for k in fields if getattr(q, k) != Question.model_fields[k].default}
    if q.type == "description":
        meta.pop("points", None)
        if q.explanation:  # a GIFT description has no braces, so no #### either
            meta["explanation"] = q.explanation
    if ids := own_option_ids(q):
        meta["option_ids"] = ids
    return META_PREFIX + json.dumps(meta, ensure_ascii=False) if meta else ""


def _comment_value(text: str) -> str:
    return text.replace("]", "\\]")


def dump(questions: list[Question]) -> str:
    out: list[str] = [t("authoring.bank.gift_header"), ""]
    category = None
    for q in questions:
        if q.topic != category:
            category = q.topic
            out += [f"$CATEGORY: {escape(q.topic)}", ""]
        title = q.title
        if title or q.tags:
            out.append("// " + " ".join([f"[id:{q.id}]"] + [f"[tag:{_comment_value(tag)}]" for tag in q.tags]))
        if meta := _meta_line(q):
            out.append(meta)
        head = f"::{escape(title or q.id)}::[markdown]{escape(q.stem)}"
        out += [head if q.type == "description" else f"{head} {answer_block(q)}", ""]
    return "\n".join(out)


def write(questions: list[Question], path: Path) -> list[Problem]:
    """Write a GIFT file; returns the warnings (texts whose leading/trailing spaces GIFT drops)."""
    from ..files import atomic_write_text

    problems = export_problems(questions, str(path))
    if problems:
        raise InputError(problems)
    atomic_write_text(path, dump(questions))
    return untrimmed_warnings(questions, "GIFT", str(path))
