"""Interface strings in Chinese (default) and English.

Language: `set_language()`, else the PARTYQUIZ_LANG environment variable (zh-CN / en), else
Chinese. Catalogs are JSON files in `i18n/<lang>/`, one file per area (core, widgets, grading,
records, hub...) so each stage owns its strings; a language's catalog is the union of its files.
A test checks both languages hold the same keys and that every key used in the code exists.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from ..settings import language_setting

LANGUAGES = ("zh-CN", "en")
DEFAULT = "zh-CN"
_override: str | None = None


def _normalise(lang: str | None) -> str:
    if not lang:
        return DEFAULT
    lang = lang.replace("_", "-").lower()
    return "en" if lang.startswith("en") else DEFAULT


def set_language(lang: str | None) -> None:
    global _override
    _override = _normalise(lang) if lang else None


def language() -> str:
    return _override or _normalise(language_setting())


@lru_cache(maxsize=None)
def catalog(lang: str) -> dict[str, str]:
    merged: dict[str, str] = {}
    for path in sorted((Path(__file__).parent / lang).glob("*.json")):
        merged.update(json.loads(path.read_text(encoding="utf-8")))
    return merged


def t(key: str, lang: str | None = None, **values: object) -> str:
    """Translate `key`; a missing key shows itself so it is noticed, never crashes."""
    text = catalog(_normalise(lang) if lang else language()).get(key, key)
    return text.format(**values) if values else text
