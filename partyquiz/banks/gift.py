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
GIFT has no cloze: exporting one is refused, naming it.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from ..errors import InputError, Problem
from ..model import Question
from .common import WILDCARD_RANGE, BankResult, add_question, build_question, fraction_of, grade_problems, pct, slug, snap_fraction, valid_id
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
    """Questions as (first text line, lines, comment lines), split at blank lines."""
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
        current.append(line)
    if current:
        blocks.append((start, current, comments))
    return blocks


def _meta(comments: list[str]) -> tuple[dict[str, Any], str, list[str]]:
    meta: dict[str, Any] = {}
    joined = "\n".join(comments)
    for line in comments:
        if line.startswith(META_PREFIX):
            try:
                meta = json.loads(line[len(META_PREFIX):])
            except json.JSONDecodeError:
                meta = {}
    idnumber = m.group(1).strip() if (m := re.search(r"\[id:([^\]]+)\]", joined)) else ""
    tags = [t.strip() for t in re.findall(r"\[tag:([^\]]+)\]", joined)]
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
        data, problems = _question(joined, file, line, f"{id_prefix}-{number:03d}", idnumber)
        if problems:
            result.problems.extend(problems)
            continue
        data.setdefault("topic", category)
        if tags and "tags" in Question.model_fields:
            data["tags"] = tags
        for key in ("points", "difficulty", "source", "case_sensitive", "explanation"):
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
    return escapes_out(text).strip(), fmt


def _render(text: str, default: str) -> str:
    body, fmt = _with_format(text.strip(), default)
    return to_markdown(body, fmt)


def _question(text: str, file: str, line: int, fallback_id: str, idnumber: str) -> tuple[dict[str, Any], list[Problem]]:
    def problem(message: str, column: str = "{…}") -> tuple[dict[str, Any], list[Problem]]:
        return {}, [Problem(file, message, line, column)]

    name = ""
    if text.startswith("::"):
        text = text[2:]
        end = text.find("::")
        if end >= 0:  # without a closing `::` Moodle takes it all as text
            name, text = escapes_out(text[:end]).strip(), text[end + 2:].strip()
    start, finish = text.find("{"), text.find("}")
    description = start < 0 and finish < 0
    if not description and (start < 0 or finish < 0 or finish < start):
        return problem("花括号不成对：答案块缺少 { 或 } / answer block without matching { and } (closing } missing?)")
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
    stem, stem_format = _with_format(question_text.strip(), "moodle")
    qid = next((c for c in (idnumber, name) if c and valid_id(c)), fallback_id)
    data: dict[str, Any] = {"id": qid, "stem": to_markdown(stem, stem_format)}
    if name and name != qid and "title" in Question.model_fields:
        data["title"] = name
    if general.strip():
        data["explanation"] = _render(general, stem_format)
    if description:
        data["type"] = "description"
        return data, []
    problems = _answers(answers, stem_format, data, file, line)
    return data, problems


def _weight(piece: str) -> tuple[float | None, str]:
    """Moodle's answerweightparser: `%-33.333%rest` → (-0.33333, 'rest'); no weight → None."""
    if not _WEIGHT.match(piece):
        return None, piece
    end = piece.index("%", 1)
    raw = piece[1:end]
    try:
        weight = fraction_of(raw.replace("--", "-"))
    except Exception:
        weight = 0.0
    return weight, piece[end + 1:]


def _comment(piece: str, fmt: str) -> tuple[str, str, str]:
    """Moodle's commentparser: (answer text without format marker, its format, feedback as Markdown)."""
    bits = piece.split("#", 1)
    text, text_format = _with_format(bits[0].strip(), fmt)
    feedback = _render(bits[1], fmt) if len(bits) > 1 else ""
    return text, text_format, feedback


def _pieces(answers: str, separator: str) -> list[str]:
    parts = answers.split(separator)
    if parts and not parts[0].strip():
        parts = parts[1:]
    return [p.strip() for p in parts]


def _answers(answers: str, fmt: str, data: dict[str, Any], file: str, line: int) -> list[Problem]:
    def problem(message: str) -> list[Problem]:
        return [Problem(file, message, line, "{…}")]

    if answers == "":
        data["type"] = "essay"
        return []
    if answers.startswith("#"):
        return _numerical(answers[1:], fmt, data, problem)
    if "~" in answers:
        return _multichoice(answers, fmt, data, problem)
    if "=" in answers and "->" in answers:
        return _matching(answers, fmt, data, problem)
    check = answers.split("#", 1)[0].strip() if answers.find("#") > 0 else answers
    if check in ("T", "TRUE", "F", "FALSE"):
        bits = answers.split("#", 2)
        wrong = _render(bits[1], fmt) if len(bits) > 1 else ""
        right = _render(bits[2], fmt) if len(bits) > 2 else ""
        truth = bits[0].strip() in ("T", "TRUE")
        data.update(type="truefalse", answer=truth,
                    feedback_true=right if truth else wrong, feedback_false=wrong if truth else right)
        return []
    return _shortanswer(answers, fmt, data, problem)


