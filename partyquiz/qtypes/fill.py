"""Fill in the blanks: answer value `[text per blank]`.

Each blank lists accepted alternatives: a plain string earns full credit, a `model.Alternative`
its `fraction`; the first alternative that matches counts (Moodle's short answer). Texts are
compared after NFKC (full-width → half-width), space folding and, unless `case_sensitive`,
case folding. `all_or_nothing` asks every blank at full credit; other rules add the blanks'
shares.
"""
from __future__ import annotations

import random
from typing import Any

from ..i18n import t
from ..questiondata import Alternative, QuestionData, ScoringRule
from .base import LABEL_STYLE, Control, QuestionKind, alternative_fraction, alternative_text, first_text_match, ipw
from .registry import register


class FillControl(Control):
    qtype = "fill"

    def _build(self, saved: Any):
        w = ipw()
        n = max(1, int(self.question.get("n_blanks", 1)))
        values = list(saved) if isinstance(saved, list) else ([saved] if isinstance(saved, str) else [])
        values = [str(v) if v is not None else "" for v in values] + [""] * n
        self.blanks = []
        for index in range(n):
            box = w.Text(value=values[index], description=t("widgets.blank", self.lang, n=index + 1), style=LABEL_STYLE)
            box.add_class(f"pq-blank-{index + 1}")
            self.blanks.append(box)
        return w.VBox(self.blanks)

    def _inputs(self) -> list:
        return self.blanks

    @property
    def value(self) -> Any:
        values = [box.value for box in self.blanks]
        return values if any(v.strip() for v in values) else None

    def clear(self) -> None:
        for box in self.blanks:
            box.value = ""

    def fill(self, value: Any) -> None:
        given = _given(value) or []
        for index, box in enumerate(self.blanks):
            box.value = str(given[index]) if index < len(given) and given[index] is not None else ""


def _given(value: Any) -> list | None:
    if isinstance(value, str):
        return [value]
    return list(value) if isinstance(value, (list, tuple)) else None


@register
class Fill(QuestionKind):
    name = "fill"
    position = 40
    control = FillControl

    def check(self, q: QuestionData) -> None:
        if not q.blanks or any(not alts for alts in q.blanks):
            raise ValueError(t("core.qtype.fill_no_answer", id=q.id))
        for index, alts in enumerate(q.blanks, 1):
            if not any(alternative_fraction(a) >= 1.0 - 1e-9 for a in alts):
                raise ValueError(t("core.qtype.fill_no_full", id=q.id, n=index))

    def key(self, q: QuestionData) -> dict[str, Any]:
        blanks = [[a if isinstance(a, str) else a.model_dump(mode="json") for a in alts] for alts in q.blanks]
        return {"blanks": blanks, "case_sensitive": q.case_sensitive}

    def public(self, q: QuestionData) -> dict[str, Any]:
        return {"n_blanks": len(q.blanks)}

    def from_public(self, view: dict, key: dict) -> dict[str, Any]:
        return {"blanks": key.get("blanks") or [], "case_sensitive": bool(key.get("case_sensitive", False))}

    def blank_fractions(self, q: QuestionData, value: Any) -> list[float]:
        given = _given(value) or []
        shares = []
        for index, alternatives in enumerate(q.blanks):
            hit = first_text_match(given[index] if index < len(given) else None, alternatives, q.case_sensitive)
            shares.append(0.0 if hit is None else alternative_fraction(hit))
        return shares

    def fraction(self, q: QuestionData, value: Any, rule: ScoringRule) -> float:
        if _given(value) is None:
            return 0.0
        shares = self.blank_fractions(q, value)
        if rule == "all_or_nothing":
            return 1.0 if all(s >= 1.0 - 1e-9 for s in shares) else 0.0
        return sum(shares) / len(shares)

    def answer_text(self, q: QuestionData, value: Any, lang: str | None) -> str:
        given = _given(value)
        if given is None:
            return t("widgets.unreadable_answer", lang, value=str(value))
        return " | ".join("" if v is None else str(v) for v in given)

    def key_text(self, q: QuestionData, lang: str | None) -> str:
        return " | ".join(" / ".join(alternative_text(a) for a in alts if alternative_fraction(a) >= 1.0 - 1e-9) for alts in q.blanks)

    def answer_feedback(self, q: QuestionData, value: Any) -> list[str]:
        given = _given(value) or []
        notes = []
        for index, alternatives in enumerate(q.blanks):
            hit = first_text_match(given[index] if index < len(given) else None, alternatives, q.case_sensitive)
            if hit is not None and not isinstance(hit, str) and hit.feedback:
                notes.append(hit.feedback)
        return notes

    def example(self) -> dict[str, Any]:
        return dict(id="ex-fill", stem="支委会一般每 ____ 召开一次，党课每 ____ 进行一次。",
                    blanks=[["月", Alternative(text="个月", feedback="对，每个月。")],
                            [Alternative(text="半年"), Alternative(text="季度", fraction=0.5, feedback="党课每半年一次。")]],
                    explanation="每月；每半年。")

    def right_answer(self, q: QuestionData) -> Any:
        return [next(alternative_text(a) for a in alts if alternative_fraction(a) >= 1.0 - 1e-9) for alts in q.blanks]

    def wrong_answer(self, q: QuestionData, rng: random.Random) -> Any:
        return ["不知道"] * len(q.blanks)
