"""Import → export → import gives the same bank, in every format (property tests).

Each generated bank is exported and imported once (that is a bank as the format holds it),
then exported and imported again: the two imports must be equal. The first import must also
mean the same as the generated bank (same stems, keys, explanations), so nothing is lost.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from partyquiz.banks import FORMATS, parse_bank, write_bank
from partyquiz.banks.common import snap_fraction
from partyquiz.model import Alternative, ClozePart, MatchPair, NumericAnswer, Option, Question

# Chinese, ASCII and the characters GIFT must escape; no `;` `|` (blank separators in the
# spreadsheet template), `->` (matching), `%` (GIFT weights) or newlines (one cell, one line).
ALPHABET = "党员教育管理支部学习三会一课机制abcXYZ019 .,?!()“”：、~=#{}:\\&<"
text = st.text(alphabet=ALPHABET, min_size=1, max_size=14).map(str.strip).filter(bool)
ids = st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True)
points = st.sampled_from([1.0, 2.0, 0.5, 3.0, 10.0])
# Moodle's grades (the weights every format must keep exactly)
weights = st.sampled_from([1.0, 0.5, 0.3333333, 0.25, 0.1, 0.0])
# cloze answers: Moodle's syntax cannot escape ~ and decodes entities, so those stay out
cloze_text = st.text(alphabet="党员教育管理支部abcXYZ019 .,?!()“”：、=:", min_size=1, max_size=10).map(str.strip).filter(lambda t: t and not t.startswith("="))
KINDS = ["single", "multiple", "truefalse", "fill", "numeric", "matching", "essay", "description", "cloze"]


@st.composite
def cloze_parts(draw):
    parts = []
    for index in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["shortanswer", "numerical", "multichoice"]))
        part = {"id": f"p{index + 1}", "kind": kind, "points": float(draw(st.integers(1, 3)))}
        if kind == "shortanswer":
            part["alternatives"] = [Alternative(text=draw(cloze_text), feedback=draw(st.one_of(st.just(""), cloze_text)))] + [
                Alternative(text=draw(cloze_text), fraction=draw(weights)) for _ in range(draw(st.integers(0, 2)))]
            part["case_sensitive"] = draw(st.booleans())
        elif kind == "numerical":
            part["numeric_answers"] = [NumericAnswer(value=draw(st.integers(-999, 999)) / 10, tolerance=draw(st.sampled_from([0.0, 0.5])))]
        else:
            n = draw(st.integers(2, 4))
            part["options"] = [Option(id="abcd"[i], text=draw(cloze_text), correct=i == 0) for i in range(n)]
            part["display"] = draw(st.sampled_from(["dropdown", "vertical", "horizontal"]))
            part["shuffle"] = draw(st.booleans())
        parts.append(ClozePart(**part))
    return parts


@st.composite
def questions(draw, qid, kinds=tuple(KINDS)):
    kind = draw(st.sampled_from(kinds))
    data = {"id": qid, "type": kind, "stem": draw(text), "points": draw(points),
            "explanation": draw(st.one_of(st.just(""), text)), "topic": draw(st.one_of(st.just(""), text))}
    if kind in ("single", "multiple"):
        n = draw(st.integers(2, 6))
        texts = draw(st.lists(text, min_size=n, max_size=n))
        right = draw(st.sets(st.integers(0, n - 1), min_size=1, max_size=1 if kind == "single" else n))
        data["options"] = [Option(id="ABCDEFGH"[i], text=t, correct=i in right) for i, t in enumerate(texts)]
        if draw(st.booleans()):  # per-option feedback and Moodle weights, kept by every format
            for option in data["options"]:
                option.feedback = draw(st.one_of(st.just(""), text))
            if kind == "multiple":
                right = [o for o in data["options"] if o.correct]
                for option in data["options"]:
                    option.fraction = {1: 1.0, 2: 0.5, 3: 0.3333333, 4: 0.25}.get(len(right), None) if option.correct else draw(st.sampled_from([0.0, -1.0, -0.5]))
                if any(o.fraction is None for o in data["options"]):
                    for option in data["options"]:
                        option.fraction = None
    elif kind == "truefalse":
        data["answer"] = draw(st.booleans())
        data["feedback_true"], data["feedback_false"] = draw(st.one_of(st.just(""), text)), draw(st.one_of(st.just(""), text))
    elif kind == "fill":
        if draw(st.booleans()):
            data["blanks"] = [draw(st.lists(text, min_size=1, max_size=3))]
        else:  # partial credit and feedback per answer
            data["blanks"] = [[Alternative(text=draw(text), feedback=draw(st.one_of(st.just(""), text)))]
                              + [Alternative(text=draw(text), fraction=draw(weights), feedback=draw(st.one_of(st.just(""), text))) for _ in range(draw(st.integers(0, 2)))]]
    elif kind == "cloze":
        data["parts"] = draw(cloze_parts())
        data["stem"] = data["stem"] + " " + " ".join("{{" + p.id + "}}" + draw(text) for p in data["parts"])
        data["points"] = sum(p.points for p in data["parts"])
    elif kind == "description":
        data.pop("points")
    elif kind == "numeric" and draw(st.integers(0, 3)) == 0:  # several answers, weights, feedback
        data["numeric_answers"] = [NumericAnswer(value=draw(st.integers(-1000, 1000)) / 100, tolerance=draw(st.sampled_from([0.0, 0.05])), feedback=draw(st.one_of(st.just(""), text))),
                                   NumericAnswer(range=(1.5, 2.5), fraction=draw(weights))]
    elif kind == "numeric":
        if draw(st.booleans()):
            low = draw(st.integers(-1000, 1000))
            data["range"] = (float(low), float(low + draw(st.integers(0, 50))))
        else:
            data["value"] = draw(st.integers(-10**6, 10**6)) / 100
            data["tolerance"] = draw(st.sampled_from([0.0, 0.05, 1.0]))
    elif kind == "matching":
        n = draw(st.integers(2, 4))
        data["pairs"] = [MatchPair(id="ABCD"[i], left=draw(text), right=draw(text)) for i in range(n)]
        data["distractors"] = draw(st.lists(text, max_size=2))
    return Question(**data)


@st.composite
def banks(draw, kinds=tuple(KINDS)):
    chosen = draw(st.lists(ids, min_size=1, max_size=6, unique=True))
    return [draw(questions(qid, kinds)) for qid in chosen]


def _weight(q: Question, o: Option) -> float | None:
    """An option's weight; a multiple choice without weights means ±1/(number right), as Moodle writes it."""
    if o.fraction is not None or q.type == "single":
        return o.fraction
    share = snap_fraction(round(1 / len(q.correct_ids), 7))
    return share if o.correct else -share


