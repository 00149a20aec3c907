"""Cloze (Moodle's embedded answers): one stem with typed blanks written `{{<part id>}}`.

Parts are short answers (first matching alternative, its weight), numbers (first matching
numeric answer) or a choice among options (the chosen option's weight). Answer value
`{part_id: text as typed | option id}`. The question's fraction is the parts' fractions
weighted by each part's `points` (Moodle's `{2:…}`): Σ wᵢ·fᵢ / Σ wᵢ; `all_or_nothing` asks every
part at full credit.
"""
from __future__ import annotations

import random
import re
from typing import Any

from ..i18n import t
from ..questiondata import CLOZE_MARKER, Alternative, ClozePart, NumericAnswer, Option, QuestionData, ScoringRule
from .base import Control, QuestionKind, css_id, first_text_match, ipw, number_text, numeric_target_text, option_weight
from .numeric import answer_target, first_numeric_match
from .registry import register


_FULL = 1.0 - 1e-9
ORDER_SEPARATOR = "\x1f"  # option ids in the learner's shuffle are "<part id>\x1f<option id>"


def stem_pieces(stem: str) -> list[tuple[str, str]]:
    """The stem as ("text", markdown) and ("part", part id) pieces, in reading order."""
    pieces: list[tuple[str, str]] = []
    last = 0
    for match in CLOZE_MARKER.finditer(stem):
        if match.start() > last:
            pieces.append(("text", stem[last:match.start()]))
        pieces.append(("part", match.group(1)))
        last = match.end()
    if last < len(stem):
        pieces.append(("text", stem[last:]))
    return pieces


def _inline_html(markdown: str, folder: Any = None) -> str:
    # markdown-it and bleach (~60 ms) load when a cloze is shown, never where it is only scored
    # (the hidden test cell, the fast engine)
    from ..markdown import render_markdown

    rendered = render_markdown(markdown, folder).strip()
    # one paragraph renders as <p>…</p>: unwrap it so the text flows around the blanks
    match = re.fullmatch(r"<p>(.*)</p>", rendered, re.S)
    return match.group(1) if match and "<p>" not in match.group(1) else rendered


class ClozeControl(Control):
    """The stem with its blanks inline: text inputs for short answers and numbers, a dropdown
    (or radio buttons) for choices. Saved answers come back into their blanks."""

    qtype = "cloze"

    def _build(self, saved: Any):
        w = ipw()
        saved = saved if isinstance(saved, dict) else {}
        parts = {p["id"]: p for p in self.question.get("parts", [])}
        self.inputs: dict[str, Any] = {}
        rows, row = [], []
        flow = w.Layout(display="flex", flex_flow="row wrap", align_items="center")
        for kind, text in stem_pieces(self.question.get("stem", "")):
            if kind == "text":
                paragraphs = re.split(r"\n\s*\n", text)
                for index, paragraph in enumerate(paragraphs):
                    if index:  # a blank line in the stem starts a new line of the control
                        rows.append(w.HBox(row, layout=flow))
                        row = []
                    if paragraph.strip():
                        row.append(w.HTML(_inline_html(paragraph, self.folder)))
            elif text in parts:
                row.append(self._input(parts[text], saved.get(text)))
        rows.append(w.HBox(row, layout=flow))
        return w.VBox(rows)

    def _input(self, part: dict, saved: Any):
        w = ipw()
        pid = part["id"]
        label = t("widgets.cloze_part", self.lang, n=len(self.inputs) + 1)
        if part["kind"] == "multichoice":
            texts = {o["id"]: o["text"] for o in part.get("options", [])}
            order = [oid for pid_oid in self.order if pid_oid.startswith(pid + ORDER_SEPARATOR)
                     for oid in [pid_oid.split(ORDER_SEPARATOR, 1)[1]] if oid in texts]
            order = order or list(texts)
            current = saved if saved in texts else None
            if part.get("display", "dropdown") == "dropdown":
                control = w.Dropdown(options=[(t("widgets.choose", self.lang), None)] + [(texts[i], i) for i in order],
                                     value=current, description_allow_html=False, layout=w.Layout(width="auto"))
            else:
                control = w.RadioButtons(options=[(texts[i], i) for i in order], value=current, layout=w.Layout(width="auto"))
                control.add_class(f"pq-cloze-{part['display']}")
        else:
            typed = "" if saved is None or isinstance(saved, (bool, dict, list)) else str(saved)
            placeholder = t("widgets.number_placeholder", self.lang) if part["kind"] == "numerical" else ""
            control = w.Text(value=typed, placeholder=placeholder, layout=w.Layout(width="10em"))
        control.tooltip = label  # what a screen reader announces for the blank
        control.add_class("pq-cloze-part")
        control.add_class(f"pq-cloze-{css_id(pid)}")
        self.inputs[pid] = control
        return control

    def _inputs(self) -> list:
        return list(self.inputs.values())

    @property
    def value(self) -> Any:
        chosen = {}
        for pid, control in self.inputs.items():
            value = control.value
            if isinstance(value, str) and not value.strip():
                continue
            if value is not None:
                chosen[pid] = value
        return chosen or None

    def clear(self) -> None:
        for control in self.inputs.values():
            control.value = None if hasattr(control, "options") else ""

    def fill(self, value: Any) -> None:
        value = value if isinstance(value, dict) else {}
        for pid, control in self.inputs.items():
            given = value.get(pid)
            control.value = given if hasattr(control, "options") else ("" if given is None else str(given))


