"""A question's building blocks: its fields and the value types they hold.

This module sits below the question kinds (`partyquiz.qtypes`) and `partyquiz.model` sits
above them, so the import runs one way: the kinds read and build these values, and
`model.Question` (a `QuestionData` that knows its kind) looks kinds up in the registry. Nothing
here knows which types exist; `model` re-exports every name, so the rest of the library keeps
importing them from `partyquiz.model`.
"""
from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .i18n import t

# all_or_nothing: a question scores full points or 0 (every blank must be right).
# strict: choice questions all-or-nothing; blanks earn their share each.
# partial: each right pick earns points/#right, each wrong pick costs as much, floor 0.
# fraction: Moodle-style weights on the options, summed and clamped to [0, 1].
ScoringRule = Literal["all_or_nothing", "strict", "partial", "fraction"]

StableId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=80)]

# a cloze stem marks each blank `{{<part id>}}` where it stands
CLOZE_MARKER = re.compile(r"\{\{([A-Za-z0-9][A-Za-z0-9_.-]*)\}\}")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


class Option(_Model):
    id: StableId
    text: str
    correct: bool = False
    # Moodle-style weight in [-1, 1]; None means "derived from `correct`".
    fraction: float | None = None
    feedback: str = ""

    def public(self) -> dict[str, str]:
        return {"id": self.id, "text": self.text}


class Alternative(_Model):
    """One accepted text for a blank or a short-answer part, weighted as in Moodle.

    A blank may list plain strings (each worth full credit) or alternatives; the first one that
    matches the learner's text (in authored order, as Moodle's short-answer does) gives its
    `fraction` (0..1) and its `feedback`.
    """

    text: str
    fraction: float = Field(default=1.0, ge=0.0, le=1.0)
    feedback: str = ""


class NumericAnswer(_Model):
    """One accepted number: value ± tolerance, or an inclusive range [low, high], with a weight."""

    value: float | None = None
    tolerance: float = Field(default=0.0, ge=0.0)
    range: tuple[float, float] | None = None
    fraction: float = Field(default=1.0, ge=0.0, le=1.0)
    feedback: str = ""

    @model_validator(mode="after")
    def _has_target(self) -> "NumericAnswer":
        if self.value is None and self.range is None:
            raise ValueError(t("core.model.numeric_no_target"))
        if self.range is not None and self.range[0] > self.range[1]:
            raise ValueError(t("core.model.range_reversed"))
        return self


ClozeKind = Literal["shortanswer", "numerical", "multichoice"]


class ClozePart(_Model):
    """One typed blank inside a cloze stem, written `{{<id>}}` where it stands (Moodle's embedded answers).

    shortanswer: `alternatives` (+ `case_sensitive`); numerical: `numeric_answers`;
    multichoice: `options` (weights from `fraction`, else `correct`), shown as `display`.
    `points` is the part's weight within the question (Moodle's `{2:…}`).
    """

    id: StableId
    kind: ClozeKind
    points: float = Field(default=1.0, gt=0)
    alternatives: list[Alternative] = []
    case_sensitive: bool = False
    numeric_answers: list[NumericAnswer] = []
    options: list[Option] = []
    display: Literal["dropdown", "vertical", "horizontal"] = "dropdown"
    shuffle: bool = False


class MatchPair(_Model):
    """One row of a matching question: `left` is shown, `right` must be chosen for it."""

    id: StableId
    left: str
    right: str


class QuestionData(_Model):
    """Every field a question of any type may hold; which ones a type uses is its kind's business.

    The kinds read these fields (`check`, `fraction`, …) and return them (`example`,
    `from_public`); `model.Question` adds the type check and the kind lookup on top."""

    id: StableId
    type: str
    stem: str
    options: list[Option] = []
    # truefalse key, and the feedback shown when the learner answered true / false
    answer: bool | None = None
    feedback_true: str = ""
    feedback_false: str = ""
    # fill key: one list of accepted alternatives per blank (a plain string = full credit)
    blanks: list[list[str | Alternative]] = []
    case_sensitive: bool = False
    # numeric key: value ± tolerance, or an inclusive range [low, high] (full credit), then
    # further accepted answers with their own weight and feedback; the first match counts
    value: float | None = None
    tolerance: float = 0.0
    range: tuple[float, float] | None = None
    numeric_answers: list[NumericAnswer] = []
    # cloze: the typed blanks written `{{<part id>}}` in the stem
    parts: list[ClozePart] = []
    # matching key: each left item with its right answer (extra distractors in `distractors`)
    pairs: list[MatchPair] = []
    distractors: list[str] = []
    points: float = 1.0
    explanation: str = ""
    # essay: the reference answer or marking rubric (参考答案 / 评分要点), shown to markers only, never to learners
    reference: str = ""
    difficulty: str = ""
    topic: str = ""
    source: str = ""
    # Moodle's question name when it is not a valid id (e.g. Chinese), and its tags (GIFT [tag:…])
    title: str = ""
    tags: list[str] = []

    @field_validator("stem")
    @classmethod
    def _stem_not_empty(cls, v: str) -> str:
        if not v.strip():
            raise ValueError(t("core.model.empty_stem"))
        return v

    @property
    def correct_ids(self) -> list[str]:
        return [o.id for o in self.options if o.correct]