def meaning(q: Question, fmt: str) -> tuple:
    """What a question says, independent of how a format names options or stores weights."""
    if q.type in ("single", "multiple"):
        key: object = [(o.text, o.correct, o.feedback, _weight(q, o)) for o in q.options]
    elif q.type == "numeric" and q.numeric_answers:
        key = [(a.value, a.tolerance, a.range, a.fraction, a.feedback) for a in q.numeric_answers]
    elif q.type == "numeric":
        low, high = q.range if q.range else (q.value - q.tolerance, q.value + q.tolerance)
        key = (round(low, 6), round(high, 6))
    elif q.type == "truefalse":
        key = (q.answer, q.feedback_true, q.feedback_false)
    elif q.type == "cloze":
        key = [p.model_dump() for p in q.parts]
    elif q.type == "fill":  # a plain string is an alternative worth 100% without feedback
        key = [[(a, 1.0, "") if isinstance(a, str) else (a.text, a.fraction, a.feedback) for a in alts] for alts in q.blanks]
    elif q.type == "matching":
        key = (sorted((p.left, p.right) for p in q.pairs), sorted(q.distractors))
    else:
        key = (q.answer, q.blanks)
    return (q.id, q.type, q.stem, key, q.explanation, q.topic, q.points)


def roundtrip(bank: list[Question], fmt: str) -> list[Question]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"bank{FORMATS[fmt]}"
        write_bank(bank, path, fmt)
        result = parse_bank(path)
    assert result.problems == [], result.problems
    return result.questions


@pytest.mark.parametrize("fmt", ["yaml", "csv", "gift", "moodle", "xlsx"])
def test_import_export_import_is_stable(fmt):
    kinds = tuple(k for k in KINDS if not (fmt == "gift" and k == "cloze"))  # GIFT has no cloze (refused, tested below)

    @settings(max_examples=int(os.environ.get("PQ_EXAMPLES", 12 if fmt == "xlsx" else 40)), deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(banks(kinds))
    def check(bank):
        first = roundtrip(bank, fmt)
        assert [meaning(q, fmt) for q in first] == [meaning(q, fmt) for q in bank]
        assert roundtrip(first, fmt) == first

    check()


def test_yaml_is_lossless_for_every_field():
    q = Question(id="w", type="multiple", stem="s", points=2, difficulty="难", source="seed 004",
                 options=[Option(id="x", text="a", correct=True, fraction=0.5, feedback="fb"),
                          Option(id="y", text="b", correct=True, fraction=0.5), Option(id="z", text="c", fraction=-1)])
    assert roundtrip([q], "yaml") == [q]


@pytest.mark.parametrize("fmt", ["gift", "moodle"])
def test_weights_and_feedback_survive_gift_and_moodle(fmt):
    q = Question(id="w", type="multiple", stem="s", options=[
        Option(id="a", text="甲", correct=True, fraction=0.5, feedback="对"),
        Option(id="b", text="乙", correct=True, fraction=0.5), Option(id="c", text="丙", fraction=-1.0, feedback="错")])
    (back,) = roundtrip([q], fmt)
    assert back == q


@pytest.mark.parametrize("fmt", ["gift", "moodle"])
def test_formats_refuse_what_they_cannot_hold(fmt, tmp_path):
    from partyquiz.errors import InputError

    q = Question(id="two-blanks", type="fill", stem="党员是党的__和__", blanks=[["细胞"], ["血液"]])
    with pytest.raises(InputError) as exc:
        write_bank([q], tmp_path / f"out{FORMATS[fmt]}", fmt)
    assert "two-blanks" in str(exc.value) and not (tmp_path / f"out{FORMATS[fmt]}").exists()


def test_shipped_banks_roundtrip_through_every_format():
    root = Path(__file__).parents[1] / "courses"
    for bank_file in sorted(root.glob("*/banks/*")):
        bank = parse_bank(bank_file).questions
        for fmt in FORMATS:
            single_blank = [q for q in bank if not (fmt in ("gift", "moodle") and q.type == "fill" and len(q.blanks) > 1)]
            first = roundtrip(single_blank, fmt)
            assert roundtrip(first, fmt) == first, (bank_file, fmt)
