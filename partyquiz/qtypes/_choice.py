"""What single and multiple choice share: options with ids, a key of right ids, option texts."""
from __future__ import annotations

from typing import Any

from ..i18n import t
from ..questiondata import Option, QuestionData
from .base import QuestionKind, as_choice_list


class ChoiceKind(QuestionKind):
    def check(self, q: QuestionData) -> None:
        if len(q.options) < 2:
            raise ValueError(t("core.qtype.choice_two_options", id=q.id))
        if not q.correct_ids:
            raise ValueError(t("core.qtype.choice_no_correct", id=q.id))

    def key(self, q: QuestionData) -> dict[str, Any]:
        key: dict[str, Any] = {"options": q.correct_ids}
        if any(o.fraction is not None for o in q.options):
            key["fractions"] = {o.id: o.fraction for o in q.options if o.fraction is not None}
        if any(o.feedback for o in q.options):
            key["feedback"] = {o.id: o.feedback for o in q.options if o.feedback}
        return key

    def public(self, q: QuestionData) -> dict[str, Any]:
        return {}  # the options are in every view that has them

    def from_public(self, view: dict, key: dict) -> dict[str, Any]:
        right = set(key.get("options") or [])
        weights, notes = key.get("fractions") or {}, key.get("feedback") or {}
        return {"options": [Option(id=o["id"], text=o["text"], correct=o["id"] in right, fraction=weights.get(o["id"]),
                                   feedback=notes.get(o["id"], "")) for o in view.get("options", [])]}

    def picked(self, value: Any) -> list[str] | None:
        return as_choice_list(value)

    def answer_text(self, q: QuestionData, value: Any, lang: str | None) -> str:
        texts = {o.id: o.text for o in q.options}
        picked = value if isinstance(value, list) else [value]
        return "；".join(texts.get(str(v), str(v)) for v in picked)

    def key_text(self, q: QuestionData, lang: str | None) -> str:
        return "；".join(o.text for o in q.options if o.correct)

    def answer_feedback(self, q: QuestionData, value: Any) -> list[str]:
        picked = set(as_choice_list(value) or [])
        return [o.feedback for o in q.options if o.id in picked and o.feedback]

    def right_answer(self, q: QuestionData) -> Any:
        return q.correct_ids
