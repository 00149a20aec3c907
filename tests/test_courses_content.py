"""The course fixes of issue 15, scored by the shared scoring rules: what a learner types or picks
earns what the source material says it should."""
from __future__ import annotations

from pathlib import Path

import pytest

from partyquiz.authoring import load_course
from partyquiz.records.rules import DEFAULT_RULES, load_rules
from partyquiz.scoring import score_question

COURSES = Path(__file__).resolve().parents[1] / "courses"


@pytest.fixture(scope="module")
def questions():
    out = {}
    for name in ("changxiao-jizhi", "xuexixing-zhibu", "yuancheng-jiaoyu", "jiaoyu-guanli"):
        out.update(load_course(COURSES / name).questions)
    return out


@pytest.mark.parametrize("typed", ["入党日", "入党日期", "入党时间", "入党纪念日"])
def test_political_birthday_accepts_every_usual_wording(questions, typed):
    assert score_question(questions["jz-zhengzhi-shengri"], [typed], "strict", 2) == 2


def test_yichang_150_thousand_is_150_not_140(questions):
    q = questions["xx-yichang"]  # 材料：受益群众 150 多万人
    assert score_question(q, 150, "strict", 2) == 2
    assert score_question(q, 140, "strict", 2) == 0


def test_branch_meeting_says_generally_once_a_quarter(questions):
    q = questions["jz-dahui-cishu"]
    assert "一般每季度" in q.stem and "一年至少" not in q.stem and score_question(q, 4, "strict", 2) == 2


def test_dues_explanation_allows_reduction_with_approval(questions):
    option = next(o for o in questions["jz-guanhuai"].options if "党费" in o.text)
    assert "少交或免交" in option.feedback and "批准" in option.feedback


def test_trivial_items_now_have_real_distractors(questions):
    zai = questions["xx-zaixuexi"]  # no more "创新、创新、再____"
    assert zai.type == "single" and len(zai.options) == 4 and "再____" not in zai.stem
    zt = questions["yc-zhuantipian"]  # the distractors are the material's other pairs, reversed
    assert [o.text for o in zt.options if o.correct] == ["从“连续剧”到“专题片”"] and len(zt.options) == 4
    jl = questions["yc-jilin"]
    assert jl.type == "multiple" and {o.text for o in jl.options if o.correct} == {"干部论坛", "社科讲座", "城市图书馆联盟"}
    assert score_question(jl, [o.id for o in jl.options if o.correct], "fraction", 1) == 1
    assert score_question(jl, [o.id for o in jl.options if "扩大" in o.text], "fraction", 1) == 0


def test_demo_course_is_credited_once_beside_the_full_course():
    rules = load_rules(DEFAULT_RULES)
    assert frozenset({("changxiao-jizhi", "l2"), ("jiaoyu-guanli", "l1")}) in rules.same_material
    demo = load_course(COURSES / "jiaoyu-guanli")
    # an online lesson of 45 minutes: 0.75 学时 at most (1 hour = 1 学时), credited from the study time
    assert (demo.form, demo.lessons[0].hours, demo.lessons[0].minutes) == ("在线", 0.75, 45)
    assert rules.kind_of(demo.form) == "在线自学" and rules.lesson_hours(demo.lessons[0], True, form=demo.form, studied_minutes=30) == 0.5
