"""Moodle's import rules the issue-14 audit found missing, on fixtures written for this project.

tests/fixtures/banks/gift-moodle-rules.gift and moodle-rules.xml hold one rule per question
(Chinese content, each tool's conventions); every expectation below is worked out by hand from
Moodle's importers (question/format/gift/format.php, question/format/xml/format.php) and its
short-answer wildcard (qtype_shortanswer::compare_string_with_wildcard).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from partyquiz import i18n
from partyquiz.banks import FORMATS, parse_bank, write_bank
from partyquiz.banks.gift import parse_text
from partyquiz.banks.moodle_xml import parse_bytes
from partyquiz.errors import InputError
from partyquiz.model import Answer, Question, Quiz, QuizKey, Section, now_iso
from partyquiz.qtypes import registry
from partyquiz.scoring import grade_quiz, score_question

from helpers_banks import english_messages  # noqa: F401  (autouse: messages in English)

FIX = Path(__file__).parent / "fixtures" / "banks"


@pytest.fixture
def gift():
    i18n.set_language("en")
    return parse_bank(FIX / "gift-moodle-rules.gift")


@pytest.fixture
def xml():
    i18n.set_language("en")
    return parse_bank(FIX / "moodle-rules.xml")


def by_id(result):
    return {q.id: q for q in result.questions}


# --- GIFT ---------------------------------------------------------------------------------------

def test_gift_refusals_name_their_lines(gift):
    problems = {p.line: p.message for p in gift.problems}
    assert sorted(problems) == [28, 31, 34]
    assert "1e400" in problems[28] and "finite" in problems[28]  # inf: everybody, or nobody, right
    assert "not blank" in problems[31]  # {=}: no answer at all
    assert "two answers" in problems[34]  # {~=甲#}: the blank one skipped, one left


def test_gift_wildcard_short_answer_scores_as_moodle(gift):
    q = by_id(gift)["g-wild"]
    assert [(a.text, a.fraction) for a in q.blanks[0]] == [("递交入党申请书", 1.0), ("*申请*", 0.5), ("*", 0.0)]
    # the first matching answer counts; * matches any text (none too), so a wrong answer gets its feedback
    assert score_question(q, ["递交入党申请书"], "partial") == 1.0
    assert score_question(q, ["写入党申请"], "partial") == 0.5
    assert score_question(q, ["参加党课"], "partial") == 0.0
    assert q.kind.answer_feedback(q, ["参加党课"]) == ["再想想：第一步是递交入党申请书。"]
    assert q.kind.answer_feedback(q, ["写入党申请"]) == ["方向对，请说完整。"]


def test_gift_html_breaks_files_and_several_right_answers(gift):
    q = by_id(gift)
    assert q["g-br"].stem == "支部委员会每月召开一次。" and [o.text for o in q["g-br"].options] == ["正确", "错误"]
    assert q["g-br"].options[0].feedback == "对" and q["g-br"].options[1].feedback == ""
    assert q["g-file"].stem == "下图是党徽。党徽" and "@@PLUGINFILE@@" not in q["g-file"].stem
    (warning,) = [w for w in gift.warnings if w.line == 17]
    assert "dang-hui.png" in warning.message and "GIFT carries no files" in warning.message
    any_one = q["g-any-one"]
    assert any_one.type == "single" and any_one.correct_ids == ["a", "b", "c"]
    for right in ("a", "b", "c"):  # any one of the 100% answers is full marks, under every rule
        assert all(score_question(any_one, [right], rule) == 1.0 for rule in ("strict", "partial", "all_or_nothing", "fraction"))
    assert score_question(any_one, ["d"], "strict") == 0.0 and score_question(any_one, ["a", "b"], "strict") == 0.0


def test_gift_repeated_names_ids_tags_indentation_and_comments(gift):
    q = by_id(gift)
    assert (q["g-same"].answer, q["gift-moodle-rules-006"].answer, q["gift-moodle-rules-006"].title) == (True, False, "g-same")
    assert any(w.line == 25 and "'g-same'" in w.message for w in gift.warnings)
    escaped = q["g-escaped"]
    assert escaped.tags == ["二十大]精神", "学习"] and escaped.title == "转义的标签"
    assert q["g-markdown"].stem == "党员的权利  \n- 参加党的有关会议\n    - 阅读党的有关文件\n- 参加党的讨论"
    assert q["g-pre"].stem == '下面的程序输出什么？\n\n```\ndef 党课():\n    print("每半年一次")\n```'
    comment = q["g-comment"]
    assert (comment.type, comment.answer, comment.stem) == ("truefalse", False, "党课每季度一次。")
    assert any(w.line == 54 and "//" in w.message for w in gift.warnings)


@pytest.mark.parametrize(("source", "comment_tags", "comment_id"), [
    ("// [tag:  基础] 这是\n// 一道[id:   四   ]题[tag:补充   ]。\n::m:: 题？{}", ["基础", "补充"], ""),  # 四 is no ASCII id
    ("// 这不是 [tag:\n// \\ 青蛙].\n::m:: 题？{}", [], ""),  # no control character inside a tag
    ("// [id:id-1] [id:id-2]\n::m:: 题？{}", [], "id-2"),
])
def test_gift_id_and_tag_comments_as_moodle_extracts_them(source, comment_tags, comment_id):
    (q,) = parse_text(source, "t.gift").questions
    assert q.tags == comment_tags and q.id == (comment_id or "m")


def test_gift_non_finite_and_blank_answers():
    result = parse_text("::a:: 一{#1e400}\n\n::b:: 二{#1..1e999}\n\n::c:: 三{=  }\n\n::d:: 四{=[html]}\n\n::e:: 五 {=%100%}\n\n::f:: 六{~a ~=b ~}", "t.gift")
    assert [q.id for q in result.questions] == ["f"] and [o.text for o in result.questions[0].options] == ["a", "b"]
    assert [p.line for p in result.problems] == [1, 3, 5, 7, 9]


def test_plugin_files_in_markdown_texts_are_resolved_in_every_reader():
    # GIFT [markdown]: the file cannot come along; the reference goes, with the warning the docstring promises
    result = parse_text("::q::[markdown]See ![p](@@PLUGINFILE@@/a.png) {T}", "t.gift")
    (q,) = result.questions
    assert q.stem == "See ![p]()" and "@@PLUGINFILE@@" not in q.stem
    (warning,) = result.warnings
    assert "a.png" in warning.message and "GIFT carries no files" in warning.message
    # Moodle cloze with format="markdown": the embedded file is stored and the stem points at it
    xml = b'''<quiz><question type="cloze"><name><text>c</text></name>
      <questiontext format="markdown"><text>See ![p](@@PLUGINFILE@@/a.png) {1:SHORTANSWER:=yue}</text>
      <file name="a.png" path="/" encoding="base64">aGVsbG8=</file></questiontext></question></quiz>'''
    result = parse_bytes(xml, "c.xml")
    (ref,) = result.media
    (q,) = result.questions
    assert q.stem.startswith(f"See ![p](media/{ref}) ") and "@@PLUGINFILE@@" not in q.stem
    assert result.warnings == [] and result.problems == []


# --- Moodle XML -----------------------------------------------------------------------------------

def test_xml_malformed_numbers_are_problems_with_lines(xml):
    problems = {p.line: (p.column, p.message) for p in xml.problems}
    assert problems[10] == ("answer/@fraction", problems[10][1]) and "abc" in problems[10][1]
    assert "50%" in problems[17][1]  # a true/false answer's fraction too
    assert "nan" in problems[101][1] and "tolerance" in problems[106][1] and "两分" in problems[108][1]
    assert len(xml.problems) == 5 and not {"x-bad-fraction", "x-bad-tf", "x-nan", "x-inf-tolerance", "x-bad-grade"} & set(by_id(xml))


def test_xml_cloze_and_match_spellings(xml):
    q = by_id(xml)
    cloze = q["x-cloze"]
    assert cloze.type == "cloze" and cloze.stem == "党的根本宗旨是{{p1}}，党员是党的{{p2}}。" and cloze.points == 3
    p1, p2 = cloze.parts
    assert [(a.text, a.fraction, a.feedback) for a in p1.alternatives] == [("全心全意为人民服务", 1.0, "正确！"), ("*", 0.0, "请再读党章总纲。")]
    assert [o.feedback for o in p2.options] == ["对", "不对"] and cloze.explanation == "见党章。"  # no stray backslash from <br>
    # the * part: any other answer gets its feedback and no credit
    assert score_question(cloze, {"p1": "为人民服务", "p2": "a"}, "partial") == pytest.approx(2.0)
    assert cloze.kind.answer_feedback(cloze, {"p1": "为人民服务", "p2": "a"}) == ["请再读党章总纲。", "对"]
    assert q["x-match"].type == "matching" and [p.right for p in q["x-match"].pairs] == ["每月一次", "每季度一次"]


def test_xml_links_old_images_and_missing_files(xml):
    q = by_id(xml)
    (txt,) = [name for name in xml.media if name.endswith("xuexi.txt")]
    assert q["x-link"].stem == f'先阅读<a href="media/{txt}">学习材料</a>，再判断：党员应按期交纳党费。'
    assert xml.media[txt].decode("utf-8") == "支部学习材料"
    (png,) = [name for name in xml.media if name.endswith("dang-qi.png")]
    assert q["x-old-image"].stem == f'下图是什么？ <img src="media/{png}">' and xml.media[png].startswith(b"\x89PNG")
    assert q["x-old-image-missing"].stem == "本节有一张图片。"
    assert any(w.line == 66 and "dang-hui.png" in w.message for w in xml.warnings)


def test_xml_several_right_single_choice_blank_answer_names_and_essay_reference(xml):
    q = by_id(xml)
    any_one = q["x-any-one"]
    assert any_one.stem == "下列哪一项是党的组织原则的内容？"
    assert [o.text for o in any_one.options] == ["个人服从组织", "少数服从多数", "下级服从同级"] and any_one.correct_ids == ["a", "b"]
    assert (q["x-same"].answer, q["moodle-rules-012"].answer, q["moodle-rules-012"].title) == (True, False, "x-same")
    assert any(w.line == 90 and "'x-same'" in w.message for w in xml.warnings)
    essay = q["x-essay"]
    assert essay.reference == "要点：按时、内容、实效，各 3 分；联系实际 1 分。" and essay.explanation == ""
    assert "按时" not in json.dumps(essay.public(), ensure_ascii=False)  # markers only: never in the learner's view


def test_a_duplicate_idnumber_is_still_refused():
    xml = ("<quiz>" + "".join(f'<question type="truefalse"><name><text>{n}</text></name><idnumber>same</idnumber>'
           f'<questiontext><text>{n}</text></questiontext><answer fraction="100"><text>true</text></answer>'
           '<answer fraction="0"><text>false</text></answer></question>' for n in ("一", "二")) + "</quiz>").encode()
    result = parse_bytes(xml, "d.xml")
    assert [q.id for q in result.questions] == ["same"] and "duplicate id 'same'" in result.problems[0].message


# --- the wildcard in both grading engines and the practice verdict -------------------------------

def test_wildcard_scores_the_same_in_both_engines_and_practice(tmp_path, gift):
    from partyquiz.answers import AnswerStore
    from partyquiz.grading.cell import score_in_notebook
    from partyquiz.scoring import auto_score
    from partyquiz.widgets.quiz import question_from_public

    q = by_id(gift)["g-wild"]
    key = QuizKey(course_id="c", assignment="a", notebook="l1", quiz=Quiz(id="q1", rule="partial", sections=[Section(pool=[q.id])]), questions={q.id: q})
    for typed, expected in (("递交入党申请书", 1.0), ("写入党申请", 0.5), ("参加党课", 0.0), ("*", 0.0)):
        answers = {q.id: Answer(value=[typed], saved_at=now_iso())}
        fast = auto_score(grade_quiz(key, "learner", answers))
        folder = tmp_path / "autograded" / "learner" / typed.replace("*", "star")
        folder.mkdir(parents=True)
        AnswerStore(folder, "l1").save_many(answers)
        cell = score_in_notebook(key.model_dump_json(), cwd=folder)
        practice = score_question(question_from_public(q.public(with_key=True)), [typed], "partial", q.points)
        assert fast == cell == practice == expected, typed


def test_escaped_star_is_a_literal_star():
    q = Question(id="s", type="fill", stem="星号", blanks=[["a\\*b"]])
    assert score_question(q, ["a*b"], "strict") == 1.0 and score_question(q, ["axxb"], "strict") == 0.0


# --- every format maps kinds through the registry -------------------------------------------------

@pytest.fixture
def throwaway_kind():
    """A kind registered for this test only (a plugin no bank format knows)."""
    from partyquiz.qtypes.base import KeylessKind, TextControl

    class RatingControl(TextControl):
        qtype = "rating_demo"

        def _build(self, saved):
            from partyquiz.qtypes.base import ipw

            return ipw().Text(value=saved or "")

        def fill(self, value):
            self.widget.value = value or ""

    class Rating(KeylessKind):
        name = "rating_demo"
        control = RatingControl
        label_key = "widgets.type.essay"  # reuses a label: the test adds no catalog keys

        def check(self, q):
            return None

        def answer_text(self, q, value, lang):
            return str(value)

        def key_text(self, q, lang):
            return ""

        def example(self):
            return dict(id="ex-rating", stem="给本次党课打分。")

        def right_answer(self, q):
            return "5"

        def wrong_answer(self, q, rng):
            return ""

    registry.register(Rating)
    try:
        yield "rating_demo"
    finally:
        registry._KINDS.pop("rating_demo", None)


@pytest.mark.parametrize("fmt", [f for f in FORMATS if f != "yaml"])
def test_a_kind_a_format_has_no_mapping_for_is_refused_by_name(throwaway_kind, fmt, tmp_path):
    rating = Question(id="rate-1", type=throwaway_kind, stem="给本次党课打分。")
    ok = Question(id="ok-1", type="truefalse", stem="党课每半年一次。", answer=True)
    path = tmp_path / f"bank{FORMATS[fmt]}"
    with pytest.raises(InputError) as exc:
        write_bank([ok, rating], path, fmt)
    (problem,) = exc.value.problems
    assert problem.column == "rate-1" and "rate-1" in problem.message and "rating_demo" in problem.message
    assert not path.exists()


def test_yaml_carries_any_registered_kind(throwaway_kind, tmp_path):
    rating = Question(id="rate-1", type=throwaway_kind, stem="给本次党课打分。")
    write_bank([rating], tmp_path / "bank.yml")
    assert parse_bank(tmp_path / "bank.yml").questions == [rating]


# --- export warnings: what Moodle's formats cannot carry is named ---------------------------------

def test_export_warns_about_leading_spaces_and_cloze_points(tmp_path):
    spaced = Question(id="sp-1", type="fill", stem=" 前导空格的题干", blanks=[["答案"]])
    cloze = Question.example("cloze")
    cloze = Question(**{**cloze.model_dump(), "points": cloze.points + 3})
    for fmt in ("gift", "moodle"):
        warnings = write_bank([spaced], tmp_path / f"b{FORMATS[fmt]}", fmt)
        assert [(w.column, "stem" in w.message) for w in warnings] == [("sp-1", True)], fmt
    warnings = write_bank([cloze], tmp_path / "c.xml", "moodle")
    assert [w.column for w in warnings] == [cloze.id] and "sum" in warnings[0].message
    assert parse_bank(tmp_path / "c.xml").questions == [cloze]  # our own re-import keeps the points


def test_essay_reference_survives_every_format(tmp_path):
    essay = Question(id="e-1", type="essay", stem="谈谈体会。", points=10, reference="要点：联系实际。")
    for fmt, ext in FORMATS.items():
        write_bank([essay], tmp_path / f"b{ext}", fmt)
        assert parse_bank(tmp_path / f"b{ext}").questions == [essay], fmt


def test_messages_switch_language():
    i18n.set_language("zh-CN")
    zh = parse_text("::a:: 一{#1e400}", "t.gift").problems[0].message
    i18n.set_language("en")
    en = parse_text("::a:: 一{#1e400}", "t.gift").problems[0].message
    assert "无法识别" in zh and "cannot read" in en and "/" not in zh


def test_single_choice_with_several_right_answers_through_every_format(tmp_path):
    from partyquiz.questiondata import Option

    q = Question(id="s-any", type="single", stem="下列哪一项属于“三会”？", options=[
        Option(id="a", text="支部党员大会", correct=True), Option(id="b", text="支部委员会", correct=True), Option(id="c", text="党课")])
    for fmt, ext in FORMATS.items():
        write_bank([q], tmp_path / f"b{ext}", fmt)
        assert parse_bank(tmp_path / f"b{ext}").questions == [q], fmt


def test_spreadsheet_single_with_several_letters_is_a_slip_unless_weighted(tmp_path):
    path = tmp_path / "单选.csv"
    path.write_text("题型,题干,选项A,选项B,选项C,答案,选项A权重,选项B权重\n"
                    "单选,多写了字母,甲,乙,丙,AB,,\n"
                    "单选,两个满分答案,甲,乙,丙,AB,100%,100%\n", encoding="utf-8")
    result = parse_bank(path)
    assert [(p.line, p.column) for p in result.problems] == [(2, "答案 (F)")] and "AB" in result.problems[0].message
    (q,) = result.questions
    assert q.correct_ids == ["A", "B"] and [o.fraction for o in q.options] == [None, None, None]


def test_an_embedded_file_over_the_media_limit_is_skipped_with_a_warning(monkeypatch):
    from partyquiz.banks import media

    monkeypatch.setattr(media, "MAX_MEDIA_BYTES", 40)  # the 1×1 PNG (70 bytes) is now too big; the 18-byte text is not
    result = parse_bank(FIX / "moodle-rules.xml")
    assert [name.rsplit("-", 1)[-1] for name in result.media] == ["xuexi.txt"]
    assert any(w.line == 55 and "dang-qi.png" in w.message and "not imported" in w.message for w in result.warnings)
    assert by_id(result)["x-old-image"].stem == "下图是什么？"


def test_xml_blank_fraction_is_a_zero_weight():
    # fraction=" " (spaces only) reads as 0, as an empty fraction does: a wrong option, not a refused question
    xml = b'''<quiz><question type="multichoice"><name><text>b</text></name>
      <questiontext><text>q</text></questiontext><single>true</single>
      <answer fraction="100"><text>right</text></answer>
      <answer fraction=" "><text>blank weight</text></answer>
      <answer fraction=""><text>empty weight</text></answer></question></quiz>'''
    result = parse_bytes(xml, "b.xml")
    assert result.problems == []
    (q,) = result.questions
    assert q.correct_ids == ["a"] and [o.fraction for o in q.options] == [None, None, None]
    assert score_question(q, ["b"], "fraction") == 0.0 and score_question(q, ["a"], "fraction") == 1.0
