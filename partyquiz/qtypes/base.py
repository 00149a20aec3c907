"""What every question kind must provide, and the helpers the kinds share.

A kind is one class deriving `QuestionKind`; every abstract method is a layer of the product
(validation, learner view, key, scoring, widget, feedback text, simulation). The registry
instantiates the class when its module is imported, so a kind that misses a method fails
at import (`TypeError: Can't instantiate abstract class …`), never while a quiz is graded.

Nothing here imports ipywidgets at module level: scoring runs in the hidden test cell and in
the fast engine, where half a second of widget import per process would be wasted. Controls
import it when they are built.
"""
from __future__ import annotations

import math
import random
import re
import unicodedata
from abc import ABC, abstractmethod
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Callable, ClassVar

from ..questiondata import QuestionData, ScoringRule

if TYPE_CHECKING:
    import ipywidgets

# --- text and numbers ---------------------------------------------------------------------


def normalise_text(text: str, case_sensitive: bool = False) -> str:
    """Full-width → half-width (NFKC), inner runs of space folded, ends trimmed, case folded."""
    text = unicodedata.normalize("NFKC", str(text))
    text = re.sub(r"\s+", " ", text).strip()
    return text if case_sensitive else text.casefold()


def parse_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        text = normalise_text(value).replace(",", "").replace("，", "")
        try:
            number = float(text)
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def is_answered(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, (list, tuple)):
        return any(is_answered(v) for v in value)
    if isinstance(value, dict):
        return any(is_answered(v) for v in value.values())
    return True


def as_choice_list(value: Any) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return list(value)
    return None


def option_weight(option: Any) -> float:
    """Moodle weight of an option: its `fraction`, else 1 when correct and 0 when not."""
    return option.fraction if option.fraction is not None else float(option.correct)


def number_text(number: float | None) -> str:
    """A number as a person writes it: 3 not 3.0, 0.1 not 0.1000000001."""
    if number is None:
        return ""
    return f"{number:.12g}"


def numeric_target_text(value: float | None, tolerance: float, range_: tuple[float, float] | None) -> str:
    if range_ is not None:
        return f"{number_text(range_[0])} – {number_text(range_[1])}"
    return number_text(value) + (f" ± {number_text(tolerance)}" if tolerance else "")


def numeric_hits(number: float, value: float | None, tolerance: float, range_: tuple[float, float] | None) -> bool:
    if range_ is not None:
        low, high = range_
        return low <= number <= high
    assert value is not None
    return abs(number - value) <= tolerance + 1e-12


def first_text_match(given: Any, alternatives: list, case_sensitive: bool) -> Any | None:
    """The first alternative (plain string or model.Alternative) equal to `given`, as Moodle's
    short answer takes the first matching answer in authored order."""
    if not isinstance(given, str) or not given.strip():
        return None
    norm = normalise_text(given, case_sensitive)
    for alt in alternatives:
        text = alt if isinstance(alt, str) else alt.text
        if norm == normalise_text(text, case_sensitive) if "*" not in text else _wildcard(text, case_sensitive).fullmatch(norm):
            return alt
    return None


@lru_cache(maxsize=4096)
def _wildcard(pattern: str, case_sensitive: bool) -> "re.Pattern[str]":
    """Moodle's short-answer wildcard: a run of `*` matches any text, `\\*` is a literal star."""
    bits = re.split(r"(?<!\\)\*+", normalise_text(pattern, case_sensitive))
    return re.compile(".*".join(re.escape(bit.replace("\\*", "*")) for bit in bits), re.S)


def alternative_fraction(alt: Any) -> float:
    return 1.0 if isinstance(alt, str) else float(alt.fraction)


def alternative_text(alt: Any) -> str:
    return alt if isinstance(alt, str) else alt.text


# --- widgets ------------------------------------------------------------------------------


def ipw() -> "Any":
    """ipywidgets, imported on first use (see the module docstring)."""
    import ipywidgets

    return ipywidgets


@lru_cache(maxsize=None)
def wide_layout() -> "ipywidgets.Layout":
    return ipw().Layout(width="auto", max_width="48em")


LABEL_STYLE = {"description_width": "initial"}


