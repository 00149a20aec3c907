"""GIFT, Moodle's plain-text question format.

Read: `::title::` (the question id when it is a valid id), `[markdown]`/`[html]`/`[plain]`/
`[moodle]` markers, `{=right ~wrong}` single choice, `~%50%` weights (several right answers:
multiple choice, weights into `Option.fraction`), `#` answer feedback, `####` general feedback
(→ explanation), `{T}`/`{FALSE}`, `{=a =b}` short answer (→ one blank), `{#3.14:0.005}` and
`{#1..5}` numerical, `{=a -> b}` matching, `{}` essay, `$CATEGORY:` (→ topic), `//` comments,
the escapes `\\~ \\= \\# \\{ \\} \\:` and `\\n`.
Reported, never dropped: description items (text without an answer block), partial-credit
short-answer and numerical answers.

GIFT has no points or difficulty; the writer keeps them in a comment Moodle ignores,
`// partyquiz {"points": 2}`, which the reader takes back. Option ids are a, b, c… in order.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from ..errors import InputError, Problem
from ..model import Question
from .common import BankResult, add_question, build_question, check_weights, slug, valid_id

ESCAPABLE = "~=#{}:"
META_PREFIX = "// partyquiz "
_NUMBER = r"[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?"
_MARKERS = ("[markdown]", "[html]", "[plain]", "[moodle]")


# --- escapes -----------------------------------------------------------------------------------

def unescape(text: str) -> str:
    out, i = [], 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            out.append("\n" if nxt == "n" else nxt)
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def escape(text: str) -> str:
    text = text.replace("\\", "\\\\")
    for ch in ESCAPABLE:
        text = text.replace(ch, "\\" + ch)
    return text.replace("\r\n", "\n").replace("\n", "\\n")


def _find(text: str, token: str, start: int = 0) -> int:
    """Index of the first unescaped `token` at or after `start`, or -1."""
    i = start
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text.startswith(token, i):
            return i
        i += 1
    return -1


def _split_answers(body: str) -> tuple[str, list[tuple[str, str]]]:
    """Split an answer block at unescaped `=` and `~`: (text before, [(marker, piece)])."""
    pieces: list[tuple[str, str]] = []
    lead, current, marker, i = [], [], None, 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            (current if marker else lead).append(body[i : i + 2])
            i += 2
            continue
        if ch in "=~":  # `->` of a matching pair holds neither, so every unescaped one is a marker
            if marker is not None:
                pieces.append((marker, "".join(current)))
            marker, current = ch, []
        else:
            (current if marker else lead).append(ch)
        i += 1
    if marker is not None:
        pieces.append((marker, "".join(current)))
    return "".join(lead), pieces


def _weight_and_text(piece: str) -> tuple[float | None, str, str]:
    """`%50%text#feedback` → (0.5, text, feedback), all unescaped."""
    weight = None
    if m := re.match(r"\s*%(-?\d+(?:\.\d+)?)%", piece):
        weight = float(m.group(1)) / 100
        piece = piece[m.end():]
    cut = _find(piece, "#")
    text, feedback = (piece, "") if cut < 0 else (piece[:cut], piece[cut + 1:])
    return weight, unescape(text).strip(), unescape(feedback).strip()


# --- reading -----------------------------------------------------------------------------------

def _blocks(text: str) -> list[tuple[int, list[str], dict[str, Any]]]:
    """Questions as (first line, lines, metadata), split at blank lines, comments removed."""
    blocks, current, meta, start = [], [], {}, 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        if line.lstrip().startswith("//"):
            if line.lstrip().startswith(META_PREFIX):
                try:
                    meta = json.loads(line.lstrip()[len(META_PREFIX):])
                except json.JSONDecodeError:
                    meta = {}
            continue
        if not line.strip():
            if current:
                blocks.append((start, current, meta))
                current, meta = [], {}
            continue
        if not current:
            start = number
        current.append(line)
    if current:
        blocks.append((start, current, meta))
    return blocks


def parse_text(text: str, file: str, id_prefix: str = "q") -> BankResult:
    result = BankResult()
    seen: dict[str, int | None] = {}
    category = ""
    for number, (line, lines, meta) in enumerate(_blocks(text.lstrip("\ufeff")), start=1):
        joined = "\n".join(lines)
        if joined.strip().startswith("$CATEGORY:"):
            category = _category(joined.strip()[len("$CATEGORY:"):].strip())
            continue
        data, problems = _question(joined, file, line, f"{id_prefix}-{number:03d}")
        if problems:
            result.problems.extend(problems)
            continue
        data.setdefault("topic", category)
        for key in ("points", "difficulty", "source", "case_sensitive"):
            if key in meta:
                data[key] = meta[key]
        add_question(result, build_question(data, file, line), seen, file, line)
    return result


def _category(path: str) -> str:
    path = re.sub(r"^\$(course|system|module|cat\d*)\$/", "", path)
    return re.sub(r"^top/", "", path, flags=re.IGNORECASE)


def _question(text: str, file: str, line: int, fallback_id: str) -> tuple[dict[str, Any], list[Problem]]:
    title = ""
    body = text.strip()
    if body.startswith("::"):
        end = _find(body, "::", 2)
        if end < 0:
            return {}, [Problem(file, "标题缺少结尾的 :: / title without closing ::", line, "title")]
        title, body = unescape(body[2:end]).strip(), body[end + 2:].lstrip()
    is_html = False
    for marker in _MARKERS:
        if body.lower().startswith(marker):
            body, is_html = body[len(marker):], marker == "[html]"
            break
    open_at = _find(body, "{")
    if open_at < 0:
        return {}, [Problem(file, "不支持的题型：说明文字（无答案块）/ unsupported: description item without an answer block", line, "GIFT")]
    close_at = _find(body, "}", open_at)
    if close_at < 0:
        return {}, [Problem(file, "答案块缺少 } / answer block without closing }", line, "{…}")]
    before, block, after = body[:open_at], body[open_at + 1:close_at], body[close_at + 1:]
    stem = unescape(before).strip()
    if after.strip():  # missing-word format: the blank sits inside the sentence
        stem = f"{stem} ____ {unescape(after).strip()}"
    if is_html:
        from .moodle_xml import html_to_text

        stem = html_to_text(stem)
    qid = title if title and valid_id(title) else fallback_id
    data: dict[str, Any] = {"id": qid, "stem": stem}
    general = _find(block, "####")
    if general >= 0:
        data["explanation"] = unescape(block[general + 4:]).strip()
        block = block[:general]
    problems = _answers(block.strip(), data, file, line)
    return data, problems


def _answers(block: str, data: dict[str, Any], file: str, line: int) -> list[Problem]:
    def problem(message: str) -> list[Problem]:
        return [Problem(file, message, line, "{…}")]

    if not block:
        data["type"] = "essay"
        return []
    if block.startswith("#"):
        return _numeric(block[1:], data, problem)
    if m := re.fullmatch(r"(T|TRUE|F|FALSE)(\s*#.*)?", block, flags=re.IGNORECASE | re.DOTALL):
        data["type"], data["answer"] = "truefalse", m.group(1).upper().startswith("T")
        return []
    lead, pieces = _split_answers(block)
    if lead.strip() or not pieces:
        return problem(f"无法识别的答案块 / cannot read answer block '{block[:40]}'")
    markers = {marker for marker, _ in pieces}
    if any(_find(piece, "->") >= 0 for _, piece in pieces):
        return _matching(pieces, data, problem)
    if markers == {"="}:
        alternatives = []
        for _, piece in pieces:
            weight, text, _ = _weight_and_text(piece)
            if weight is not None and weight < 1:
                return problem("不支持部分得分的填空答案 / unsupported: partial-credit short answer")
            alternatives.append(text)
        data["type"], data["blanks"] = "fill", [alternatives]
        return []
    return _choice(pieces, data, problem)


def _choice(pieces, data, problem) -> list[Problem]:
    options = []
    for index, (marker, piece) in enumerate(pieces):
        weight, text, feedback = _weight_and_text(piece)
        option: dict[str, Any] = {"id": _option_id(index), "text": text, "feedback": feedback}
        if marker == "=":
            option["correct"] = True
        elif weight is not None:
            option["fraction"] = weight
        options.append(option)
    if any(o.get("correct") for o in options):
        data["type"] = "single"
    else:
        # several right answers with weights: Moodle multiple choice; unweighted wrong ones are 0%
        for option in options:
            option.setdefault("fraction", 0.0)
            option["correct"] = option["fraction"] > 0
        if not any(o["correct"] for o in options):
            return problem("没有正确答案（用 = 或正权重 ~%50% 标出）/ no right answer (mark it with = or a positive ~%50%)")
        if message := check_weights(options):
            return problem(message)
        data["type"] = "multiple"
    data["options"] = options
    return []


def _matching(pieces, data, problem) -> list[Problem]:
    pairs, distractors = [], []
    for index, (marker, piece) in enumerate(pieces):
        cut = _find(piece, "->")
        if marker != "=" or cut < 0:
            return problem("匹配题每项应写成 =左项 -> 右项 / each matching item must read '=left -> right'")
        left, right = unescape(piece[:cut]).strip(), unescape(piece[cut + 2:]).strip()
        if left:
            pairs.append({"id": _option_id(index), "left": left, "right": right})
        else:
            distractors.append(right)
    data["type"], data["pairs"], data["distractors"] = "matching", pairs, distractors
    return []


def _numeric(body: str, data, problem) -> list[Problem]:
    lead, pieces = _split_answers(body)
    if pieces:  # {#=3.14:0.01 =%50%3.1:0.1}: several answers
        full = [p for p in pieces if (_weight_and_text(p[1])[0] or 1.0) >= 1.0]
        if len(full) != 1 or len(pieces) != 1 or lead.strip():
            return problem("不支持多个或部分得分的数值答案 / unsupported: several or partial-credit numerical answers")
        body = full[0][1]
    _, text, _ = _weight_and_text(body)
    if m := re.fullmatch(rf"({_NUMBER})\s*\.\.\s*({_NUMBER})", text):
        data["type"], data["range"] = "numeric", sorted((float(m.group(1)), float(m.group(2))))
        return []
    value, _, tolerance = text.partition(":")
    try:
        data["type"], data["value"] = "numeric", float(value)
        data["tolerance"] = abs(float(tolerance)) if tolerance else 0.0
    except ValueError:
        return problem(f"数值答案无法识别 / cannot read numerical answer '{text}'")
    return []


def _option_id(index: int) -> str:
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


def _weight(fraction: float) -> str:
    return f"%{fraction * 100:.5g}%"


def _fb(text: str) -> str:
    return f"#{escape(text)}" if text else ""


def answer_block(q: Question) -> str:
    if q.type == "essay":
        inner = ""
    elif q.type == "truefalse":
        inner = "TRUE" if q.answer else "FALSE"
    elif q.type == "numeric":
        inner = f"#{_num(q.range[0])}..{_num(q.range[1])}" if q.range else f"#{_num(q.value)}" + (f":{_num(q.tolerance)}" if q.tolerance else "")
    elif q.type == "fill":
        inner = " ".join(f"={escape(a)}" for a in q.blanks[0])
    elif q.type == "matching":
        inner = " ".join([f"={escape(p.left)} -> {escape(p.right)}" for p in q.pairs] + [f"= -> {escape(d)}" for d in q.distractors])
    elif q.type == "single":
        parts = []
        for o in q.options:
            if o.correct:
                parts.append(f"={escape(o.text)}{_fb(o.feedback)}")
            else:
                weight = _weight(o.fraction) if o.fraction else ""
                parts.append(f"~{weight}{escape(o.text)}{_fb(o.feedback)}")
        inner = " ".join(parts)
    else:  # multiple: every option weighted, as Moodle writes it
        n_right = len(q.correct_ids)
        parts = []
        for o in q.options:
            fraction = o.fraction if o.fraction is not None else (1 / n_right if o.correct else -1 / n_right)
            parts.append(f"~{_weight(fraction)}{escape(o.text)}{_fb(o.feedback)}")
        inner = " ".join(parts)
    if q.explanation:
        inner += f" ####{escape(q.explanation)}"
    return "{" + inner + "}"


def export_problems(questions: list[Question], file: str) -> list[Problem]:
    return [Problem(file, f"{q.id}: GIFT 的填空题只能有一个空 / GIFT short answer holds one blank only", None, q.id)
            for q in questions if q.type == "fill" and len(q.blanks) != 1]


def dump(questions: list[Question]) -> str:
    out: list[str] = ["// partyquiz 导出的 GIFT 题库 / GIFT bank written by partyquiz", ""]
    category = None
    for q in questions:
        if q.topic != category:
            category = q.topic
            out += [f"$CATEGORY: {q.topic}", ""]
        meta = {k: v for k, v in (("points", q.points), ("difficulty", q.difficulty), ("source", q.source), ("case_sensitive", q.case_sensitive)) if v != Question.model_fields[k].default}
        if meta:
            out.append(META_PREFIX + json.dumps(meta, ensure_ascii=False))
        out += [f"::{escape(q.id)}::[markdown]{escape(q.stem)} {answer_block(q)}", ""]
    return "\n".join(out)


def write(questions: list[Question], path: Path) -> None:
    from ..answers import atomic_write_text

    problems = export_problems(questions, str(path))
    if problems:
        raise InputError(problems)
    atomic_write_text(path, dump(questions))
