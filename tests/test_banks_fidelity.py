"""GIFT and Moodle XML read as Moodle reads them; nothing lost without a word; bounded input.

The fixtures (tests/fixtures/banks/gift-fidelity.gift, gift-refused.gift, moodle-fidelity.xml)
are written for this project, one Moodle importer rule per question, in Chinese.
"""
from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from openpyxl import Workbook

from partyquiz import i18n
from partyquiz.banks import FORMATS, import_banks, parse_bank, read_bank, write_bank
from partyquiz.banks.common import WILDCARD_RANGE
from partyquiz.banks.gift import parse_text
from partyquiz.banks.media import media_folder_for, safe_name, write_media
from partyquiz.banks.moodle_xml import parse_bytes
from partyquiz.banks.text import html_to_markdown, to_markdown
from partyquiz.errors import InputError
from partyquiz.model import Alternative, ClozePart, NumericAnswer, Option, Question
from partyquiz.scoring import score_question

from helpers_banks import english_for_module_fixtures, english_messages  # noqa: F401  (autouse: messages in English)

FIX = Path(__file__).parent / "fixtures" / "banks"


def _png(color=(200, 16, 46)) -> bytes:
    raw = b"".join(b"\x00" + bytes(color) * 2 for _ in range(2))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


@pytest.fixture(scope="module")
def gift():
    i18n.set_language("en")
    result = parse_bank(FIX / "gift-fidelity.gift")
    assert result.problems == []
    return {q.id: q for q in result.questions}


def test_gift_escapes_as_moodle(gift):
    # a backslash before an ordinary character stays; \\ is one backslash; \: is a colon
    assert [o.text for o in gift["g-path"].options] == ["C:\\temp\\党课", "D:\\备份", "E:\\"]
    assert gift["g-path"].correct_ids == ["a"]
    escaped = gift["g-escapes"]
    assert escaped.stem == "比例 1:1、等号 = 与波浪号 ~、井号 # 和花括号 { }、换行\n第二行"
    assert escaped.blanks == [["a=b"]]


def test_gift_arrow_in_multiple_choice_is_text_and_one_word_is_a_short_answer(gift):
    arrow = gift["g-arrow"]
    assert arrow.type == "single" and [o.text for o in arrow.options] == ["申请 -> 考察 -> 发展", "发展 -> 申请"]
    one = gift["g-one"]
    assert one.type == "fill" and one.blanks == [["共产主义"]]
    assert score_question(one, ["共产主义"], "strict") == 1.0


def test_gift_id_and_tags_from_comments(gift):
    tagged = gift["g-tagged"]  # `// [id:g-tagged] [tag:…]` before a Chinese title
    assert tagged.stem == "支部党员大会多久召开一次？"
    if "tags" in Question.model_fields:
        assert tagged.tags == ["三会一课", "必学"]
    if "title" in Question.model_fields:
        assert tagged.title == "支部大会频次"


def test_gift_formats_per_text(gift):
    q = gift["g-formats"]
    assert q.stem == "下列哪项<strong>正确</strong>？"  # [html]: sanitised, kept as inline HTML
    plain, markdown, unknown = q.options
    assert plain.text == "\\<b\\>不是标签\\</b\\>"  # [plain]: shown as typed, never a tag
    assert plain.feedback == "<em>斜体</em>反馈"  # the feedback's own [html]
    assert markdown.text == "**加粗**选项" and markdown.feedback == "第一行\n第二行"  # [moodle] \n
    assert unknown.text == "[abc] 未知标记保留"  # not a format name: kept
    assert not any("[html]" in t or "[plain]" in t for t in [q.stem] + [o.text + o.feedback for o in q.options])


