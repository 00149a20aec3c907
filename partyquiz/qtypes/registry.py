"""The one table of question kinds every layer looks up: `registry.get(q.type)`.

Kinds register themselves when their module is imported (`@register` on the class); the
package imports every module in `partyquiz/qtypes/`, so adding a kind is adding one module.
Registration instantiates the class (an abstract method left out fails here, at import) and
checks the class attributes and the type's name in both interface languages.
"""
from __future__ import annotations

import inspect
from typing import Iterator, TypeVar

from .. import i18n
from ..errors import NotFound
from ..i18n import t
from .base import Control, QuestionKind

K = TypeVar("K", bound=type[QuestionKind])

_KINDS: dict[str, QuestionKind] = {}


class IncompleteKind(TypeError):
    """A question kind that misses a piece every layer needs."""


class UnknownKind(NotFound):
    """A type name no kind is registered under (a bank or a key naming a type this install lacks)."""

    worded = True  # args[0] is the catalog message naming the type and the known ones


def register(cls: K) -> K:
    kind = cls()  # TypeError here when an abstract method is missing
    name = getattr(cls, "name", "")
    if not name or not name.isidentifier():
        raise IncompleteKind(f"{cls.__name__}: question kind without a `name`")
    if name in _KINDS and type(_KINDS[name]) is not cls:
        raise IncompleteKind(f"{cls.__name__}: question kind '{name}' registered twice")
    control = getattr(cls, "control", None)
    if not (isinstance(control, type) and issubclass(control, Control)) or control.qtype != name:
        raise IncompleteKind(f"{cls.__name__}: `control` must be a Control subclass with qtype '{name}'")
    if inspect.isabstract(control):
        missing = ", ".join(sorted(control.__abstractmethods__))
        raise IncompleteKind(f"{cls.__name__}: its control {control.__name__} does not implement {missing}")
    _check_strings(kind)
    _KINDS[name] = kind
    return cls


def _check_strings(kind: QuestionKind) -> None:
    for lang in i18n.LANGUAGES:
        if kind.label_key not in i18n.catalog(lang):
            raise IncompleteKind(f"question kind '{kind.name}': no '{kind.label_key}' in the {lang} catalog (i18n/{lang}/widgets.json)")


def get(name: str) -> QuestionKind:
    try:
        return _KINDS[name]
    except KeyError:
        raise UnknownKind(t("core.model.unknown_type", type=name, known="、".join(_KINDS))) from None


def known(name: str) -> bool:
    return name in _KINDS


def kinds() -> Iterator[QuestionKind]:
    return iter(sorted(_KINDS.values(), key=lambda k: (k.position, k.name)))


def names() -> tuple[str, ...]:
    return tuple(k.name for k in kinds())
