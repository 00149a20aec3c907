"""Moodle's item statistics against values worked out by hand on a four-attempt quiz.

Attempts (q1 max 1, q2 max 1, q3 max 2):  A1 = 1,1,2 (X=4)  A2 = 1,0,1 (X=2)  A3 = 0,1,0 (X=1)  A4 = 0,0,1 (X=1)
q1: x = 1,1,0,0; R = X−x = 3,1,1,1; var x = 1/3, var R = 1, cov = 1/3 → DI = 100/√3 = 57.74;
    sorted x 0,0,1,1 and sorted R 1,1,1,3 give covmax = 1/3 → DE = 100; facility 50.
q2: x = 1,0,1,0; R = 3,2,0,1; cov = 0 → DI = 0, DE = 0 (covmax = 2/3): flagged.
q3: x = 2,1,0,1; R = 2,1,1,0; var x = var R = 2/3, cov = 1/3 → DI = 50; covmax = 2/3 → DE = 50; facility 50.
Test: X = 4,2,1,1; mean 2; var X = 2; Σ var xᵢ = 4/3; p = 3 → CIC = 100·3/2·(1 − 2/3) = 50;
      error ratio = 100·√0.5 = 70.71; standard error = 70.71·√2/100 = 1.00.
"""
from __future__ import annotations

import pytest

from partyquiz.report.stats import choice_counts, item_stats, quiz_stats

A = [
    {"q1": (1, 1), "q2": (1, 1), "q3": (2, 2)},
    {"q1": (1, 1), "q2": (0, 1), "q3": (1, 2)},
    {"q1": (0, 1), "q2": (1, 1), "q3": (0, 2)},
    {"q1": (0, 1), "q2": (0, 1), "q3": (1, 2)},
]


def test_question_statistics_match_hand_values():
    q1, q2, q3 = (item_stats(q, A) for q in ("q1", "q2", "q3"))
    assert (q1.facility, q1.discrimination_index, q1.discriminative_efficiency) == (50.0, pytest.approx(57.74), 100.0)
    assert (q2.discrimination_index, q2.discriminative_efficiency, q2.low_discrimination) == (0.0, 0.0, True)
    assert (q3.facility, q3.discrimination_index, q3.discriminative_efficiency, q3.low_discrimination) == (50.0, 50.0, 50.0, False)
    assert q1.sd == pytest.approx(57.74)  # √(1/3) of a max of 1, in percent


def test_test_statistics_match_hand_values():
    t = quiz_stats(A)
    assert (t.attempts, t.questions, t.mean, t.sd) == (4, 3, 2.0, pytest.approx(1.41))
    assert (t.cic, t.error_ratio, t.standard_error) == (50.0, pytest.approx(70.71), pytest.approx(1.0))


def test_undefined_statistics_are_none_not_nan():
    one = [{"q1": (1, 1), "q2": (0, 1)}]
    assert item_stats("q1", one).discrimination_index is None
    assert quiz_stats(one).cic is None
    same = [{"q1": (1, 1), "q2": (1, 1)}, {"q1": (1, 1), "q2": (0, 1)}]
    assert item_stats("q1", same).discrimination_index is None  # nobody differs on q1


def test_option_counts_count_each_pick_and_blanks():
    counts, blank = choice_counts([["A"], ["A", "C"], None, [], True, False, True])
    assert counts == {"A": 2, "C": 1, "对": 2, "错": 1} and blank == 2
