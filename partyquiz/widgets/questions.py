"""One input control per question type, translating between widgets and answer values.

Each control exposes `widget` (what is displayed), `value` (the answer in the shape documented
on `model.Answer`, or None when unanswered) and `on_change(callback)`. Option ids, pair ids and
texts are what get stored, never screen positions: the screen order is the learner's shuffle.
Labels are plain text (ipywidgets renders descriptions and option labels as text, so a bank
cannot inject markup through them); every control carries a `description` for screen readers.
"""
from __future__ import annotations

import re
from typing import Any, Callable

import ipywidgets as w

from ..i18n import t

_WIDE = w.Layout(width="auto", max_width="48em")
_LABEL_STYLE = {"description_width": "initial"}


def css_id(text: str) -> str:
    """A CSS-class-safe form of a stable id (ids may hold dots)."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", text)


class Control:
    qtype = ""

    def __init__(self, question: dict, order: list[str], lang: str, saved: Any = None):
        self.question = question
        self.order = order
        self.lang = lang
        self.widget = self._build(saved)
        self.widget.add_class("pq-control")
        self.widget.add_class(f"pq-control-{self.qtype}")

    def _build(self, saved: Any) -> w.Widget:
        raise NotImplementedError

    def _inputs(self) -> list[w.Widget]:
        return [self.widget]

    @property
    def value(self) -> Any:
        raise NotImplementedError

    def on_change(self, callback: Callable[[], None]) -> None:
        for control in self._inputs():
            control.observe(lambda _change: callback(), names="value")

    def clear(self) -> None:
        raise NotImplementedError

    def set_disabled(self, disabled: bool) -> None:
        for control in self._inputs():
            control.disabled = disabled


class SingleChoice(Control):
    qtype = "single"

    def _build(self, saved: Any) -> w.Widget:
        labels = {o["id"]: o["text"] for o in self.question.get("options", [])}
        chosen = saved[0] if isinstance(saved, list) and saved and saved[0] in labels else None
        return w.RadioButtons(
            options=[(labels[i], i) for i in self.order], value=chosen,
            description=t("widgets.answer_label", self.lang), style=_LABEL_STYLE, layout=_WIDE,
        )

    @property
    def value(self) -> Any:
        return [self.widget.value] if self.widget.value is not None else None

    def clear(self) -> None:
        self.widget.value = None


class MultipleChoice(Control):
    qtype = "multiple"

    def _build(self, saved: Any) -> w.Widget:
        labels = {o["id"]: o["text"] for o in self.question.get("options", [])}
        picked = set(saved) if isinstance(saved, list) else set()
        self.boxes = {i: w.Checkbox(value=i in picked, description=labels[i], indent=False, layout=_WIDE) for i in self.order}
        for option_id, box in self.boxes.items():
            box.add_class(f"pq-option-{css_id(option_id)}")
        return w.VBox(list(self.boxes.values()))

    def _inputs(self) -> list[w.Widget]:
        return list(self.boxes.values())

    @property
    def value(self) -> Any:
        # authored order, so the stored list does not depend on this learner's shuffle
        picked = [o["id"] for o in self.question.get("options", []) if self.boxes[o["id"]].value]
        return picked or None

    def clear(self) -> None:
        for box in self.boxes.values():
            box.value = False


class TrueFalse(Control):
    qtype = "truefalse"

    def _build(self, saved: Any) -> w.Widget:
        return w.RadioButtons(
            options=[(t("widgets.true", self.lang), True), (t("widgets.false", self.lang), False)],
            value=saved if isinstance(saved, bool) else None,
            description=t("widgets.answer_label", self.lang), style=_LABEL_STYLE,
        )

    @property
    def value(self) -> Any:
        return self.widget.value

    def clear(self) -> None:
        self.widget.value = None


class Fill(Control):
    qtype = "fill"

    def _build(self, saved: Any) -> w.Widget:
        n = max(1, int(self.question.get("n_blanks", 1)))
        values = list(saved) if isinstance(saved, list) else ([saved] if isinstance(saved, str) else [])
        values = [str(v) if v is not None else "" for v in values] + [""] * n
        self.blanks = []
        for index in range(n):
            box = w.Text(value=values[index], description=t("widgets.blank", self.lang, n=index + 1), style=_LABEL_STYLE)
            box.add_class(f"pq-blank-{index + 1}")
            self.blanks.append(box)
        return w.VBox(self.blanks)

    def _inputs(self) -> list[w.Widget]:
        return self.blanks

    @property
    def value(self) -> Any:
        values = [box.value for box in self.blanks]
        return values if any(v.strip() for v in values) else None

    def clear(self) -> None:
        for box in self.blanks:
            box.value = ""


class Numeric(Control):
    qtype = "numeric"

    def _build(self, saved: Any) -> w.Widget:
        # Stored as typed (a string) so the learner sees exactly what they wrote; scoring parses it.
        text = "" if saved is None or isinstance(saved, bool) else str(saved)
        return w.Text(value=text, placeholder=t("widgets.number_placeholder", self.lang),
                      description=t("widgets.answer_label", self.lang), style=_LABEL_STYLE)

    @property
    def value(self) -> Any:
        return self.widget.value if self.widget.value.strip() else None

    def clear(self) -> None:
        self.widget.value = ""


class Matching(Control):
    qtype = "matching"

    def _build(self, saved: Any) -> w.Widget:
        saved = saved if isinstance(saved, dict) else {}
        rights = list(self.question.get("rights", []))
        lefts = {item["id"]: item["text"] for item in self.question.get("lefts", [])}
        choices = [(t("widgets.choose", self.lang), None)] + [(text, text) for text in self.order or rights]
        self.menus = {}
        for pair_id, left in lefts.items():
            current = saved.get(pair_id) if saved.get(pair_id) in rights else None
            menu = w.Dropdown(options=choices, value=current, description=left, style=_LABEL_STYLE)
            menu.add_class(f"pq-match-{css_id(pair_id)}")
            self.menus[pair_id] = menu
        return w.VBox(list(self.menus.values()))

    def _inputs(self) -> list[w.Widget]:
        return list(self.menus.values())

    @property
    def value(self) -> Any:
        chosen = {pair_id: menu.value for pair_id, menu in self.menus.items() if menu.value is not None}
        return chosen or None

    def clear(self) -> None:
        for menu in self.menus.values():
            menu.value = None


class Essay(Control):
    qtype = "essay"

    def _build(self, saved: Any) -> w.Widget:
        return w.Textarea(value=saved if isinstance(saved, str) else "", placeholder=t("widgets.essay_placeholder", self.lang),
                          description=t("widgets.answer_label", self.lang), style=_LABEL_STYLE,
                          layout=w.Layout(width="100%", max_width="48em", height="8em"))

    @property
    def value(self) -> Any:
        return self.widget.value if self.widget.value.strip() else None

    def clear(self) -> None:
        self.widget.value = ""


CONTROLS: dict[str, type[Control]] = {c.qtype: c for c in (SingleChoice, MultipleChoice, TrueFalse, Fill, Numeric, Matching, Essay)}


def make_control(question: dict, order: list[str], lang: str, saved: Any = None) -> Control:
    return CONTROLS[question["type"]](question, order, lang, saved)
