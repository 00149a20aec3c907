"""Moodle's embedded answers (cloze, `multianswer`) ↔ the model's cloze question.

Syntax, as qtype_multianswer reads it: `{N:TYPE:alternatives}` where N is the part's weight
(empty = 1) and TYPE one of
  SHORTANSWER|SA|MW, SHORTANSWER_C|SAC|MWC (case-sensitive), NUMERICAL|NM,
  MULTICHOICE|MC (drop-down), MULTICHOICE_V|MCV (vertical), MULTICHOICE_H|MCH (horizontal),
  MULTICHOICE_S|MCS, MULTICHOICE_VS|MCVS, MULTICHOICE_HS|MCHS (the same, shuffled);
alternatives are separated by `~`, each `=` (100%) or `%50%` (weight) or nothing (0%), the
answer, then `#feedback`. An answer ends at `~`, `#` or `}` unless a backslash (or `&`, for
HTML entities such as `&#39;`) stands before it; `\\}` and `\\#` are unescaped, entities decoded.
NUMERICAL answers are `value` or `value:tolerance` (or `*`). A `{…}` that does not parse stays
text, as in Moodle. Multi-response parts (MULTIRESPONSE|MR…) have no place in the model: such a
question is reported.

The stem keeps one marker `{{p<n>}}` per part where its blank stands (model.CLOZE_MARKER).
"""
from __future__ import annotations

import html
import re
from decimal import Decimal
from typing import Any, Callable

from ..i18n import t
from ..model import CLOZE_MARKER, Question
from .common import WILDCARD_RANGE, finite, pct
from .text import to_markdown

_KINDS: dict[str, tuple[str, str, bool, bool]] = {}  # token → (kind, display, shuffle, case_sensitive)
for names, value in (
    (("NUMERICAL", "NM"), ("numerical", "dropdown", False, False)),
    (("SHORTANSWER", "SA", "MW"), ("shortanswer", "dropdown", False, False)),
    (("SHORTANSWER_C", "SAC", "MWC"), ("shortanswer", "dropdown", False, True)),
    (("MULTICHOICE", "MC"), ("multichoice", "dropdown", False, False)),
    (("MULTICHOICE_V", "MCV"), ("multichoice", "vertical", False, False)),
    (("MULTICHOICE_H", "MCH"), ("multichoice", "horizontal", False, False)),
    (("MULTICHOICE_S", "MCS"), ("multichoice", "dropdown", True, False)),
    (("MULTICHOICE_VS", "MCVS"), ("multichoice", "vertical", True, False)),
    (("MULTICHOICE_HS", "MCHS"), ("multichoice", "horizontal", True, False)),
):
    for name in names:
        _KINDS[name] = value
_MULTI_RESPONSE = {"MULTIRESPONSE", "MR", "MULTIRESPONSE_H", "MRH", "MULTIRESPONSE_S", "MRS", "MULTIRESPONSE_HS", "MRHS"}
_START = re.compile(r"\{([0-9]*):([A-Z_]+):")
_NUMBER = r"-?(?:[0-9]+[.,]?[0-9]*|[.,][0-9]+)(?:[eE][-+]?[0-9]+)?"
_NUMERICAL = re.compile(rf"^({_NUMBER})(?::({_NUMBER}))?$")
_FRACTION = re.compile(r"=|%(-?[0-9]+(?:[.,][0-9]*)?)%")


def _alternatives(text: str, start: int) -> tuple[list[tuple[str, str, str]], int] | None:
    """[(fraction mark, answer, feedback)] and the index after `}`, or None if it does not parse."""
    alts: list[tuple[str, str, str]] = []
    i, n = start, len(text)
    while i <= n:
        mark = _FRACTION.match(text, i)
        fraction = mark.group(0) if mark else ""
        i = mark.end() if mark else i
        begin = i
        while i < n:  # the answer: up to ~ # } not after \ or &
            ch = text[i]
            if ch in "~#}" and i > begin and text[i - 1] not in "\\&" and not text.endswith("&amp;", 0, i):
                break
            i += 1
        if i >= n or i == begin:
            return None
        answer, feedback = text[begin:i], ""
        if text[i] == "#":
            i += 1
            fb_begin = i
            while i < n and not (text[i] in "~}" and text[i - 1] != "\\"):
                i += 1
            if i >= n:
                return None
            feedback = text[fb_begin:i]
        alts.append((fraction, answer, feedback))
        if text[i] == "}":
            return alts, i + 1
        i += 1  # past ~
    return None


def _unescape(text: str) -> str:
    return html.unescape(text).replace("\\}", "}").replace("\\#", "#")


def _weight(mark: str) -> float:
    if mark == "=":
        return 1.0
    if mark:
        return float(Decimal(mark.strip("%").replace(",", ".")) / 100)
    return 0.0


