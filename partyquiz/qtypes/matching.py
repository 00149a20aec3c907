"""Matching: each left item gets one right text; answer value `{pair_id: right text}`."""
from __future__ import annotations

import random
from typing import Any

from ..i18n import t
from ..questiondata import MatchPair, QuestionData, ScoringRule
from .base import LABEL_STYLE, Control, QuestionKind, css_id, ipw, normalise_text
from .registry import register


class MatchingControl(Control):
    qtype = "matching"

    def _build(self, saved: Any):
        w = ipw()
        saved = saved if isinstance(saved, dict) else {}
        rights = list(self.question.get("rights", []))
        lefts = {item["id"]: item["text"] for item in self.question.get("lefts", [])}
        choices = [(t("widgets.choose", self.lang), None)] + [(text, text) for text in self.order or rights]
        self.menus = {}
        for pair_id, left in lefts.items():
            current = saved.get(pair_id) if saved.get(pair_id) in rights else None
            menu = w.Dropdown(options=choices, value=current, description=left, style=LABEL_STYLE)
            menu.add_class(f"pq-match-{css_id(pair_id)}")
            self.menus[pair_id] = menu
        return w.VBox(list(self.menus.values()))

    def _inputs(self) -> list:
        return list(self.menus.values())

    @property
    def value(self) -> Any:
        chosen = {pair_id: menu.value for pair_id, menu in self.menus.items() if menu.value is not None}
        return chosen or None

    def clear(self) -> None:
        for menu in self.menus.values():
            menu.value = None

    def fill(self, value: Any) -> None:
        value = value if isinstance(value, dict) else {}
        for pair_id, menu in self.menus.items():
            menu.value = value.get(pair_id)


@register
class Matching(QuestionKind):
    name = "matching"
    position = 60
    control = MatchingControl

    def check(self, q: QuestionData) -> None:
        if len(q.pairs) < 2:
            raise ValueError(t("core.qtype.matching_two_pairs", id=q.id))

    def key(self, q: QuestionData) -> dict[str, Any]:
        return {"pairs": {p.id: p.right for p in q.pairs}}

    def public(self, q: QuestionData) -> dict[str, Any]:
        # rights sorted so their order gives nothing away; the widget shuffles per learner
        return {"lefts": [{"id": p.id, "text": p.left} for p in q.pairs],
                "rights": sorted({p.right for p in q.pairs} | set(q.distractors))}

    def from_public(self, view: dict, key: dict) -> dict[str, Any]:
        rights = key.get("pairs") or {}
        return {"pairs": [MatchPair(id=p["id"], left=p["text"], right=rights.get(p["id"], "")) for p in view.get("lefts", [])]}

    def option_ids(self, view: dict) -> list[str]:
        return list(view.get("rights", []))

    def fraction(self, q: QuestionData, value: Any, rule: ScoringRule) -> float:
        if not isinstance(value, dict):
            return 0.0
        hits = sum(1 for pair in q.pairs
                   if isinstance(value.get(pair.id), str) and normalise_text(value[pair.id], True) == normalise_text(pair.right, True))
        if rule in ("all_or_nothing", "strict"):
            return 1.0 if hits == len(q.pairs) else 0.0
        return hits / len(q.pairs)

    def answer_text(self, q: QuestionData, value: Any, lang: str | None) -> str:
        if not isinstance(value, dict):
            return t("widgets.unreadable_answer", lang, value=str(value))
        lefts = {p.id: p.left for p in q.pairs}
        return "；".join(f"{lefts.get(k, k)} → {v}" for k, v in value.items() if k in lefts)

    def key_text(self, q: QuestionData, lang: str | None) -> str:
        return "；".join(f"{p.left} → {p.right}" for p in q.pairs)

    def example(self) -> dict[str, Any]:
        return dict(id="ex-matching", stem="将会议与召开频次对应起来。",
                    pairs=[MatchPair(id="dahui", left="支部党员大会", right="每季度"), MatchPair(id="zhiwei", left="支委会", right="每月")],
                    distractors=["每年"], explanation="大会每季度，支委会每月。")

    def right_answer(self, q: QuestionData) -> Any:
        return {p.id: p.right for p in q.pairs}

    def wrong_answer(self, q: QuestionData, rng: random.Random) -> Any:
        return ""
