"""The new kinds scored by hand: cloze, description, weighted blanks, several numeric answers,
true/false feedback. Each expected score below is worked out in the comment beside it."""
from __future__ import annotations

import pytest

from partyquiz.i18n import set_language
from partyquiz.model import Alternative, ClozePart, NumericAnswer, Option, Question, Quiz, QuizKey, Section
from partyquiz.qtypes import registry
from partyquiz.scoring import auto_max, grade_quiz, score_question


def cloze(points: float = 3.0, weights: tuple[float, float, float] = (1, 1, 1)) -> Question:
    return Question(
        id="cz", type="cloze", points=points,
        stem="支委会一般每{{pinci}}召开一次；党课每年至少{{cishu}}次；“一课”是指{{ke}}。",
        parts=[
            ClozePart(id="pinci", kind="shortanswer", points=weights[0],
                      alternatives=[Alternative(text="月", feedback="对"), Alternative(text="个月", fraction=0.5, feedback="说“月”即可"),
                                    Alternative(text="季度", fraction=0.0, feedback="那是党员大会")]),
            ClozePart(id="cishu", kind="numerical", points=weights[1],
                      numeric_answers=[NumericAnswer(value=2, feedback="对"), NumericAnswer(value=1, fraction=0.5, feedback="应为两次")]),
            ClozePart(id="ke", kind="multichoice", points=weights[2],
                      options=[Option(id="dangke", text="党课", correct=True), Option(id="tuanke", text="团课", fraction=-0.5),
                               Option(id="yewu", text="业务课", fraction=0.25, feedback="不是业务课")]),
        ])


@pytest.mark.parametrize("value, expected", [
    ({"pinci": "月", "cishu": "2", "ke": "dangke"}, 3.0),          # 3 × (1 + 1 + 1) / 3
    ({"pinci": "季度", "cishu": "1", "ke": "dangke"}, 1.5),        # 3 × (0 + 0.5 + 1) / 3
    ({"pinci": "个月", "cishu": "２", "ke": "yewu"}, 1.75),        # 3 × (0.5 + 1 + 0.25) / 3; full-width ２ is 2
    ({"pinci": " 月 "}, 1.0),                                      # 3 × (1 + 0 + 0) / 3; spaces trimmed
    ({"ke": "tuanke"}, 0.0),                                       # a negative weight costs nothing beyond the part
    ({"pinci": "年", "cishu": "三", "ke": "nope"}, 0.0),           # nothing matches; unknown option id
    ({}, 0.0),
    (["月", "2"], 0.0),                                             # not the cloze answer shape
])
def test_cloze_weighted_parts(value, expected):
    assert score_question(cloze(), value, "strict") == expected


def test_cloze_part_weights_and_all_or_nothing():
    q = cloze(points=6, weights=(2, 1, 1))
    assert score_question(q, {"pinci": "月"}, "strict") == 3.0          # 6 × 2 / 4
    assert score_question(q, {"cishu": "1", "ke": "dangke"}, "partial") == 2.25  # 6 × (0.5 + 1) / 4
    assert score_question(q, {"pinci": "月", "cishu": "2", "ke": "yewu"}, "all_or_nothing") == 0.0
    assert score_question(q, {"pinci": "月", "cishu": "2", "ke": "dangke"}, "all_or_nothing") == 6.0


def test_cloze_feedback_and_texts_in_chinese():
    q, kind = cloze(), registry.get("cloze")
    value = {"pinci": "季度", "cishu": "1", "ke": "yewu"}
    assert kind.answer_feedback(q, value) == ["那是党员大会", "应为两次", "不是业务课"]
    assert kind.answer_text(q, value, "zh-CN") == "第 1 空：季度；第 2 空：1；第 3 空：业务课"
    english = kind.answer_text(q, {"ke": "dangke"}, "en")
    assert english.startswith("Blank 1") and english.endswith("Blank 3：党课")
    assert kind.key_text(q, "zh-CN") == "第 1 空：月；第 2 空：2；第 3 空：党课"


