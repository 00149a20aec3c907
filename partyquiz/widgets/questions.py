"""One input control per question type, translating between widgets and answer values.

The controls live with their question kinds (`partyquiz.qtypes.<type>`, `kind.control`); this
module is the widget layer's door to them. Each control exposes `widget` (what is displayed),
`value` (the answer in the shape documented on `model.Answer`, or None when unanswered) and
`on_change(callback)`. Option ids, pair ids and texts are what get stored, never screen
positions: the screen order is the learner's shuffle. Labels are plain text (ipywidgets renders
descriptions and option labels as text, so a bank cannot inject markup through them).
"""
from __future__ import annotations

from typing import Any

from ..qtypes import registry
from ..qtypes.base import Control, css_id
from ..qtypes.essay import EssayControl as Essay
from ..qtypes.fill import FillControl as Fill
from ..qtypes.matching import MatchingControl as Matching
from ..qtypes.multiple import MultipleChoice
from ..qtypes.numeric import NumericControl as Numeric
from ..qtypes.single import SingleChoice
from ..qtypes.truefalse import TrueFalseControl as TrueFalse

__all__ = ["CONTROLS", "Control", "Essay", "Fill", "Matching", "MultipleChoice", "Numeric", "SingleChoice", "TrueFalse",
           "css_id", "make_control"]

# every registered kind's control, by type name
CONTROLS: dict[str, type[Control]] = {kind.name: kind.control for kind in registry.kinds()}


def make_control(question: dict, order: list[str], lang: str, saved: Any = None, folder: Any = None) -> Control:
    return registry.get(question["type"]).control(question, order, lang, saved, folder=folder)
