"""Importers on files written the way other tools write them, and the errors users make."""
from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

from partyquiz import i18n
from partyquiz.banks import import_banks, parse_bank, read_bank
from partyquiz.errors import InputError
from partyquiz.scoring import score_question

from helpers_banks import english_for_module_fixtures, english_messages  # noqa: F401  (autouse: messages in English)

FIX = Path(__file__).parent / "fixtures" / "banks"


def by_stem(questions, fragment):
    return next(q for q in questions if fragment in q.stem)


def test_gbk_csv_from_an_older_exam_system():
    questions = read_bank(FIX / "gbk-export.csv")
    assert len(questions) == 8
    single = by_stem(questions, "支部党员大会")
    assert single.type == "single" and single.correct_ids == ["B"] and single.points == 2
    assert single.topic == "三会一课" and single.difficulty == "易" and "每季度" in single.explanation
    assert by_stem(questions, "激励机制").correct_ids == ["A", "B", "C"]  # "A,B,C"
    assert by_stem(questions, "四个长效机制").correct_ids == ["A", "B", "C", "D"]  # "A|B|C|D"
    assert by_stem(questions, "党费").answer is True  # 是
    assert by_stem(questions, "党课每月").answer is False  # 错
    assert by_stem(questions, "党员是党的").blanks == [["细胞"], ["血液"]]  # several blanks with |
    assert by_stem(questions, "政治生日").blanks == [["入党日", "入党日期"]]  # alternatives with ;
    essay = by_stem(questions, "谈谈")
    # the answer column of an essay is its reference answer: for markers, never shown to learners
    assert essay.type == "essay" and essay.reference == "按时召开、内容充实" and essay.explanation == "" and essay.points == 10


def test_excel_utf8_bom_csv_with_true_false_signs_numeric_and_matching():
    questions = read_bank(FIX / "excel-utf8-bom.csv")
    assert by_stem(questions, "七一").correct_ids == ["A", "B", "C"]  # "A;B;C"
    assert by_stem(questions, "覆盖率达").answer is True  # T
    assert by_stem(questions, "灌输").answer is False  # ×
    assert by_stem(questions, "时时可学").answer is True  # √
    rate = by_stem(questions, "覆盖率（%）")
    assert (rate.value, rate.tolerance) == (99.1, 0.05)
    assert by_stem(questions, "宜昌").range == (140.0, 160.0)
    match = by_stem(questions, "会议与频次")
    assert {p.left: p.right for p in match.pairs} == {"支部党员大会": "每季度一次", "支委会": "每月一次"}
    assert match.distractors == ["每年一次"]
    # the answers keep their meaning when scored
    assert score_question(by_stem(questions, "站点约"), ["B"], "strict") == 1.0
    assert score_question(match, {p.id: p.right for p in match.pairs}, "strict") == 3.0


def test_one_option_per_row_template():
    questions = read_bank(FIX / "option-per-row.csv")
    first, second = questions
    assert [o.text for o in first.options] == ["每月一次", "每季度一次", "每半年一次"]
    assert first.correct_ids == ["C"] and first.explanation == "党课每半年进行一次。"
    assert [o.id for o in second.options] == ["A", "B", "C", "D"] and second.correct_ids == ["A", "B", "C"]


def test_xlsx_with_title_row_starred_headers_and_题目(tmp_path):
    # Like a WPS/Excel 导入模板: a title row, headers with * and notes, 题目 instead of 题干
    book = Workbook()
    sheet = book.active
    sheet.append(["试题导入模板（请勿修改表头）"])
    sheet.append(["*题型", "*题目", "选项A", "选项B", "选项C", "选项D", "*正确答案", "答案解析", "分值（分）", "章节"])
    sheet.append(["单项选择题", "党课多久进行一次？", "每月", "每季度", "每半年", "每年", "C", "每半年一次", 2, "三会一课"])
    sheet.append(["判断题", "支委会每月召开一次。", None, None, None, None, "正确", None, 1, None])
    sheet.append(["数值题", "覆盖率", None, None, None, None, 99.1, None, 1.5, None])
    path = tmp_path / "导入模板.xlsx"
    book.save(path)
    questions = read_bank(path)
    assert [q.type for q in questions] == ["single", "truefalse", "numeric"]
    assert questions[0].correct_ids == ["C"] and questions[0].topic == "三会一课" and questions[0].points == 2
    assert questions[2].value == 99.1 and questions[2].points == 1.5
    # no ID column: ids come from the row, with an ASCII fallback for a Chinese file name
    assert [q.id for q in questions] == ["q-r3", "q-r4", "q-r5"]