def _multichoice(answers: str, fmt: str, data, problem) -> list[Problem]:
    single = "=" in answers
    pieces = _pieces(answers.replace("=", "~="), "~")
    if len(pieces) < 2:
        return problem("选择题至少需要两个答案 / multiple choice needs at least two answers")
    options, fractions = [], []
    for index, piece in enumerate(pieces):
        if piece.startswith("="):
            weight, piece = 1.0, piece[1:]
        else:
            weight, piece = _weight(piece)
            weight = weight or 0.0
        text, text_format, feedback = _comment(piece, fmt)
        fractions.append(weight)
        options.append({"id": option_id(index), "text": to_markdown(text, text_format), "feedback": feedback, "_w": snap_fraction(weight)})
    if message := grade_problems("single" if single else "multiple", fractions):
        return problem(message)
    for option in options:
        weight = option.pop("_w")
        if single:
            if weight == 1:
                option["correct"] = True
            elif weight:
                option["fraction"] = weight
        else:
            option["fraction"], option["correct"] = weight, weight > 0
    if single and sum(1 for o in options if o.get("correct")) > 1:
        return problem("不支持：单选题有多个 100% 答案 / unsupported: single choice with several 100% answers")
    data.update(type="single" if single else "multiple", options=options)
    return []


def _matching(answers: str, fmt: str, data, problem) -> list[Problem]:
    pieces = _pieces(answers, "=")
    if len(pieces) < 2:
        return problem("匹配题至少需要两组 / matching needs at least two pairs")
    pairs, distractors = [], []
    for index, piece in enumerate(pieces):
        cut = piece.find("->")
        if cut < 0:
            return problem("匹配题每项应写成 =左项 -> 右项 / each matching item must read '=left -> right'")
        left_text, left_format = _with_format(piece[:cut].strip(), fmt)
        right = escapes_out(piece[cut + 2:]).strip()
        if left_text:
            pairs.append({"id": option_id(index), "left": to_markdown(left_text, left_format), "right": right})
        else:
            distractors.append(right)
    data.update(type="matching", pairs=pairs, distractors=distractors)
    return []


def _shortanswer(answers: str, fmt: str, data, problem) -> list[Problem]:
    pieces = _pieces(answers, "=")
    if not pieces:
        return problem("填空题至少需要一个答案 / short answer needs an answer")
    alternatives, fractions = [], []
    for piece in pieces:
        weight, piece = _weight(piece)
        weight = 1.0 if weight is None else weight
        text, _, feedback = _comment(piece, fmt)
        fractions.append(weight)
        alternatives.append({"text": text, "fraction": snap_fraction(weight), "feedback": feedback})
    if message := grade_problems("shortanswer", fractions):
        return problem(message)
    if any(a["fraction"] < 0 for a in alternatives):
        return problem("不支持：填空题答案的负权重 / unsupported: negative weight on a short answer")
    plain = all(a["fraction"] == 1 and not a["feedback"] for a in alternatives)
    data.update(type="fill", blanks=[[a["text"] for a in alternatives] if plain else alternatives])
    return []


def _number(text: str) -> float:
    if not re.fullmatch(_NUMBER, text.strip()):
        raise ValueError(text)
    return float(text)


def _numerical(body: str, fmt: str, data, problem) -> list[Problem]:
    wrong = ""
    if (pos := body.find("~")) >= 0:
        wrong, body = body[pos:], body[:pos]
    pieces = _pieces(body, "=")
    if not pieces:
        return problem("数值题没有答案 / numerical without an answer")
    found: list[dict[str, Any]] = []
    for piece in pieces:
        weight, piece = _weight(piece)
        weight = 1.0 if weight is None else weight
        text, _, feedback = _comment(piece, fmt)
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
            return problem(f"数值答案无法识别 / cannot read numerical answer '{text}'")
        found.append(answer)
    fractions = [a["fraction"] for a in found]
    if message := grade_problems("numerical", fractions):
        return problem(message)
    if any(f < 0 for f in fractions):
        return problem("不支持：数值答案的负权重 / unsupported: negative weight on a numerical answer")
    if wrong:
        _, _, feedback = _comment(wrong[1:], fmt)
        found.append({"range": list(WILDCARD_RANGE), "fraction": 0.0, "feedback": feedback})
    data["type"] = "numeric"
    if len(found) == 1 and found[0]["fraction"] == 1 and not found[0]["feedback"]:
        only = found[0]
        data.update({k: only[k] for k in ("value", "tolerance", "range") if k in only})
    else:
        data["numeric_answers"] = found
    return []


def apply_option_ids(data: dict[str, Any], ids: list[str] | None) -> None:
    """Our writers keep option ids that are not a, b, c… in their metadata: put them back."""
    items = data.get("options") or data.get("pairs") or []
    if ids and len(ids) == len(items):
        for item, new_id in zip(items, ids):
            item["id"] = new_id


def own_option_ids(q: Question) -> list[str] | None:
    ids = [o.id for o in q.options] or [p.id for p in q.pairs]
    return ids if ids and ids != [option_id(i) for i in range(len(ids))] else None


