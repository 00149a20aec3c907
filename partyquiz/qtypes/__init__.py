"""Question kinds: one module per type, one registry every layer looks up.

    from partyquiz.qtypes import registry
    kind = registry.get(question.type)
    kind.fraction(question, value, rule)      # scoring
    kind.control(view, order, lang, saved)    # widget
    kind.answer_text(question, value, lang)   # feedback

Every module here except `base` and `registry` defines one kind and registers it; they are
all imported below, so a new module is found without editing this file. See
docs/architecture.md, "Extension points", and tests/test_qtypes_walk.py.
"""
from __future__ import annotations

import importlib
import pkgutil

from . import registry
from .base import Control, QuestionKind

_INFRASTRUCTURE = {"base", "registry"}


def _load_kinds() -> None:
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if module.name not in _INFRASTRUCTURE and not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}")


_load_kinds()

__all__ = ["Control", "QuestionKind", "registry"]