def test_gift_every_feature():
    result = parse_bank(FIX / "moodle-style.gift")
    q = {x.id: x for x in result.questions}
    assert q["Q-single"].stem == "支部党员大会多久召开一次？"  # [html] turned into text
    assert q["Q-single"].correct_ids == ["b"] and q["Q-single"].options[0].feedback.startswith("支委会")
    assert q["Q-single"].explanation == "支部党员大会每季度召开一次。" and q["Q-single"].topic == "三会一课"
    multi = q["Q-multi"]
    assert multi.type == "multiple" and [o.fraction for o in multi.options] == [0.25, 0.25, 0.25, 0.25, -1.0]
    assert score_question(multi, ["a", "b"], "fraction") == 0.5
    assert score_question(multi, ["a", "b", "c", "d", "e"], "fraction") == 0.0
    assert q["Q-tf-true"].answer is True and q["Q-tf-false"].answer is False
    assert q["Q-tf-false"].explanation == "党课每半年进行一次。"
    assert q["Q-short"].blanks == [["入党日", "入党的日子"]]
    assert q["Q-missing"].stem == "党员是党的 _____ 和血液。" and q["Q-missing"].blanks == [["细胞"]]  # Moodle's five _
    assert (q["Q-num-tol"].value, q["Q-num-tol"].tolerance) == (99.1, 0.05)
    assert q["Q-num-range"].range == (140.0, 160.0)
    assert len(q["Q-match"].pairs) == 3 and q["Q-match"].distractors == ["每年一次"]
    assert q["Q-essay"].type == "essay" and "**你**" in q["Q-essay"].stem
    escaped = q["Q-escape"]
    assert escaped.stem == "比例 1:1、符号 = ~ # 与花括号 { } 都要转义。" and escaped.topic == "转义"
    assert [(a.text, a.feedback) for a in escaped.blanks[0]] == [("a=b", "反馈里也能 # 转义")]  # short-answer feedback kept
    # a description item imports as a description: shown, never scored
    assert result.problems == []
    assert q["Q-description"].type == "description" and q["Q-description"].points == 0
    assert result.lines["Q-description"] == 47


def test_moodle_xml_export():
    result = parse_bank(FIX / "moodle-export.xml")
    q = {x.id: x for x in result.questions}
    first = result.questions[0]  # a Chinese name is not an id: a stable fallback is used
    assert first.id == "moodle-export-002" and first.stem == "支部党员大会<strong>多久</strong>召开一次？"  # HTML kept, sanitised
    assert first.correct_ids == ["b"] and first.points == 2 and first.explanation == "每季度一次。"
    assert first.topic == "默认类别" and first.options[1].feedback == "对"
    assert [o.fraction for o in q["mc-weights"].options] == [0.3333333, 0.3333333, 0.3333333, -1.0]
    assert score_question(q["mc-weights"], ["a", "b", "c"], "fraction", 3) == 3.0
    assert q["tf"].answer is False
    assert q["sa"].stem == "政治生日是<u>哪一天</u>？" and q["sa"].blanks == [["入党日", "入党的日子"]]
    assert (q["num"].value, q["num"].tolerance) == (99.1, 0.05)
    assert q["essay"].type == "essay" and q["essay"].points == 10
    assert [p.left for p in q["match"].pairs] == ["支部党员大会", "支委会"] and q["match"].distractors == ["每年一次"]
    unsupported = [(p.line, p.message) for p in result.problems]
    assert [line for line, _ in unsupported] == [81, 86]
    assert "calculated" in unsupported[0][1] and "ddwtos" in unsupported[1][1]


