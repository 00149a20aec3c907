"""Multiple choice: any number of right options; answer value `[option_id, ...]` in authored order."""
from __future__ import annotations

import random
from typing import Any

from ..questiondata import Option, QuestionData, ScoringRule
from ._choice import ChoiceKind
from .base import Control, css_id, ipw, wide_layout
from .registry import register


class MultipleChoice(Control):
    qtype = "multiple"

    def _build(self, saved: Any):
        w = ipw()
        labels = {o["id"]: o["text"] for o in self.question.get("options", [])}
        picked = set(saved) if isinstance(saved, list) else set()
        self.boxes = {i: w.Checkbox(value=i in picked, description=labels[i], indent=False, layout=wide_layout()) for i in self.order}
        for option_id, box in self.boxes.items():
            box.add_class(f"pq-option-{css_id(option_id)}")
        return w.VBox(list(self.boxes.values()))

    def _inputs(self) -> list:
        return list(self.boxes.values())

    @property
    def value(self) -> Any:
        # authored order, so the stored list does not depend on this learner's shuffle
        picked = [o["id"] for o in self.question.get("options", []) if self.boxes[o["id"]].value]
        return picked or None

    def clear(self) -> None:
        for box in self.boxes.values():
            box.value = False

    def fill(self, value: Any) -> None:
        picked = set(value or [])
        for option_id, box in self.boxes.items():
            box.value = option_id in picked


@register
class Multiple(ChoiceKind):
    name = "multiple"
    position = 20
    control = MultipleChoice

    def fraction(self, q: QuestionData, value: Any, rule: ScoringRule) -> float:
        picked = set(self.picked(value) or [])
        if not picked or not picked <= {o.id for o in q.options}:
            return 0.0
        right = set(q.correct_ids)
        if rule in ("all_or_nothing", "strict"):
            return 1.0 if picked == right else 0.0
        if rule == "partial":
            gained = len(picked & right) - len(picked - right)
            return max(0.0, gained / len(right))
        # fraction: Moodle weights; options without a weight share 1.0 among the right ones and
        # cost an equal share when wrong.
        total = 0.0
        for option in q.options:
            if option.id not in picked:
                continue
            if option.fraction is not None:
                total += option.fraction
            else:
                total += (1.0 / len(right)) if option.correct else -(1.0 / len(right))
        return max(0.0, min(1.0, total))

    def example(self) -> dict[str, Any]:
        return dict(id="ex-multiple", stem="党内激励机制包括哪几种激励？",
                    options=[Option(id="zhengzhi", text="政治激励", correct=True), Option(id="jingshen", text="精神激励", correct=True),
                             Option(id="chengfa", text="惩罚激励", feedback="惩罚不是激励。")],
                    explanation="政治激励、精神激励和物质激励。")

    def wrong_answer(self, q: QuestionData, rng: random.Random) -> Any:
        wrong = [o.id for o in q.options if not o.correct]
        right = q.correct_ids
        # a typical partial pick: some right ones, maybe one wrong one
        picked = rng.sample(right, k=max(1, len(right) - 1))
        if wrong and rng.random() < 0.5:
            picked.append(rng.choice(wrong))
        return picked
