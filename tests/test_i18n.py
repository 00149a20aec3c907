"""Every interface string exists in Chinese and English, and every key the code uses exists."""
from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from partyquiz import i18n

PACKAGE = Path(i18n.__file__).resolve().parents[1]
CATALOGS = Path(i18n.__file__).resolve().parent
# t("key"), t('key'), i18n.t("key", ...): a literal key holding at least one dot
KEY_USE = re.compile(r"""(?<![\w])t\(\s*(['"])([A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)+)\1""")
PLACEHOLDER = re.compile(r"\{(\w+)[^}]*\}")


def _area_files() -> list[str]:
    names = set()
    for lang in i18n.LANGUAGES:
        names |= {p.name for p in (CATALOGS / lang).glob("*.json")}
    return sorted(names)


def _load(lang: str, name: str) -> dict[str, str]:
    path = CATALOGS / lang / name
    assert path.exists(), f"{path} missing: every area file needs both languages"
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", _area_files())
def test_both_languages_hold_the_same_keys(name: str):
    zh, en = _load("zh-CN", name), _load("en", name)
    assert sorted(set(zh) - set(en)) == [], f"{name}: keys only in zh-CN"
    assert sorted(set(en) - set(zh)) == [], f"{name}: keys only in en"
    for key in zh:
        assert zh[key].strip() and en[key].strip(), f"{name}: {key} is empty"
        assert set(PLACEHOLDER.findall(zh[key])) == set(PLACEHOLDER.findall(en[key])), f"{name}: {key} placeholders differ"


def test_no_key_is_defined_in_two_area_files():
    # catalogs are merged: a key in two files would silently take one file's text
    seen: dict[str, str] = {}
    clashes = []
    for name in _area_files():
        for key in _load("zh-CN", name):
            if key in seen:
                clashes.append(f"{key} in {seen[key]} and {name}")
            seen[key] = name
    assert clashes == []


def test_every_key_used_in_the_code_exists_in_both_languages():
    missing = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for _quote, key in KEY_USE.findall(line):
                for lang in i18n.LANGUAGES:
                    if key not in i18n.catalog(lang):
                        missing.append(f"{path.relative_to(PACKAGE.parent)}:{lineno}: {key} ({lang})")
    assert missing == []


def test_language_switches_by_environment_variable(monkeypatch):
    i18n.set_language(None)
    monkeypatch.setenv("PARTYQUIZ_LANG", "en")
    assert i18n.t("widgets.progress", answered=1, total=2) == "1 of 2 answered"
    monkeypatch.setenv("PARTYQUIZ_LANG", "zh_CN")
    assert i18n.t("widgets.progress", answered=1, total=2) == "已答 1 / 2 题"
    monkeypatch.delenv("PARTYQUIZ_LANG")
    assert i18n.language() == "zh-CN"  # Chinese by default


# --- every key in a catalog is used somewhere ---------------------------------------------------
# A key counts as used when the code (Python, HTML templates, notebooks) holds it as a string
# literal, or holds a prefix it is built from at run time: an f-string like t(f"grading.summary.{x}")
# (prefix "grading.summary."), or a literal prefix ending in "." joined with a literal rest
# (T("col.item.3") under t("report." + key), t_of("app.state.", state) with "passed" in the code).
STRING = re.compile(r"""(['"])([A-Za-z0-9_.-]+)\1""")
F_PREFIX = re.compile(r"""f(['"])([A-Za-z0-9_.-]*\.)\{""")


def _code_text() -> str:
    roots = [PACKAGE, PACKAGE.parent / "notebooks"]  # PACKAGE is the partyquiz folder
    files = [p for root in roots for p in root.rglob("*") if p.suffix in (".py", ".html", ".js", ".ipynb") and "i18n" not in p.parts]
    return "\n".join(p.read_text(encoding="utf-8") for p in files)


def test_every_key_in_either_language_is_used():
    code = _code_text()
    literals = {m[1] for m in STRING.findall(code)}
    built_from = {m[1] for m in F_PREFIX.findall(code) if len(m[1]) > 1}
    prefixes = {s for s in literals if s.endswith(".") and len(s) > 1}

    def used(key: str) -> bool:
        if key in literals or any(key.startswith(p) for p in built_from):
            return True
        return any(key.startswith(p) and (key[len(p):] in literals or any(key[len(p):].startswith(f) for f in built_from))
                   for p in prefixes)

    unused = sorted({f"{lang}/{name}: {key}" for lang in i18n.LANGUAGES for name in _area_files() for key in _load(lang, name) if not used(key)})
    assert unused == []


# --- no inline "中文 / English" messages: every message a user reads comes from the catalogs ------
# The modules below are converted; the rest of the package is being converted area by area. To
# widen the check, add a path here (a folder covers everything under it; "" is the whole package).
# `python tests/test_i18n.py` lists what is left in the whole package.
CONVERTED = ("",)  # every module of the package: no message is written twice inline any more
CJK = r"[\u3400-\u9fff\uff00-\uffef]"
# Chinese, then " / " and a Latin word (or the other way round): the old bilingual message shape
BILINGUAL = re.compile(rf"{CJK}[^\n]*(?:\s/|/\s)\s*[A-Za-z]|[A-Za-z][^\n]*(?:\s/|/\s)\s*{CJK}")
# calls that hand a text to a user: raised, collected as a problem or warning, printed
MESSAGE_CALLS = {"append", "extend", "Problem", "fail", "warn", "print", "echo", "LoadResult", "InputError"}


def _texts(node: ast.AST) -> list[str]:
    """The literal text inside `node`: plain strings and the fixed parts of f-strings."""
    return [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def _bilingual_in(path: Path) -> list[tuple[int, str]]:
    """(line, text) of each inline bilingual text raised or handed to a message call in `path`."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        called = node.func if isinstance(node, ast.Call) else None
        name = getattr(called, "attr", None) or getattr(called, "id", None)
        if isinstance(node, ast.Raise) or (called is not None and name in MESSAGE_CALLS):
            found |= {(node.lineno, text.strip()) for text in _texts(node) if BILINGUAL.search(text)}
    return sorted(found)


def inline_bilingual_messages(prefixes) -> list[str]:
    paths = [p for p in sorted(PACKAGE.rglob("*.py")) if any(str(p.relative_to(PACKAGE)).startswith(x) for x in prefixes)]
    return [f"{path.relative_to(PACKAGE.parent)}:{line}: {text[:80]}" for path in paths for line, text in _bilingual_in(path)]


def test_converted_modules_hold_no_inline_bilingual_message():
    assert inline_bilingual_messages(CONVERTED) == []


def test_the_bilingual_check_finds_the_old_shape(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text('def f(q, problems):\n'
                      '    problems.append(f"{q}: 题干为空 / empty stem")\n'
                      '    raise ValueError("unknown type / 未知题型")\n'
                      '    raise ValueError(t("core.model.empty_stem", id=q))\n'
                      '    label = "支部 / branch"  # a label in a table, not a message: left to the page tests\n',
                      encoding="utf-8")
    assert _bilingual_in(sample) == [(2, ": 题干为空 / empty stem"), (3, "unknown type / 未知题型")]


if __name__ == "__main__":  # what is left in the whole package
    print("\n".join(inline_bilingual_messages([""])))