def test_moodle_xml_refuses_entities():
    bomb = b'<?xml version="1.0"?><!DOCTYPE quiz [<!ENTITY a "aaaa">]><quiz>&a;</quiz>'
    from partyquiz.banks.moodle_xml import parse_bytes

    result = parse_bytes(bomb, "bomb.xml")
    assert not result.questions and "XML" in result.problems[0].message


def test_spreadsheet_errors_all_listed_with_row_and_column():
    result = parse_bank(FIX / "errors.csv")
    found = {(p.line, p.column): p.message for p in result.problems}
    assert "unknown question type '单项题'" in found[(3, "题型 (B)")]
    assert "answer letter E has no option" in found[(4, "答案 (H)")]
    assert "duplicate id 'b1'" in found[(5, "id")]
    assert "empty stem" in found[(6, "题干 (C)")]
    assert "true/false" in found[(7, "答案 (H)")]
    assert "'两分' is not a number" in found[(8, "分值 (J)")]
    assert "numeric" in found[(9, "答案 (H)")]
    assert len(result.problems) == 7
    assert [q.id for q in result.questions] == ["b1"]
    assert all(p.file.endswith("errors.csv") for p in result.problems)


def test_gift_and_moodle_errors_with_lines():
    result = parse_bank(FIX / "errors.gift")
    gift = {p.line: p.message for p in result.problems}
    assert "80%" in gift[1] and "0%" in gift[3] and "closing }" in gift[5]
    assert "三点一四" in gift[7] and "duplicate id 'dup'" in gift[17] and len(gift) == 5
    # a repeated name is allowed (as in Moodle): both import, the second under another id, with a warning
    (warning,) = result.warnings
    assert warning.line == 11 and "'ok'" in warning.message
    assert [(q.id, q.answer) for q in result.questions if q.type == "truefalse"][:2] == [("ok", True), ("errors-006", False)]
    moodle = {p.line: (p.column, p.message) for p in parse_bank(FIX / "errors-moodle.xml").problems}
    assert moodle[3] == ("answer/@fraction", moodle[3][1]) and "70%" in moodle[3][1]
    assert moodle[10][0] == "stem" and "100%" in moodle[18][1]  # a cloze part without a right answer


def test_a_bank_with_errors_imports_nothing_unless_keep_valid():
    files = [FIX / "errors.csv", FIX / "gbk-export.csv"]
    strict = import_banks(files)
    assert strict.questions == [] and len(strict.problems) == 7
    lenient = import_banks(files, keep_valid=True)
    assert len(lenient.questions) == 9 and len(lenient.problems) == 7
    with pytest.raises(InputError) as exc:
        read_bank(FIX / "errors.csv")
    assert len(exc.value.problems) == 7


def test_duplicate_ids_across_files_name_both_places(tmp_path):
    a = tmp_path / "a.gift"
    a.write_text("::same:: 一 {T}\n", encoding="utf-8")
    b = tmp_path / "b.gift"
    b.write_text("// comment\n\n::same:: 二 {F}\n", encoding="utf-8")
    result = import_banks([a, b])
    (problem,) = result.problems
    assert problem.file == str(b) and problem.line == 3 and f"{a}:1" in problem.message


def test_unknown_format_and_missing_file(tmp_path):
    assert "unsupported bank format" in parse_bank(tmp_path / "bank.docx").problems[0].message
    assert "not found" in parse_bank(tmp_path / "missing.csv").problems[0].message


def test_shipped_banks_cover_every_question_type():
    from partyquiz.model import QUESTION_TYPES

    banks = [p for p in (Path(__file__).parents[1] / "courses").glob("*/banks/*") if p.parent.parent.name != "jiaoyu-guanli"]
    questions = [q for bank in banks for q in read_bank(bank)]
    assert len(questions) >= 80
    # description and cloze join the shipped banks once every bank format carries them (H5, issue 14)
    assert {q.type for q in questions} == set(QUESTION_TYPES) - {"description", "cloze"}
    assert all(q.explanation.strip() for q in questions), "every shipped question has an explanation"
    assert {b.suffix for b in banks} >= {".yml", ".csv", ".gift", ".xml"}