def css_id(text: str) -> str:
    """A CSS-class-safe form of a stable id (ids may hold dots)."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", text)


class Control(ABC):
    """One input control: `widget` (displayed), `value` (the answer in the kind's shape, or
    None when unanswered) and `on_change(callback)`. Ids and texts are stored, never screen
    positions: the screen order is the learner's shuffle. Labels are plain text (ipywidgets
    renders descriptions and option labels as text, so a bank cannot inject markup).

    `_build`, `value`, `clear` and `fill` are abstract: the registry refuses a kind whose
    control leaves one out when the kind's module is imported, not when a learner clears it."""

    qtype = ""

    def __init__(self, question: dict, order: list[str], lang: str, saved: Any = None, folder: Any = None):
        self.question = question
        self.order = order
        self.lang = lang
        self.folder = folder  # the quiz folder: images in text a control renders are inlined from it
        self.widget = self._build(saved)
        self.widget.add_class("pq-control")
        self.widget.add_class(f"pq-control-{self.qtype}")

    @abstractmethod
    def _build(self, saved: Any) -> "ipywidgets.Widget":
        """The widget, showing `saved` (the stored answer, or None)."""

    def _inputs(self) -> list:
        return [self.widget]

    @property
    @abstractmethod
    def value(self) -> Any:
        """The answer in the kind's shape, or None when unanswered."""

    def on_change(self, callback: Callable[[], None]) -> None:
        for control in self._inputs():
            control.observe(lambda _change: callback(), names="value")

    @abstractmethod
    def clear(self) -> None:
        """Empty every input (the learner's 清空)."""

    @abstractmethod
    def fill(self, value: Any) -> None:
        """Put `value` into the inputs as a learner would (each change fires `on_change`)."""

    def set_disabled(self, disabled: bool) -> None:
        """Lock the inputs (a submitted attempt)."""
        for control in self._inputs():
            control.disabled = disabled


class TextControl(Control):
    """A control that is one text field (essay, numeric): blank means unanswered."""

    @property
    def value(self) -> Any:
        return self.widget.value if self.widget.value.strip() else None

    def clear(self) -> None:
        self.widget.value = ""


# --- the kind -----------------------------------------------------------------------------


class QuestionKind(ABC):
    """Everything one question type is. Subclasses set `name` and `control` and implement
    every abstract method; `registry.register` checks both when the module is imported."""

    name: ClassVar[str] = ""
    # where the type comes in lists (schemas, pickers, QUESTION_TYPES)
    position: ClassVar[int] = 1000
    control: ClassVar[type[Control]]
    # False for text items (description): no points, not in the maximum, no answer asked
    scored: ClassVar[bool] = True
    # True when a person grades it (essay): scores 0 automatically, needs_manual in results
    manual: ClassVar[bool] = False
    # True when the control shows the stem itself (cloze: the blanks sit inside the text)
    renders_stem: ClassVar[bool] = False

    @property
    def answerable(self) -> bool:
        """Does the learner answer it (counts in progress, holds a value)?"""
        return self.scored

    @property
    def label_key(self) -> str:
        """The i18n key of the type's name shown above each question."""
        return f"widgets.type.{self.name}"

    # validation and views
    @abstractmethod
    def check(self, q: QuestionData) -> None:
        """Raise ValueError (a catalog message naming the question) when the key does not fit."""

    @abstractmethod
    def key(self, q: QuestionData) -> dict[str, Any]:
        """The key alone: what must never reach a learner in graded mode."""

    @abstractmethod
    def public(self, q: QuestionData) -> dict[str, Any]:
        """Learner-side fields of this kind, added to id/type/stem/points(/options)."""

    @abstractmethod
    def from_public(self, view: dict, key: dict) -> dict[str, Any]:
        """Question fields rebuilt from a practice view (the view holds the key)."""

    def option_ids(self, view: dict) -> list[str]:
        """What the learner's option shuffle orders (option ids by default)."""
        return [o["id"] for o in view.get("options", [])]

    # scoring
    @abstractmethod
    def fraction(self, q: QuestionData, value: Any, rule: ScoringRule) -> float:
        """Share of the points earned by an answered `value`, in [0, 1]."""

    def is_answered(self, value: Any) -> bool:
        return is_answered(value)

    # feedback text
    @abstractmethod
    def answer_text(self, q: QuestionData, value: Any, lang: str | None) -> str:
        """The learner's (non-blank) answer as a person reads it."""

    @abstractmethod
    def key_text(self, q: QuestionData, lang: str | None) -> str:
        """The right answer as a person reads it."""

    def stem_text(self, q: QuestionData) -> str:
        """The stem as plain text for pages that show no control (feedback, reports)."""
        return q.stem

    def answer_feedback(self, q: QuestionData, value: Any) -> list[str]:
        """Per-answer feedback the bank attached to what the learner answered."""
        return []

    # authoring
    @abstractmethod
    def example(self) -> dict[str, Any]:
        """A small valid question of this kind (Chinese content), for the docs and the walk test."""

    # simulated learners
    @abstractmethod
    def right_answer(self, q: QuestionData) -> Any:
        """An answer that earns full points (for essays: a plausible text)."""

    @abstractmethod
    def wrong_answer(self, q: QuestionData, rng: random.Random) -> Any:
        """A plausible answer that does not earn full points."""


class KeylessKind(QuestionKind):
    """A kind with no key for the machine to score against (essay: a person grades it;
    description: nothing is asked). It has no key, no kind-specific learner fields, and
    earns nothing automatically."""

    def key(self, q: QuestionData) -> dict[str, Any]:
        return {}

    def public(self, q: QuestionData) -> dict[str, Any]:
        return {}

    def from_public(self, view: dict, key: dict) -> dict[str, Any]:
        return {}

    def fraction(self, q: QuestionData, value: Any, rule: ScoringRule) -> float:
        return 0.0