def test_gift_true_false_feedback_for_both_verdicts(gift):
    both = gift["g-tf-both"]
    # FALSE#wrong#right: the first # is shown to who answered true (wrong here)
    assert both.answer is False and both.feedback_true == "错了：党课每半年一次。" and both.feedback_false == "对，党课每半年一次。"
    assert both.explanation == "见《条例》。"
    right_only = gift["g-tf-right-only"]
    assert right_only.answer is True and right_only.feedback_true == "正确。" and right_only.feedback_false == ""


def test_gift_partial_credit_short_answer_and_numericals(gift):
    sa = gift["g-sa-feedback"]
    assert [(a.text, a.fraction, a.feedback) for a in sa.blanks[0]] == [("入党日", 1.0, "完全正确"), ("入党那天", 0.5, "意思对"), ("生日", 0.0, "不是生日")]
    num = gift["g-num-multi"]
    assert [(a.value, a.tolerance, a.fraction, a.feedback) for a in num.numeric_answers[:2]] == [(3.14159, 0.00001, 1.0, "精确"), (3.14, 0.01, 0.5, "差不多")]
    assert tuple(num.numeric_answers[2].range) == WILDCARD_RANGE and num.numeric_answers[2].feedback == "再想想"
    assert gift["g-num-range"].range == (3.141, 3.142)  # a range stays a range, no float noise
    missing = gift["g-missing-word"]
    assert missing.stem == "党员是党的 _____ 和血液。" and missing.blanks[0][0].feedback == "对"


def test_gift_weights_and_descriptions(gift):
    assert [o.fraction for o in gift["g-weights-ok"].options] == [0.3333333, 0.3333333, 0.3333333, -1.0]
    # %33.333% is Moodle's 33.33333% (within its 0.00001), stored as that grade
    assert [o.fraction for o in gift["g-weights-moodle-rounding"].options] == [0.3333333, 0.3333333, 0.3333333, -1.0]
    description = gift["g-description"]
    assert description.type == "description" and description.points == 0 and description.stem == "以下题目考查“三会一课”制度。"
    assert gift["g-essay"].type == "essay" and gift["g-essay"].explanation == "要点：按时、内容、实效。"
    match = gift["g-match"]
    assert [(p.left, p.right) for p in match.pairs] == [("支部党员大会", "每季度一次"), ("支委会", "每月一次")] and match.distractors == ["每年一次"]


def test_gift_what_moodle_refuses_is_reported_with_its_line():
    result = parse_bank(FIX / "gift-refused.gift")
    assert result.questions == []
    found = {p.line: p.message for p in result.problems}
    assert "90%" in found[3]  # positive weights add up to 90%
    assert "33.33%" in found[5] and "Moodle's grades" in found[5]
    assert "50%" in found[7]  # no `=`: multiple answers, 50% in all
    assert "100%" in found[9]  # short answer without a full-credit answer
    assert "two answers" in found[11]
    assert "}" in found[13]
    assert "->" in found[15]
    assert all(p.file.endswith("gift-refused.gift") for p in result.problems)


def test_gift_name_without_closing_colons_is_text_as_in_moodle():
    result = parse_text("::没有结尾的标题 党课多久一次？{=半年}", "x.gift")
    (q,) = result.questions
    assert q.stem == "没有结尾的标题 党课多久一次？" and q.blanks == [["半年"]]


@pytest.fixture(scope="module")
def moodle():
    i18n.set_language("en")
    return parse_bank(FIX / "moodle-fidelity.xml")


def test_moodle_xml_media_become_course_files(moodle):
    q = {x.id: x for x in moodle.questions}["x-flag"]
    assert q.stem.startswith("下图是什么？<img src=\"media/") and "alert" not in q.stem and "script" not in q.stem
    (stem_ref,) = [r for r in moodle.media if r in q.stem]
    assert moodle.media[stem_ref].startswith(b"\x89PNG")
    assert q.options[0].text.startswith('<img src="media/') and q.options[0].text.endswith('alt="金星">')
    assert q.options[1].text == "\\<b\\>不是标签\\</b\\>"  # plain_text answer stays text
    assert q.options[0].feedback == "对，<em>金色</em>。" and q.options[2].feedback == "不对。"
    assert q.explanation == "党旗为<strong>红色</strong>旗面。" and q.topic == "党史/图片题" and q.points == 2
    if "tags" in Question.model_fields:
        assert q.tags == ["图片", "党史"]