def parse(raw: str, fmt: str, media: Callable[[str], str] | None = None) -> tuple[str, list[dict[str, Any]]] | str:
    """(stem with `{{p<n>}}` markers as Markdown, part dicts) or the message of what is wrong."""
    out: list[str] = []
    parts: list[dict[str, Any]] = []
    pos = 0
    for m in _START.finditer(raw):
        if m.start() < pos:
            continue
        token = m.group(2)
        if token in _MULTI_RESPONSE:
            return t("authoring.bank.cloze_multi_response", token=token)
        if token not in _KINDS:
            continue
        parsed = _alternatives(raw, m.end())
        if parsed is None:
            continue  # Moodle leaves what does not parse as text
        alts, end = parsed
        part_id = f"p{len(parts) + 1}"
        problem, part = _part(part_id, m.group(1), _KINDS[token], alts, media)
        if problem:
            return t("authoring.bank.cloze_part", n=len(parts) + 1, problem=problem)
        parts.append(part)
        out += [raw[pos:m.start()], "{{" + part_id + "}}"]
        pos = end
    out.append(raw[pos:])
    if not parts:
        return t("authoring.bank.cloze_no_parts")
    return to_markdown("".join(out), fmt, media), parts


def _part(part_id: str, norm: str, kind_info, alts, media: Callable[[str], str] | None = None) -> tuple[str | None, dict[str, Any]]:
    kind, display, shuffle, case_sensitive = kind_info
    points = float(norm) if norm else 1.0
    if not 0 < points < 1e9:
        return t("authoring.bank.cloze_weight_positive"), {}
    part: dict[str, Any] = {"id": part_id, "kind": kind, "points": points}
    weights = [_weight(mark) for mark, _, _ in alts]
    if not any(w == 1 for w in weights):
        return t("authoring.bank.cloze_no_full"), {}
    feedbacks = [to_markdown(_unescape(fb), "html", media) if fb else "" for _, _, fb in alts]
    if kind == "shortanswer":
        if any(w < 0 for w in weights):
            return t("authoring.bank.cloze_negative"), {}
        part["case_sensitive"] = case_sensitive
        part["alternatives"] = [{"text": _unescape(a).strip(), "fraction": w, "feedback": f} for (_, a, _), w, f in zip(alts, weights, feedbacks)]
    elif kind == "numerical":
        answers = []
        for (_, a, _), w, f in zip(alts, weights, feedbacks):
            a = a.strip()
            if w < 0:
                return t("authoring.bank.cloze_negative"), {}
            if a == "*":
                answers.append({"range": list(WILDCARD_RANGE), "fraction": w, "feedback": f})
                continue
            m = _NUMERICAL.match(a)
            try:
                if not m:
                    raise ValueError(a)
                value, tolerance = finite(m.group(1).replace(",", ".")), abs(finite((m.group(2) or "0").replace(",", ".")))
            except ValueError:
                return t("authoring.bank.cloze_number", text=a[:40]), {}
            answers.append({"value": value, "tolerance": tolerance, "fraction": w, "feedback": f})
        part["numeric_answers"] = answers
    else:
        if len(alts) < 2:
            return t("authoring.bank.cloze_two_options"), {}
        part.update(display=display, shuffle=shuffle)
        part["options"] = [
            {"id": _letter(i), "text": to_markdown(_unescape(a).strip(), "moodle", media),
             "correct": w == 1, "feedback": f, **({"fraction": w} if w not in (0, 1) else {})}
            for i, ((_, a, _), w, f) in enumerate(zip(alts, weights, feedbacks))
        ]
    return None, part


# --- writing -----------------------------------------------------------------------------------

def _esc(text: str) -> str:
    return text.replace("}", "\\}").replace("#", "\\#")


def _mark(fraction: float) -> str:
    return "=" if fraction == 1 else ("" if fraction == 0 else f"%{pct(fraction)}%")


def _fb(text: str) -> str:
    return f"#{_esc(text)}" if text else ""


def _num(x: float) -> str:
    from .spreadsheet import fmt_number

    return fmt_number(x)