def part_fraction(part: "ClozePart", given: Any) -> float:
    if given is None:
        return 0.0
    if part.kind == "shortanswer":
        hit = first_text_match(given, part.alternatives, part.case_sensitive)
        return 0.0 if hit is None else float(hit.fraction)
    if part.kind == "numerical":
        hit = first_numeric_match(part.numeric_answers, given)
        return 0.0 if hit is None else float(hit.fraction)
    option = next((o for o in part.options if isinstance(given, str) and o.id == given), None)
    return 0.0 if option is None else max(0.0, min(1.0, option_weight(option)))


def part_feedback(part: "ClozePart", given: Any) -> str:
    if given is None:
        return ""
    if part.kind == "shortanswer":
        hit = first_text_match(given, part.alternatives, part.case_sensitive)
    elif part.kind == "numerical":
        hit = first_numeric_match(part.numeric_answers, given)
    else:
        hit = next((o for o in part.options if isinstance(given, str) and o.id == given), None)
    return hit.feedback if hit is not None else ""


def part_key_text(part: "ClozePart") -> str:
    if part.kind == "shortanswer":
        return " / ".join(a.text for a in part.alternatives if a.fraction >= _FULL)
    if part.kind == "numerical":
        return " / ".join(numeric_target_text(a.value, a.tolerance, a.range) for a in part.numeric_answers if a.fraction >= _FULL)
    return " / ".join(o.text for o in part.options if option_weight(o) >= _FULL)


def _full_credit(weights: list[float]) -> bool:
    return any(w >= _FULL for w in weights)