def test_moodle_xml_feedback_partial_credit_and_description(moodle):
    q = {x.id: x for x in moodle.questions}
    assert (q["x-tf"].answer, q["x-tf"].feedback_true, q["x-tf"].feedback_false) == (False, "错：党课每半年一次。", "对。")
    assert [(a.text, a.fraction, a.feedback) for a in q["x-sa"].blanks[0]] == [("入党日", 1.0, "完全正确。"), ("入党那天", 0.5, "意思对。")]
    answers = q["x-num"].numeric_answers
    assert [(a.value, a.tolerance, a.fraction) for a in answers[:2]] == [(3.1415, 0.0005, 1.0), (3.14, 0.01, 0.5)]
    assert tuple(answers[2].range) == WILDCARD_RANGE and answers[2].feedback == "再想想。"
    (description,) = [x for x in moodle.questions if x.type == "description"]
    assert description.stem == "以下题目考查<strong>“三会一课”</strong>制度。" and description.points == 0
    assert q["x-essay"].stem == "谈谈**你**的体会。"  # format="markdown" kept as written


def test_moodle_xml_cloze_parts(moodle):
    cloze = {x.id: x for x in moodle.questions}["x-cloze"]
    assert cloze.type == "cloze" and cloze.points == 7  # Moodle: the sum of the parts' weights
    assert cloze.stem == "党的最高理想是{{p1}}，党员是党的{{p2}}。\n\n“三会一课”中党课每 {{p3}} 个月一次；选 {{p4}}；{{p5}}；横排 {{p6}}。"
    p1, p2, p3, p4, p5, p6 = cloze.parts
    assert p1.kind == "shortanswer" and [(a.text, a.fraction, a.feedback) for a in p1.alternatives] == [("共产主义", 1.0, "正确"), ("共产主义社会", 0.5, "基本正确"), ("*", 0.0, "再想想")]
    assert p2.kind == "multichoice" and p2.display == "vertical" and [o.text for o in p2.options] == ["细胞", "血液", "器官"]
    assert p2.options[0].correct and p2.options[2].fraction == -0.5 and p2.options[2].feedback == "不对"
    assert p3.kind == "numerical" and p3.points == 2 and [(a.value, a.tolerance, a.fraction) for a in p3.numeric_answers] == [(6.0, 0.0, 1.0), (5.0, 1.0, 0.5)]
    assert p4.shuffle and p4.display == "dropdown" and [o.text for o in p4.options] == ["甲", "乙}", "丙"] and p4.options[1].correct
    assert p5.kind == "shortanswer" and p5.case_sensitive and p6.display == "horizontal"
    assert cloze.explanation == "见党章。"


def test_moodle_xml_refusals_and_warnings_with_lines(moodle):
    problems = {p.line: p.message for p in moodle.problems}
    assert "33%" in problems[65] and "Moodle's grades" in problems[65]  # 99.67% in all: Moodle refuses
    assert "90%" in problems[85]  # single choice whose best answer is 90%
    assert "calculated" in problems[100]
    assert len(moodle.problems) == 3
    assert "x-sum-ok" in {q.id for q in moodle.questions}  # 3 × 33.333% passes, as in Moodle
    # an essay's information for graders is its reference answer: for markers, never shown to learners
    essay = {q.id: q for q in moodle.questions}["x-essay"]
    assert essay.reference == "按时、内容、实效各 3 分。" and essay.explanation == "" and moodle.warnings == []


def test_a_bank_with_one_description_imports(tmp_path):
    bank = tmp_path / "说明.gift"
    bank.write_text("::intro::本单元共五题，请认真作答。\n", encoding="utf-8")
    result = import_banks([bank])
    assert result.problems == [] and [q.type for q in result.questions] == ["description"]


