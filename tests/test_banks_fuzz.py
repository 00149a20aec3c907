"""Any bank file, however malformed, is read into problems naming the file: never an exception.

A bank is untrusted input (a department's export, a hand edit, a damaged download). Hypothesis
feeds every reader random text and mutated copies of valid banks (bytes flipped, inserted,
deleted, cut short), in each format: GIFT, Moodle XML, CSV, xlsx (the zip itself, and the
sheet's XML inside a sound zip) and YAML. The only outcome allowed besides questions is a
`Problem` that names the file; `read_bank` raises nothing but `InputError`.
"""
from __future__ import annotations

import io
import os
import tempfile
import zipfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from partyquiz import i18n
from partyquiz.banks import parse_bank, read_bank, write_bank
from partyquiz.banks.common import non_finite_path
from partyquiz.errors import InputError
from partyquiz.qtypes import registry

FIX = Path(__file__).parent / "fixtures" / "banks"
SEEDS = {
    ".gift": [FIX / "gift-fidelity.gift", FIX / "gift-moodle-rules.gift", FIX / "moodle-style.gift"],
    ".xml": [FIX / "moodle-fidelity.xml", FIX / "moodle-rules.xml", FIX / "moodle-export.xml"],
    ".csv": [FIX / "excel-utf8-bom.csv", FIX / "gbk-export.csv", FIX / "option-per-row.csv"],
}
# the characters each format gives a meaning to, so random text reaches the parsers' branches
GIFT_ALPHABET = "{}~=#:%->[]\\/\n TFabc党员 0123456789.@$*"
XML_ALPHABET = "<>/=\"' &;#!?[]quiz question type answer fraction text 100 -abc\n党"
CSV_ALPHABET = ",\"\n;|AB题型干选项答案单选多选判断填空数值 123.%-=→>"

LAST_GUARD = i18n.t("authoring.bank.unreadable", "en", error="").split("(")[0]
mutation = st.tuples(st.sampled_from(["flip", "insert", "delete", "cut"]), st.integers(0, 10**9), st.integers(0, 255))


def mutate(data: bytes, edits: list[tuple[str, int, int]]) -> bytes:
    buf = bytearray(data)
    for op, where, value in edits:
        if not buf:
            buf.append(value)
            continue
        i = where % len(buf)
        if op == "flip":
            buf[i] = value
        elif op == "insert":
            buf[i:i] = bytes([value])
        elif op == "delete":
            del buf[i]
        else:
            del buf[i:]
    return bytes(buf)


def check(name: str, data: bytes) -> None:
    """`data` as a bank file named `name`: read without raising, every problem naming the file."""
    i18n.set_language("en")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        result = parse_bank(path)
        assert all(p.file == str(path) and p.message for p in result.problems + result.warnings), result.problems
        # each reader reports what is wrong itself: parse_bank's last guard (for a crash) never fires
        assert not [p for p in result.problems if p.message.startswith(LAST_GUARD)], result.problems
        # what imports is sound: no NaN/inf number (a key nobody, or everybody, matches)
        assert all(non_finite_path(q.model_dump()) is None for q in result.questions)
        try:
            read_bank(path)
        except InputError as exc:
            assert exc.problems and all(p.file == str(path) for p in exc.problems)


# PQ_FUZZ_EXAMPLES=5000 for a longer hunt (the default keeps the suite quick)
EXAMPLES = int(os.environ.get("PQ_FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@FUZZ
@given(st.sampled_from([s for seeds in SEEDS.values() for s in seeds]), st.lists(mutation, min_size=1, max_size=8))
def test_mutated_banks_are_reported_not_raised(seed: Path, edits):
    check("bank" + seed.suffix, mutate(seed.read_bytes(), edits))


@FUZZ
@given(st.text(GIFT_ALPHABET, max_size=300))
def test_random_gift(text: str):
    check("bank.gift", text.encode("utf-8"))


@FUZZ
@given(st.text(XML_ALPHABET, max_size=300))
def test_random_moodle_xml(text: str):
    check("bank.xml", ("<quiz><question type=\"multichoice\">" + text + "</question></quiz>").encode("utf-8"))
    check("bank.xml", text.encode("utf-8"))


@FUZZ
@given(st.text(CSV_ALPHABET, max_size=300), st.booleans())
def test_random_csv_in_utf8_and_gbk(text: str, gbk: bool):
    header = "题型,题干,选项A,选项B,答案,分值,选项A权重,扩展数据\n"
    check("bank.csv", (header + text).encode("gb18030" if gbk else "utf-8"))


@FUZZ
@given(st.binary(max_size=400))
def test_random_bytes_in_every_format(data: bytes):
    for suffix in (".gift", ".xml", ".csv", ".xlsx", ".yml"):
        check("bank" + suffix, data)


def _xlsx_seed() -> bytes:
    questions = [q for q in read_bank(FIX / "gift-fidelity.gift") if q.type != "cloze"]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "seed.xlsx"
        write_bank(questions, path, "xlsx")
        return path.read_bytes()


XLSX_SEED = _xlsx_seed()


@settings(max_examples=max(EXAMPLES // 3, 20), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(mutation, min_size=1, max_size=6), st.sampled_from(["xl/worksheets/sheet1.xml", "xl/sharedStrings.xml", "[Content_Types].xml", None]))
def test_mutated_xlsx_zip_and_sheet_xml(edits, member):
    if member is None:  # the zip's own bytes
        check("bank.xlsx", mutate(XLSX_SEED, edits))
        return
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(XLSX_SEED)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            target.writestr(info.filename, mutate(data, edits) if info.filename == member else data)
    check("bank.xlsx", out.getvalue())


@FUZZ
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["id", "type", "stem", "options", "blanks", "points", "parts", "answer", "text", "correct"]), inner, max_size=4),
                    max_leaves=12))
def test_yaml_of_any_shape(value):
    import yaml

    check("bank.yml", yaml.safe_dump({"questions": [value]}, allow_unicode=True).encode("utf-8"))
    assert registry.known("single")