def part_syntax(part) -> str:
    if part.kind == "shortanswer":
        token = "SHORTANSWER_C" if part.case_sensitive else "SHORTANSWER"
        alts = [f"{_mark(a.fraction)}{_esc(a.text)}{_fb(a.feedback)}" for a in part.alternatives]
    elif part.kind == "numerical":
        token, alts = "NUMERICAL", []
        for a in part.numeric_answers:
            if a.range is not None and tuple(a.range) == WILDCARD_RANGE:
                target = "*"
            elif a.range is not None:
                lo, hi = Decimal(repr(a.range[0])), Decimal(repr(a.range[1]))
                target = f"{format(((lo + hi) / 2).normalize(), 'f')}:{format(((hi - lo) / 2).normalize(), 'f')}"
            else:
                target = _num(a.value) + (f":{_num(a.tolerance)}" if a.tolerance else "")
            alts.append(f"{_mark(a.fraction)}{target}{_fb(a.feedback)}")
    else:
        token = {("dropdown", False): "MULTICHOICE", ("dropdown", True): "MULTICHOICE_S", ("vertical", False): "MULTICHOICE_V",
                 ("vertical", True): "MULTICHOICE_VS", ("horizontal", False): "MULTICHOICE_H", ("horizontal", True): "MULTICHOICE_HS"}[(part.display, part.shuffle)]
        alts = []
        for o in part.options:
            fraction = o.fraction if o.fraction is not None else (1.0 if o.correct else 0.0)
            alts.append(f"{_mark(fraction)}{_esc(o.text)}{_fb(o.feedback)}")
    return "{" + f"{_num(part.points)}:{token}:" + "~".join(alts) + "}"


def dump(q: Question) -> str:
    """The stem with each `{{id}}` replaced by its embedded-answer syntax."""
    by_id = {p.id: p for p in q.parts}
    return CLOZE_MARKER.sub(lambda m: part_syntax(by_id[m.group(1)]) if m.group(1) in by_id else m.group(0), q.stem)


def export_problem(q: Question) -> str | None:
    """What Moodle's syntax cannot say about this cloze question, or None."""
    for part in q.parts:
        if not float(part.points).is_integer():
            return t("authoring.bank.cloze_whole_weight", part=part.id, points=f"{part.points:g}")
        texts = [a.text for a in part.alternatives] + [a.feedback for a in part.alternatives] + [o.text for o in part.options] + [o.feedback for o in part.options] + [a.feedback for a in part.numeric_answers]
        answers = [a.text for a in part.alternatives] + [o.text for o in part.options]
        if any(re.match(r"=|%-?[0-9]+(?:[.,][0-9]*)?%", t) for t in answers):
            return t("authoring.bank.cloze_answer_weight", part=part.id)
        if any("~" in t for t in texts):
            return t("authoring.bank.cloze_tilde", part=part.id)
    return None



def own_part_ids(q: Question) -> dict[str, Any] | None:
    """What a re-import would rename, for a writer to carry: the part ids in the order their markers
    stand in the stem (Moodle's syntax numbers parts by position only) and each choice part's option
    ids (Moodle's has none). None when a re-import gives the same ids anyway."""
    by_id = {p.id: p for p in q.parts}
    ids = [m.group(1) for m in CLOZE_MARKER.finditer(q.stem) if m.group(1) in by_id]
    options = {pid: [o.id for o in by_id[pid].options] for pid in ids if by_id[pid].options}
    default_ids = ids == [f"p{n}" for n in range(1, len(ids) + 1)]
    default_options = all(opts == [_letter(i) for i in range(len(opts))] for opts in options.values())
    return None if default_ids and default_options else {"ids": ids, "options": options}


def apply_part_ids(stem: str, parts: list[dict[str, Any]], record: Any) -> tuple[str, list[dict[str, Any]]]:
    """Give parsed parts (p1…pn, in stem order) back the ids a writer recorded; a record that does
    not fit (count, distinct, valid ids) is ignored, so a hand-edited one can't break the question."""
    ids = record.get("ids") if isinstance(record, dict) else None
    if not isinstance(ids, list) or len(ids) != len(parts) or len(set(ids)) != len(ids) or not all(_valid(i) for i in ids):
        return stem, parts
    rename = {p["id"]: new for p, new in zip(parts, ids)}
    stem = CLOZE_MARKER.sub(lambda m: "{{" + rename.get(m.group(1), m.group(1)) + "}}", stem)
    renamed = []
    for part in parts:
        part = {**part, "id": rename[part["id"]]}
        option_ids = (record.get("options") or {}).get(part["id"])
        if part.get("options") and isinstance(option_ids, list) and len(option_ids) == len(part["options"]) \
                and len(set(option_ids)) == len(option_ids) and all(_valid(i) for i in option_ids):
            part["options"] = [{**o, "id": oid} for o, oid in zip(part["options"], option_ids)]
        renamed.append(part)
    return stem, renamed


def _letter(i: int) -> str:
    return "abcdefghijklmnopqrstuvwxyz"[i % 26] + (str(i // 26) if i >= 26 else "")


def _valid(part_or_option_id: Any) -> bool:
    return isinstance(part_or_option_id, str) and CLOZE_MARKER.fullmatch("{{" + part_or_option_id + "}}") is not None