def test_cloze_markers_must_match_the_parts():
    two_parts_one_marker = dict(id="bad", type="cloze", stem="只有{{a}}", parts=[
        ClozePart(id="a", kind="shortanswer", alternatives=[Alternative(text="甲")]),
        ClozePart(id="b", kind="shortanswer", alternatives=[Alternative(text="乙")])])
    with pytest.raises(ValueError, match="bad：题干中 {{b}} 应恰好出现一次"):  # Chinese by default
        Question(**two_parts_one_marker)
    set_language("en")  # the message comes from the catalog: --lang en switches it
    with pytest.raises(ValueError, match="bad: the marker {{b}} must appear exactly once"):
        Question(**two_parts_one_marker)
    with pytest.raises(ValueError, match="undefined parts: c"):
        Question(id="bad", type="cloze", stem="{{a}} 和 {{c}}", parts=[
            ClozePart(id="a", kind="shortanswer", alternatives=[Alternative(text="甲")])])
    with pytest.raises(ValueError, match="100%"):
        Question(id="bad", type="cloze", stem="{{a}}", parts=[
            ClozePart(id="a", kind="shortanswer", alternatives=[Alternative(text="甲", fraction=0.5)])])
    with pytest.raises(ValueError, match="100%"):
        Question(id="bad", type="cloze", stem="{{a}}", parts=[
            ClozePart(id="a", kind="multichoice", options=[Option(id="x", text="甲", fraction=0.5), Option(id="y", text="乙")])])


def test_fill_alternatives_with_weights():
    q = Question(id="f", type="fill", points=2, stem="支委会每 ____ 召开一次，党课每 ____ 一次。",
                 blanks=[["月", Alternative(text="个月", feedback="说“月”即可")],
                         [Alternative(text="半年"), Alternative(text="季度", fraction=0.5, feedback="党课每半年一次")]])
    assert score_question(q, ["月", "季度"], "strict") == 1.5            # 2 × (1 + 0.5) / 2
    assert score_question(q, ["个月", "半年"], "strict") == 2.0          # a plain string and a 100% alternative
    assert score_question(q, ["月", "季度"], "all_or_nothing") == 0.0    # every blank must be at 100%
    assert score_question(q, ["", "半年"], "partial") == 1.0             # 2 × (0 + 1) / 2
    kind = q.kind
    assert kind.answer_feedback(q, ["个月", "季度"]) == ["说“月”即可", "党课每半年一次"]
    assert kind.key_text(q, "zh-CN") == "月 / 个月 | 半年"
    with pytest.raises(ValueError, match="满分"):
        Question(id="f2", type="fill", stem="s", blanks=[[Alternative(text="甲", fraction=0.5)]])


def test_numeric_several_answers_first_match_counts():
    q = Question(id="n", type="numeric", points=4, stem="党员每年集中学习培训不少于多少学时？", value=32,
                 numeric_answers=[NumericAnswer(range=(24, 31), fraction=0.5, feedback="不少于 32 学时"),
                                  NumericAnswer(value=28, fraction=1.0, feedback="never reached: the range above matches first")])
    assert score_question(q, "32", "strict") == 4.0
    assert score_question(q, "３２", "strict") == 4.0          # full-width digits
    assert score_question(q, "28", "strict") == 2.0           # 4 × 0.5: the range is tried before 28
    assert score_question(q, 31.0, "strict") == 2.0           # range ends are inside
    assert score_question(q, "40", "strict") == 0.0
    assert q.kind.answer_feedback(q, "25") == ["不少于 32 学时"]
    assert q.kind.key_text(q, "zh-CN") == "32 / 28"
    only_answers = Question(id="n2", type="numeric", stem="圆周率（两位小数）", numeric_answers=[
        NumericAnswer(value=3.14, tolerance=0.005), NumericAnswer(value=3.1, fraction=0.5)])
    assert score_question(only_answers, "3.14", "strict") == 1.0
    assert score_question(only_answers, "3.1", "strict") == 0.5
    assert only_answers.kind.right_answer(only_answers) == 3.14
    with pytest.raises(ValueError, match="满分"):
        Question(id="n3", type="numeric", stem="s", numeric_answers=[NumericAnswer(value=1, fraction=0.5)])


def test_true_false_feedback_for_both_verdicts():
    q = Question(id="tf", type="truefalse", stem="“三会一课”是基本制度。", answer=True, feedback_true="对", feedback_false="错了：是基本制度")
    assert q.kind.answer_feedback(q, True) == ["对"]
    assert q.kind.answer_feedback(q, False) == ["错了：是基本制度"]
    assert score_question(q, False, "strict") == 0.0 and score_question(q, True, "strict") == 1.0