@register
class Cloze(QuestionKind):
    name = "cloze"
    position = 80
    control = ClozeControl
    renders_stem = True

    def check(self, q: QuestionData) -> None:
        ids = [p.id for p in q.parts]
        if not ids:
            raise ValueError(t("core.qtype.cloze_no_parts", id=q.id))
        if len(set(ids)) != len(ids):
            raise ValueError(t("core.qtype.cloze_duplicate_parts", id=q.id))
        markers = CLOZE_MARKER.findall(q.stem)
        for pid in ids:
            if markers.count(pid) != 1:
                raise ValueError(t("core.qtype.cloze_marker_once", id=q.id, marker="{{" + pid + "}}"))
        unknown = sorted(set(markers) - set(ids))
        if unknown:
            raise ValueError(t("core.qtype.cloze_undefined_parts", id=q.id, parts=", ".join(unknown)))
        for part in q.parts:
            where = f"{q.id}.{part.id}"
            if part.kind == "shortanswer" and not _full_credit([a.fraction for a in part.alternatives]):
                raise ValueError(t("core.qtype.cloze_short_full", where=where))
            if part.kind == "numerical" and not _full_credit([a.fraction for a in part.numeric_answers]):
                raise ValueError(t("core.qtype.cloze_numeric_full", where=where))
            if part.kind == "multichoice":
                if len(part.options) < 2 or len({o.id for o in part.options}) != len(part.options):
                    raise ValueError(t("core.qtype.cloze_choice_two", where=where))
                if not _full_credit([option_weight(o) for o in part.options]):
                    raise ValueError(t("core.qtype.cloze_choice_full", where=where))

    def key(self, q: QuestionData) -> dict[str, Any]:
        return {"parts": [p.model_dump(mode="json") for p in q.parts]}

    def public(self, q: QuestionData) -> dict[str, Any]:
        parts = []
        for p in q.parts:
            view: dict[str, Any] = {"id": p.id, "kind": p.kind, "points": p.points}
            if p.kind == "multichoice":
                view.update(options=[o.public() for o in p.options], display=p.display, shuffle=p.shuffle)
            parts.append(view)
        return {"parts": parts}

    def from_public(self, view: dict, key: dict) -> dict[str, Any]:
        return {"parts": key.get("parts") or []}

    def option_ids(self, view: dict) -> list[str]:
        # only parts marked `shuffle` are shuffled (Moodle's MULTICHOICE_S); others keep their order
        return [f"{p['id']}{ORDER_SEPARATOR}{o['id']}" for p in view.get("parts", [])
                if p.get("kind") == "multichoice" and p.get("shuffle") for o in p.get("options", [])]

    def fraction(self, q: QuestionData, value: Any, rule: ScoringRule) -> float:
        if not isinstance(value, dict):
            return 0.0
        shares = [(p.points, part_fraction(p, value.get(p.id))) for p in q.parts]
        if rule == "all_or_nothing":
            return 1.0 if all(f >= _FULL for _w, f in shares) else 0.0
        return sum(w * f for w, f in shares) / sum(w for w, _f in shares)

    def answer_text(self, q: QuestionData, value: Any, lang: str | None) -> str:
        if not isinstance(value, dict):
            return t("widgets.unreadable_answer", lang, value=str(value))
        shown = []
        for n, part in enumerate(q.parts, 1):
            given = value.get(part.id)
            if part.kind == "multichoice":
                given = next((o.text for o in part.options if o.id == given), given)
            text = str(given).strip() if given is not None and str(given).strip() else t("grading.feedback.blank", lang)
            shown.append(f"{t('widgets.cloze_part', lang, n=n)}：{text}")
        return "；".join(shown)

    def key_text(self, q: QuestionData, lang: str | None) -> str:
        return "；".join(f"{t('widgets.cloze_part', lang, n=n)}：{part_key_text(p)}" for n, p in enumerate(q.parts, 1))

    def stem_text(self, q: QuestionData) -> str:
        # each blank as its number, so the answer text ("第 1 空：…") can be read against it
        numbers = {p.id: n for n, p in enumerate(q.parts, 1)}
        return CLOZE_MARKER.sub(lambda m: f"（{numbers.get(m.group(1), '?')}）____", q.stem)

    def answer_feedback(self, q: QuestionData, value: Any) -> list[str]:
        if not isinstance(value, dict):
            return []
        return [fb for p in q.parts if (fb := part_feedback(p, value.get(p.id)))]

    def example(self) -> dict[str, Any]:
        return dict(
            id="ex-cloze", points=3,
            stem="支委会一般每{{pinci}}召开一次；党课每年至少{{cishu}}次；“三会一课”中的“一课”是指{{ke}}。",
            parts=[ClozePart(id="pinci", kind="shortanswer", alternatives=[Alternative(text="月", feedback="对：每月一次。"),
                                                                           Alternative(text="季度", fraction=0.0, feedback="每季度召开的是党员大会。")]),
                   ClozePart(id="cishu", kind="numerical", numeric_answers=[NumericAnswer(value=2, feedback="对：每半年一次。"),
                                                                            NumericAnswer(value=1, fraction=0.5, feedback="应为两次。")]),
                   ClozePart(id="ke", kind="multichoice", options=[Option(id="dangke", text="党课", correct=True), Option(id="tuanke", text="团课"),
                                                                   Option(id="yewu", text="业务培训课", feedback="不是业务课。")])],
            explanation="支委会每月召开一次；党课每半年一次，一年两次；“一课”即党课。")

    def right_answer(self, q: QuestionData) -> Any:
        answers: dict[str, Any] = {}
        for p in q.parts:
            if p.kind == "shortanswer":
                answers[p.id] = next(a.text for a in p.alternatives if a.fraction >= _FULL)
            elif p.kind == "numerical":
                answers[p.id] = number_text(answer_target(next(a for a in p.numeric_answers if a.fraction >= _FULL)))
            else:
                answers[p.id] = next(o.id for o in p.options if option_weight(o) >= _FULL)
        return answers

    def wrong_answer(self, q: QuestionData, rng: random.Random) -> Any:
        answers: dict[str, Any] = {}
        for p in q.parts:
            if p.kind == "shortanswer":
                answers[p.id] = "不知道"
            elif p.kind == "numerical":
                answers[p.id] = number_text(answer_target(p.numeric_answers[0]) + 1000)
            else:
                wrong = [o.id for o in p.options if option_weight(o) < _FULL]
                answers[p.id] = rng.choice(wrong)
        return answers
