"""Essay: free text graded by a person; answer value the text. Scores 0 automatically and is
filled into its own manually graded nbgrader cell."""
from __future__ import annotations

import random
from typing import Any

from ..i18n import t
from ..questiondata import QuestionData
from .base import LABEL_STYLE, KeylessKind, TextControl, ipw
from .registry import register


SIMULATED_ESSAY = "通过学习，我认识到党员教育管理是党的建设中最经常最基础的工作。"


class EssayControl(TextControl):
    qtype = "essay"

    def _build(self, saved: Any):
        w = ipw()
        return w.Textarea(value=saved if isinstance(saved, str) else "", placeholder=t("widgets.essay_placeholder", self.lang),
                          description=t("widgets.answer_label", self.lang), style=LABEL_STYLE,
                          layout=w.Layout(width="100%", max_width="48em", height="8em"))

    def fill(self, value: Any) -> None:
        self.widget.value = value if isinstance(value, str) else ""


@register
class Essay(KeylessKind):
    name = "essay"
    position = 70
    control = EssayControl
    manual = True

    def check(self, q: QuestionData) -> None:
        return None  # any stem is a question a person can grade

    def answer_text(self, q: QuestionData, value: Any, lang: str | None) -> str:
        return value if isinstance(value, str) else t("widgets.unreadable_answer", lang, value=str(value))

    def key_text(self, q: QuestionData, lang: str | None) -> str:
        return t("widgets.key_manual", lang)

    def example(self) -> dict[str, Any]:
        return dict(id="ex-essay", stem="结合工作实际，谈谈你对“三会一课”的认识。", points=10, explanation="言之有理即可。")

    def right_answer(self, q: QuestionData) -> Any:
        return SIMULATED_ESSAY

    def wrong_answer(self, q: QuestionData, rng: random.Random) -> Any:
        return ""