def test_description_is_never_scored_and_not_in_the_maximum():
    text = Question(id="d", type="description", stem="以下三题围绕“三会一课”。", points=5)
    assert text.points == 0.0                      # whatever the bank says
    single = Question(id="s", type="single", stem="党课多久一次？", points=2,
                      options=[Option(id="a", text="每半年", correct=True), Option(id="b", text="每年")])
    quiz = Quiz(id="q", rule="strict", shuffle_questions=False,
                sections=[Section(pool=["d"]), Section(pool=["s"], points=2)])
    key = QuizKey(course_id="c", assignment="c-l1", notebook="l1", quiz=quiz, questions={"d": text, "s": single})
    assert auto_max(key) == 2.0 and key.max_score == 2.0
    from partyquiz.model import Answer, now_iso

    result = grade_quiz(key, "u1", {"d": Answer(value="随便写", saved_at=now_iso()), "s": Answer(value=["a"], saved_at=now_iso())})
    assert result.drawn == ["d", "s"]                                 # shown in the draw …
    assert [s.question_id for s in result.scores] == ["s"]            # … but holds no score
    assert result.score == 2.0 and result.max_score == 2.0
    assert score_question(text, "随便写", "strict") == 0.0


def _course_with(tmp_path, quiz_yaml: str):
    from partyquiz.authoring import load_course

    folder = tmp_path / "c"
    (folder / "lessons").mkdir(parents=True)
    (folder / "banks").mkdir()
    (folder / "lessons" / "l1.md").write_text("# 第一课\n", encoding="utf-8")
    (folder / "banks" / "b.yml").write_text(
        "questions:\n"
        "  - {id: d1, type: description, stem: 说明文字}\n"
        "  - {id: t1, type: truefalse, stem: 判断一, answer: true}\n"
        "  - {id: t2, type: truefalse, stem: 判断二, answer: false}\n", encoding="utf-8")
    (folder / "course.yml").write_text(
        "id: c\ntitle: 课程\nyear: 2026\nbanks: [banks/b.yml]\nlessons:\n"
        "  - id: l1\n    title: 第一课\n    file: lessons/l1.md\n    hours: 1\n"
        "    quiz:\n      id: q1\n" + quiz_yaml, encoding="utf-8")
    return lambda: load_course(folder)


def test_description_in_a_drawn_or_shuffled_pool_is_refused(tmp_path):
    from partyquiz.errors import InputError

    with pytest.raises(InputError, match="抽题的题目池不能含说明文字"):  # authoring catalog, zh-CN
        _course_with(tmp_path / "a", "      sections:\n        - {pool: [d1, t1, t2], draw: 2}\n")()
    with pytest.raises(InputError, match="说明文字请单独放在一节"):
        _course_with(tmp_path / "b", "      sections:\n        - {pool: [d1, t1, t2]}\n")()
    # in its own section, or in a quiz that keeps the authored order, it stands where it was put
    course = _course_with(tmp_path / "c", "      sections:\n        - {pool: [d1]}\n        - {pool: [t1, t2], draw: 1}\n")()
    assert course.questions["d1"].points == 0.0
    _course_with(tmp_path / "d", "      shuffle_questions: false\n      sections:\n        - {pool: [d1, t1, t2]}\n")()


def test_old_banks_still_load_unchanged():
    old = {"id": "f", "type": "fill", "stem": "党员是党的____", "blanks": [["细胞", "基本细胞"]]}
    q = Question.model_validate(old)
    assert q.model_dump(mode="json", exclude_defaults=True) == old
    assert score_question(q, ["基本细胞"], "strict") == 1.0


def test_single_with_several_right_options_simulates_both_verdicts():
    import random

    # Moodle allows several right options in a single choice; any one alone is full marks.
    two_right = Question(id="s2", type="single", stem="党课多久一次？", options=[
        Option(id="a", text="每季度", correct=True), Option(id="b", text="每三个月", correct=True), Option(id="c", text="每年")])
    right = two_right.kind.right_answer(two_right)
    assert right == ["a"]                                              # one pick, as a learner can give
    assert score_question(two_right, right, "strict") == 1.0
    assert score_question(two_right, right, "fraction") == 1.0         # weight of a right option is 1
    # every option right: the only wrong answer left is two picks, which a single choice scores 0
    all_right = Question(id="s3", type="single", stem="s", options=[
        Option(id="a", text="甲", correct=True), Option(id="b", text="乙", correct=True)])
    wrong = all_right.kind.wrong_answer(all_right, random.Random(1))
    assert wrong == ["a", "b"]
    assert score_question(all_right, wrong, "strict") == 0.0 and score_question(all_right, wrong, "fraction") == 0.0
