"""grader/rules.yml: the shipped numbers, the category mapping, and clear errors for a bad file."""
from __future__ import annotations

import pytest

from partyquiz.errors import InputError
from partyquiz.model import Learner, Lesson
from partyquiz.records.rules import DEFAULT_RULES, load_rules


def test_shipped_requirements():
    rules = load_rules()
    need = {name: (r.hours, r.period_years, r.once) for name, r in rules.requirements.items()}
    assert need["党员"] == (32, 1, False) and need["书记和班子成员"] == (56, 1, False)
    assert need["乡科级及以下干部"] == (90, 1, False) and need["县处级及以上干部"] == (550, 5, False)
    assert need["发展对象"][0] == 24 and need["发展对象"][2] is True


def test_cadres_map_by_rank():
    rules = load_rules()
    cadre = Learner(id="x", name="甲", category="干部", rank="乡科级副职")
    senior = cadre.model_copy(update={"rank": "县处级正职"})
    assert rules.requirement_for(cadre).name == "乡科级及以下干部"
    assert rules.requirement_for(senior).name == "县处级及以上干部"


def test_duration_tiers():
    rules = load_rules()
    rules.method = "tiers"
    hours = [rules.lesson_hours(Lesson(id="l", title="t", file="f", hours=2, minutes=m), passed=True) for m in (45, 30, 20, 10)]
    assert hours == [1.5, 1.5, 1.0, 0.75]  # ≥30 = 1, 15–30 = 0.5, ≤15 = 0.25, +0.5 for passing
    rules.require_pass = False
    assert rules.lesson_hours(Lesson(id="l", title="t", file="f", hours=2, minutes=10), passed=False) == 0.25


@pytest.mark.parametrize("change, words", [
    (("method: lesson_hours", "method: per_click"), "online.method"),
    (("timezone: Asia/Shanghai", "timezone: Mars/Olympus"), "Mars/Olympus"),
    (("start_month: 1", "start_month: 13"), "start_month"),
])
def test_bad_rules_name_the_file_and_field(tmp_path, change, words):
    bad = tmp_path / "rules.yml"
    bad.write_text(DEFAULT_RULES.read_text(encoding="utf-8").replace(*change), encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_rules(bad)
    assert str(bad) in str(err.value) and words in str(err.value)