def test_unsupported_items_still_refuse_the_bank_by_default():
    strict = import_banks([FIX / "moodle-fidelity.xml"])
    assert strict.questions == [] and len(strict.problems) == 3
    lenient = import_banks([FIX / "moodle-fidelity.xml"], keep_valid=True)
    assert {q.type for q in lenient.questions} >= {"description", "cloze", "numeric", "fill", "truefalse"}


# --- round trips exact: weights, whitespace, ranges, option ids --------------------------------

EXACT = [
    Question(id="w1", type="multiple", stem=" 前导空格的题干", options=[
        Option(id="x", text=" 甲", correct=True, fraction=0.3333333, feedback="三分之一"),
        Option(id="y", text="乙", correct=True, fraction=0.3333333),
        Option(id="z", text="丙", correct=True, fraction=0.3333333),
        Option(id="n", text="丁", fraction=-1.0, feedback="扣分")]),
    Question(id="r1", type="numeric", stem="取值区间", range=(3.141, 3.142)),
    Question(id="s1", type="single", stem="单选", options=[Option(id="A", text="对", correct=True), Option(id="B", text="半对", fraction=0.5, feedback="一半")]),
    Question(id="tf", type="truefalse", stem="判断", answer=True, feedback_true="对", feedback_false="错"),
    Question(id="f1", type="fill", stem="政治生日", blanks=[[Alternative(text="入党日", feedback="好"), Alternative(text="入党那天", fraction=0.5)]]),
    Question(id="n1", type="numeric", stem="圆周率", numeric_answers=[NumericAnswer(value=3.1415, tolerance=0.0005, feedback="准"), NumericAnswer(range=(3.1, 3.2), fraction=0.5)]),
    Question(id="d1", type="description", stem="说明文字"),
]


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "yaml", "moodle", "gift"])
def test_round_trips_are_exact(fmt, tmp_path):
    path = tmp_path / f"bank{FORMATS[fmt]}"
    bank = [q for q in EXACT if not (fmt in ("gift", "moodle") and q.stem.startswith(" "))]  # Moodle trims texts
    write_bank(bank, path, fmt)
    back = parse_bank(path)
    assert back.problems == []
    assert back.questions == bank


def test_spreadsheet_keeps_option_ids_feedback_and_weights_in_columns(tmp_path):
    path = tmp_path / "bank.csv"
    write_bank(EXACT[:1], path, "csv")
    text = path.read_text(encoding="utf-8-sig")
    header = text.splitlines()[0].split(",")
    assert {"选项A反馈", "选项A权重", "选项编号"} <= set(header)
    assert "33.33333%" in text and "-100%" in text and "x,y,z,n" in text


def test_cloze_export_to_gift_is_refused_naming_it_and_moodle_xml_keeps_it(tmp_path, moodle):
    cloze = [q for q in moodle.questions if q.type == "cloze"]
    with pytest.raises(InputError) as exc:
        write_bank(cloze, tmp_path / "out.gift", "gift")
    assert "x-cloze" in str(exc.value) and "cloze" in str(exc.value) and not (tmp_path / "out.gift").exists()
    write_bank(cloze, tmp_path / "out.xml", "moodle")
    assert parse_bank(tmp_path / "out.xml").questions == cloze


# --- media --------------------------------------------------------------------------------------

def test_media_names_are_safe_and_stay_in_the_media_folder(tmp_path):
    data = b"\x89PNG fake"
    name = safe_name("../../etc/passwd", data)
    assert "/" not in name and ".." not in name and name.endswith("-passwd")
    assert safe_name("党旗.png", data).endswith(".png") and safe_name("党旗.png", data).isascii()
    xml = f'''<quiz><question type="description"><name><text>d</text></name>
      <questiontext format="html"><text><![CDATA[<img src="@@PLUGINFILE@@/../../x.png">]]></text>
      <file name="../../x.png" path="/../" encoding="base64">aGVsbG8=</file></questiontext></question></quiz>'''.encode()
    result = parse_bytes(xml, "evil.xml")
    (ref,) = result.media
    write_media(tmp_path / "media", result.media)
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [ref]