def option_id(index: int) -> str:
    # a…z, then a1, b1…: stable and in order, as Moodle numbers its answers
    return "abcdefghijklmnopqrstuvwxyz"[index % 26] + (str(index // 26) if index >= 26 else "")


def parse(path: Path) -> BankResult:
    from .spreadsheet import decode_csv

    return parse_text(decode_csv(path.read_bytes()), str(path), slug(path.stem, "q"))


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


def answer_block(q: Question) -> str:
    if q.type == "essay":
        inner = ""
    elif q.type == "truefalse":
        right, wrong = (q.feedback_true, q.feedback_false) if q.answer else (q.feedback_false, q.feedback_true)
        inner = "TRUE" if q.answer else "FALSE"
        if wrong or right:
            inner += f"#{escape(wrong)}" + (f"#{escape(right)}" if right else "")
    elif q.type == "numeric":
        if q.numeric_answers or (q.value is None and q.range is None):
            first = []
            if q.range is not None:
                first = [f"=%100%{_num(q.range[0])}..{_num(q.range[1])}"]
            elif q.value is not None:
                first = [f"=%100%{_num(q.value)}:{_num(q.tolerance)}"]
            inner = "#" + " ".join(first + [_numeric_answer(a) for a in q.numeric_answers])
        elif q.range is not None:
            inner = f"#{_num(q.range[0])}..{_num(q.range[1])}"
        else:
            inner = f"#{_num(q.value)}" + (f":{_num(q.tolerance)}" if q.tolerance else "")
    elif q.type == "fill":
        inner = " ".join(_alternative(a) for a in q.blanks[0])
    elif q.type == "matching":
        inner = " ".join([f"={escape(p.left)} -> {escape(p.right)}" for p in q.pairs] + [f"= -> {escape(d)}" for d in q.distractors])
    elif q.type == "single":
        parts = []
        for o in q.options:
            mark = "=" if o.correct else (f"~%{pct(o.fraction)}%" if o.fraction else "~")
            parts.append(f"{mark}{escape(o.text)}{_fb(o.feedback)}")
        inner = " ".join(parts)
    else:  # multiple: every option weighted, as Moodle writes it
        n_right = len(q.correct_ids)
        parts = []
        for o in q.options:
            fraction = o.fraction if o.fraction is not None else (1 / n_right if o.correct else -1 / n_right)
            parts.append(f"~%{pct(snap_fraction(round(fraction, 7)))}%{escape(o.text)}{_fb(o.feedback)}")
        inner = " ".join(parts)
    if q.explanation:
        inner += f" ####{escape(q.explanation)}"
    return "{" + inner + "}"


def export_problems(questions: list[Question], file: str) -> list[Problem]:
    problems = []
    for q in questions:
        if q.type == "fill" and len(q.blanks) != 1:
            problems.append(Problem(file, f"{q.id}: GIFT 的填空题只能有一个空（可导出为 Moodle XML 完形填空或 YAML）/ GIFT short answer holds one blank only", None, q.id))
        elif q.type == "cloze":
            problems.append(Problem(file, f"{q.id}: GIFT 没有完形填空题（请导出为 Moodle XML 或 YAML）/ GIFT has no cloze (embedded answers): export to Moodle XML or YAML", None, q.id))
        elif q.type == "single" and any(o.fraction is not None and o.fraction < 0 for o in q.options):
            pass  # negative weights on wrong options are written as ~%-50%: GIFT holds them
    return problems


def _meta_line(q: Question) -> str:
    fields = ("points", "difficulty", "source", "case_sensitive")
    meta = {k: getattr(q, k) for k in fields if getattr(q, k) != Question.model_fields[k].default}
    if q.type == "description":
        meta.pop("points", None)
        if q.explanation:  # a GIFT description has no braces, so no #### either
            meta["explanation"] = q.explanation
    if ids := own_option_ids(q):
        meta["option_ids"] = ids
    return META_PREFIX + json.dumps(meta, ensure_ascii=False) if meta else ""


def dump(questions: list[Question]) -> str:
    out: list[str] = ["// partyquiz 导出的 GIFT 题库 / GIFT bank written by partyquiz", ""]
    category = None
    for q in questions:
        if q.topic != category:
            category = q.topic
            out += [f"$CATEGORY: {escape(q.topic)}", ""]
        title = getattr(q, "title", "") or ""
        tags = getattr(q, "tags", []) or []
        if title or tags:
            out.append("// " + " ".join([f"[id:{q.id}]"] + [f"[tag:{t}]" for t in tags]))
        if meta := _meta_line(q):
            out.append(meta)
        head = f"::{escape(title or q.id)}::[markdown]{escape(q.stem)}"
        out += [head if q.type == "description" else f"{head} {answer_block(q)}", ""]
    return "\n".join(out)


def write(questions: list[Question], path: Path) -> None:
    from ..files import atomic_write_text

    problems = export_problems(questions, str(path))
    if problems:
        raise InputError(problems)
    atomic_write_text(path, dump(questions))
