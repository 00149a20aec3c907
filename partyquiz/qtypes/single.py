"""Single choice: one pick among the options; answer value `[option_id]`. Several options may be
right (ChoiceKind checks for one at least): any one alone is full marks, as in Moodle."""
from __future__ import annotations

import random
from typing import Any

from ..i18n import t
from ..questiondata import Option, QuestionData, ScoringRule
from ._choice import ChoiceKind
from .base import LABEL_STYLE, Control, ipw, option_weight, wide_layout
from .registry import register


class SingleChoice(Control):
    qtype = "single"

    def _build(self, saved: Any):
        labels = {o["id"]: o["text"] for o in self.question.get("options", [])}
        chosen = saved[0] if isinstance(saved, list) and saved and saved[0] in labels else None
        return ipw().RadioButtons(
            options=[(labels[i], i) for i in self.order], value=chosen,
            description=t("widgets.answer_label", self.lang), style=LABEL_STYLE, layout=wide_layout(),
        )

    @property
    def value(self) -> Any:
        return [self.widget.value] if self.widget.value is not None else None

    def clear(self) -> None:
        self.widget.value = None

    def fill(self, value: Any) -> None:
        self.widget.value = value[0] if value else None


@register
class Single(ChoiceKind):
    name = "single"
    position = 10
    control = SingleChoice

    def fraction(self, q: QuestionData, value: Any, rule: ScoringRule) -> float:
        picked = set(self.picked(value) or [])
        if len(picked) != 1 or not picked <= {o.id for o in q.options}:
            return 0.0
        if rule == "fraction":
            option = next(o for o in q.options if o.id in picked)
            return max(0.0, option_weight(option))
        return 1.0 if picked <= set(q.correct_ids) else 0.0

    def example(self) -> dict[str, Any]:
        return dict(id="ex-single", stem="支部党员大会一般多久召开一次？",
                    options=[Option(id="month", text="每月一次"), Option(id="quarter", text="每季度一次", correct=True, feedback="对，每季度一次。"),
                             Option(id="year", text="每年一次")],
                    explanation="支部党员大会每季度召开一次。")

    def right_answer(self, q: QuestionData) -> Any:
        return q.correct_ids[:1]  # with several right options, one pick is full marks; all of them is not

    def wrong_answer(self, q: QuestionData, rng: random.Random) -> Any:
        wrong = [o.id for o in q.options if not o.correct]
        # every option right (a valid question): picking them all is the only answer that scores 0
        return [rng.choice(wrong)] if wrong else q.correct_ids