def test_moodle_export_embeds_course_media_and_import_writes_them(tmp_path):
    from partyquiz.authoring.ops import export_bank, import_bank_files

    course = tmp_path / "course"
    report = import_bank_files([FIX / "moodle-fidelity.xml"], course / "banks" / "bank.yml", keep_valid=True)
    assert sorted(p.name for p in report.media) == sorted(parse_bank(FIX / "moodle-fidelity.xml").media)
    assert all(p.parent == course / "media" for p in report.media)
    assert media_folder_for(course / "banks" / "bank.yml") == course / "media"
    warnings: list = []
    export_bank(course / "banks" / "bank.yml", "moodle", tmp_path / "out.xml", warnings)
    assert warnings == []
    text = (tmp_path / "out.xml").read_text(encoding="utf-8")
    assert "@@PLUGINFILE@@/" in text and 'encoding="base64"' in text and "media/" not in text
    again = parse_bank(tmp_path / "out.xml")
    assert set(again.media) == {p.name for p in report.media}


def test_xlsx_pictures_become_media(tmp_path):
    from openpyxl.drawing.image import Image

    book = Workbook()
    sheet = book.active
    sheet.append(["题型", "题干", "选项A", "选项B", "答案"])
    sheet.append(["单选", "下图是什么？", "党旗", "团旗", "A"])
    sheet.add_image(Image(io.BytesIO(_png())), "B2")
    path = tmp_path / "图片题.xlsx"
    book.save(path)
    result = parse_bank(path)
    (ref,) = result.media
    assert result.questions[0].stem == f'下图是什么？ <img src="media/{ref}" alt="">' and result.media[ref] == _png()


# --- bounded input (issue 13) --------------------------------------------------------------------

@pytest.mark.timeout(60)
def test_html_with_unclosed_angle_brackets_is_linear():
    # 600 KB of `<`: a quadratic tag scan takes minutes here; the linear tokenizer a fraction of a second
    stem = "[html]" + "党<" * 300_000
    result = parse_text(f"::big::{stem}{{T}}", "big.gift")
    assert result.questions[0].stem.startswith("党\\<党\\<")
    xml = ("<quiz><question type=\"truefalse\"><name><text>big</text></name><questiontext format=\"html\"><text><![CDATA["
           + "<p>" + "a<b " * 150_000 + "<a href='" + "x" * 100_000 + "]]></text></questiontext>"
           + "<answer fraction=\"100\"><text>true</text></answer><answer fraction=\"0\"><text>false</text></answer></question></quiz>").encode()
    assert parse_bytes(xml, "big.xml").questions[0].type == "truefalse"
    assert len(html_to_markdown("<!--" * 150_000)) == 0 and html_to_markdown("<script>" * 50_000 + "x") == ""


def test_html_is_sanitised():
    assert to_markdown('<p onclick="x()">正文<img src="javascript:alert(1)" alt="图"><iframe src="http://x"></iframe></p><style>p{}</style>', "html") == "正文图"
    assert to_markdown('<a href="javascript:alert(1)">链接</a>', "html") == "<a>链接</a>"
    assert to_markdown("<ul><li>一</li><li>二</li></ul>", "html") == "- 一\n- 二"


def test_bank_file_size_is_capped(tmp_path, monkeypatch):
    from partyquiz.banks import limits

    big = tmp_path / "big.gift"
    big.write_bytes(b"// x\n" * 1000)
    monkeypatch.setattr(limits, "MAX_BANK_BYTES", 1000)
    monkeypatch.setattr(limits.size_problem, "__defaults__", (1000,))
    (problem,) = parse_bank(big).problems
    assert problem.file == str(big) and "too large" in problem.message


