"""What single and multiple choice share: options with ids, a key of right ids, option texts."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .base import QuestionKind, as_choice_list

if TYPE_CHECKING:
    from ..model import Question


class ChoiceKind(QuestionKind):
    def check(self, q: "Question") -> None:
        if len(q.options) < 2:
            raise ValueError(f"{q.id}: 选择题至少需要两个选项 / needs at least two options")
        if not q.correct_ids:
            raise ValueError(f"{q.id}: 没有正确选项 / no correct option")

    def key(self, q: "Question") -> dict[str, Any]:
        key: dict[str, Any] = {"options": q.correct_ids}
        if any(o.fraction is not None for o in q.options):
            key["fractions"] = {o.id: o.fraction for o in q.options if o.fraction is not None}
        if any(o.feedback for o in q.options):
            key["feedback"] = {o.id: o.feedback for o in q.options if o.feedback}
        return key

    def public(self, q: "Question") -> dict[str, Any]:
        return {}  # the options are in every view that has them

    def from_public(self, view: dict, key: dict) -> dict[str, Any]:
        from ..model import Option

        right = set(key.get("options") or [])
        weights, notes = key.get("fractions") or {}, key.get("feedback") or {}
        return {"options": [Option(id=o["id"], text=o["text"], correct=o["id"] in right, fraction=weights.get(o["id"]),
                                   feedback=notes.get(o["id"], "")) for o in view.get("options", [])]}

    def picked(self, value: Any) -> list[str] | None:
        return as_choice_list(value)

    def answer_text(self, q: "Question", value: Any, lang: str | None) -> str:
        texts = {o.id: o.text for o in q.options}
        picked = value if isinstance(value, list) else [value]
        return "；".join(texts.get(str(v), str(v)) for v in picked)

    def key_text(self, q: "Question", lang: str | None) -> str:
        return "；".join(o.text for o in q.options if o.correct)

    def answer_feedback(self, q: "Question", value: Any) -> list[str]:
        picked = set(as_choice_list(value) or [])
        return [o.feedback for o in q.options if o.id in picked and o.feedback]

    def right_answer(self, q: "Question") -> Any:
        return q.correct_ids
