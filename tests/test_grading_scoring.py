"""The scoring rules of partyquiz.scoring: each rule on its own, then properties for any input."""
from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from partyquiz.model import MatchPair, Option, Question
from partyquiz.scoring import score_question

RULES = ["all_or_nothing", "strict", "partial", "fraction"]


def multiple(**kw) -> Question:
    return Question(id="m", type="multiple", stem="选出正确的", points=4, options=[
        Option(id="a", text="A", correct=True), Option(id="b", text="B", correct=True),
        Option(id="c", text="C"), Option(id="d", text="D")], **kw)


def test_strict_multiple_choice_any_wrong_or_missing_pick_scores_zero():
    q = multiple()
    assert score_question(q, ["a", "b"], "strict") == 4.0
    assert score_question(q, ["a"], "strict") == 0.0
    assert score_question(q, ["a", "b", "c"], "strict") == 0.0


def test_partial_credit_right_picks_earn_wrong_picks_cost_floor_zero():
    q = multiple()
    assert score_question(q, ["a"], "partial") == 2.0
    assert score_question(q, ["a", "c"], "partial") == 0.0
    assert score_question(q, ["c", "d"], "partial") == 0.0
    assert score_question(q, ["b", "a"], "partial") == 4.0


def test_moodle_fractions_sum_and_clamp():
    q = Question(id="f", type="multiple", stem="s", points=2, options=[
        Option(id="a", text="A", correct=True, fraction=0.5), Option(id="b", text="B", correct=True, fraction=0.5),
        Option(id="c", text="C", fraction=-1.0)])
    assert score_question(q, ["a"], "fraction") == 1.0
    assert score_question(q, ["a", "b"], "fraction") == 2.0
    assert score_question(q, ["a", "c"], "fraction") == 0.0


def test_all_or_nothing_fill_needs_every_blank_strict_gives_share():
    q = Question(id="b", type="fill", stem="__ 和 __", points=2, blanks=[["三会一课"], ["主题党日", "主题党日活动"]])
    assert score_question(q, ["三会一课", "主题党日活动"], "all_or_nothing") == 2.0
    assert score_question(q, ["三会一课", "错"], "all_or_nothing") == 0.0
    assert score_question(q, ["三会一课", "错"], "strict") == 1.0
    assert score_question(q, ["  三会一课 ", "ＸＸ"], "strict") == 1.0  # spaces and full-width forms are normalised


def test_single_choice_two_picks_score_zero():
    q = Question(id="s", type="single", stem="s", options=[Option(id="a", text="A", correct=True), Option(id="b", text="B")])
    for rule in RULES:
        assert score_question(q, ["a", "b"], rule) == 0.0
        assert score_question(q, ["a"], rule) == 1.0


QUESTIONS = [
    multiple(),
    Question(id="s", type="single", stem="s", points=2, options=[Option(id="a", text="A", correct=True), Option(id="b", text="B", fraction=0.5)]),
    Question(id="t", type="truefalse", stem="s", answer=True, points=1),
    Question(id="f", type="fill", stem="s", blanks=[["x"], ["y", "z"]], points=3),
    Question(id="n", type="numeric", stem="s", value=3.14, tolerance=0.01, points=2),
    Question(id="r", type="matching", stem="s", pairs=[MatchPair(id="p", left="L", right="R"), MatchPair(id="q", left="M", right="S")], points=2),
    Question(id="e", type="essay", stem="s", points=5),
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=8)
    | st.sampled_from(["a", "b", "c", "d", "x", "y", "R", "S", "3.14"]),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.sampled_from(["p", "q", "zz"]), children, max_size=3),
    max_leaves=10,
)


@settings(max_examples=400, deadline=None)
@given(question=st.sampled_from(QUESTIONS), value=json_values, rule=st.sampled_from(RULES),
       points=st.one_of(st.none(), st.floats(min_value=0.25, max_value=50)))
def test_any_answer_scores_a_plain_float_within_points(question, value, rule, points):
    score = score_question(question, value, rule, points)
    limit = question.points if points is None else points
    assert type(score) is float
    assert not math.isnan(score)
    assert 0.0 <= score <= limit + 1e-9


@settings(max_examples=200, deadline=None)
@given(picks=st.lists(st.sampled_from(["a", "b", "c", "d"]), unique=True), rule=st.sampled_from(RULES))
def test_adding_a_wrong_pick_never_raises_a_choice_score(picks, rule):
    q = multiple()
    base = score_question(q, picks, rule)
    for wrong in ("c", "d"):
        if wrong not in picks:
            assert score_question(q, [*picks, wrong], rule) <= base


@pytest.mark.parametrize("rule", RULES)
def test_right_answer_full_points_and_blank_zero_under_every_rule(rule):
    q = multiple()
    assert score_question(q, ["a", "b"], rule) == 4.0
    assert score_question(q, [], rule) == 0.0
    assert score_question(q, None, rule) == 0.0