@pytest.mark.timeout(120)
def test_xlsx_that_unpacks_to_a_gigabyte_is_refused_before_parsing(tmp_path):
    path = tmp_path / "bomb.xlsx"
    block = b"<si><t>" + b"a" * (1 << 20) + b"</t></si>"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        with zf.open("xl/sharedStrings.xml", "w", force_zip64=True) as fh:
            for _ in range(1024):  # 1 GB of shared strings
                fh.write(block)
    assert path.stat().st_size < 10_000_000
    (problem,) = parse_bank(path).problems
    assert problem.file == str(path) and "unpacks to" in problem.message and "refused" in problem.message


def test_read_bank_refuses_unsupported_but_not_the_new_kinds():
    questions = read_bank(FIX / "gift-fidelity.gift")
    assert {"description", "fill", "numeric", "truefalse"} <= {q.type for q in questions}


def test_a_course_built_from_an_imported_cloze_bank(tmp_path):
    """partyquiz build takes the imported cloze, description and media questions; no key is released."""
    import json

    from partyquiz.authoring import load_course
    from partyquiz.authoring.ops import import_bank_files
    from partyquiz.build import build_course

    course = tmp_path / "h5-cloze"
    import_bank_files([FIX / "moodle-fidelity.xml"], course / "banks" / "bank.yml", keep_valid=True)
    (course / "lessons").mkdir()
    (course / "lessons" / "l1.md").write_text("# 第一课\n\n## 内容\n\n正文。\n", encoding="utf-8")
    (course / "course.yml").write_text(
        "id: h5-cloze\ntitle: 完形填空导入\nyear: 2026\nbanks: [banks/bank.yml]\nlessons:\n"
        "  - id: l1\n    title: 第一课\n    file: lessons/l1.md\n    hours: 1\n    quiz:\n      id: q1\n      shuffle_questions: false\n"
        "      sections:\n        - pool: [moodle-fidelity-006, x-cloze, x-flag, x-tf, x-sa, x-num]\n", encoding="utf-8")
    (built,) = build_course(load_course(course), tmp_path / "source")
    spec = json.loads((built.folder / "l1.quiz.json").read_text(encoding="utf-8"))
    cloze = spec["questions"]["x-cloze"]
    assert cloze["type"] == "cloze" and [p["id"] for p in cloze["parts"]] == ["p1", "p2", "p3", "p4", "p5", "p6"]
    released = json.dumps(spec, ensure_ascii=False)
    assert "共产主义社会" not in released and "基本正确" not in released  # graded: the cloze key stays hidden
    assert spec["questions"]["moodle-fidelity-006"]["type"] == "description"


def test_moodle_xml_cloze_keeps_its_part_and_option_ids_and_ignores_a_tampered_record(tmp_path):
    # Moodle's embedded-answer syntax numbers parts by position; our writer carries the real ids.
    from partyquiz.model import Question

    cloze = Question.example("cloze")
    path = tmp_path / "cloze.xml"
    write_bank([cloze], path)
    back = read_bank(path)[0]
    assert [p.id for p in back.parts] == [p.id for p in cloze.parts]
    assert back.stem == cloze.stem
    choice = next(p for p in cloze.parts if p.options)
    assert [o.id for o in next(p for p in back.parts if p.id == choice.id).options] == [o.id for o in choice.options]
    # a hand-edited record that no longer fits is ignored: positional ids, the question still imports
    text = path.read_text(encoding="utf-8").replace(f'"{cloze.parts[0].id}", ', "", 1)
    path.write_text(text, encoding="utf-8")
    tampered = read_bank(path)[0]
    assert [p.id for p in tampered.parts] == [f"p{n}" for n in range(1, len(cloze.parts) + 1)]
    assert "{{p1}}" in tampered.stem
