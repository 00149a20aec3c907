"""Exports read back with openpyxl, as CSV with BOM, through a template, and as PDF via LibreOffice.

The hand-worked ledger (helpers_records): c1 "党章学习" is an online course of two lessons,
l1 2 学时 (120 expected minutes) and l2 1 学时 (60 minutes); 1 hour = 1 学时, so a passed lesson
earns its hours. a01 passes both (9/10, 7/10), a02 fails l1 (5/10), a03 passes both (10, 6).
"""
from __future__ import annotations

import csv
import datetime as dt
import shutil
import subprocess

import pytest
from openpyxl import load_workbook

from bulk_gradebook import Sub, build_gradebook
from conftest import require
from helpers_records import COURSE, ROSTER, empty_gradebook, small_gradebook, sqlite_url
from partyquiz.errors import InputError
from partyquiz.exports import export_all
from partyquiz.exports.template import load_template
from partyquiz.exports.views import mask_id_number
from partyquiz.model import Course, Learner, Lesson
from partyquiz.records.rollin import roll_in

ID_A01 = "110101199001011237"  # passes the GB 11643 check


@pytest.fixture(scope="module")
def ledger(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("exports")
    gradebook = empty_gradebook(tmp / "gradebook.db")
    small_gradebook(gradebook)
    url = sqlite_url(tmp / "ledger.db")
    roll_in(url, gradebook, [COURSE], roster=ROSTER, batch_id="b1")
    return url


def _sheet(path, name=None):
    wb = load_workbook(path)
    ws = wb[name] if name else wb.worksheets[0]
    return ws, [[c.value for c in row] for row in ws.iter_rows()]


def _dicts(rows):
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def _csv(path):
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel on Chinese Windows reads UTF-8 right
    return list(csv.reader(raw.decode("utf-8-sig").splitlines()))


def test_training_file_is_one_row_per_training_class_with_a_lesson_sheet(ledger, tmp_path):
    files = export_all(ledger, tmp_path)
    assert [p.name for p in files] == ["培训档案.xlsx", "培训档案.csv", "培训档案-课时明细.csv", "年度学时汇总.xlsx", "年度学时汇总.csv",
                                       "支部汇总.xlsx", "支部汇总.csv", "干部培训系统导入.csv"]
    ws, rows = _sheet(tmp_path / "培训档案.xlsx")
    header = rows[0]
    for name in ("姓名", "单位", "职务", "职级", "人员类别", "培训名称", "培训类别", "主办单位", "培训机构", "起止时间", "培训形式",
                 "学时", "考核结果", "证书", "备注", "档案编号", "建档时间", "更新时间"):
        assert name in header, name
    assert "身份证号" not in header
    assert ws.freeze_panes == "A2" and ws.page_setup.orientation == "landscape" and ws.print_title_rows == "$1:$1"
    by_name = {d["姓名"]: d for d in _dicts(rows)}
    assert len(rows) == 4  # a01, a02, a03: one class each, lessons rolled up
    one = by_name["张三"]
    # 培训名称 is the class, not "course：lesson"; 2 + 1 学时; mean of 90 and 70
    assert (one["培训名称"], one["课时数"], one["学时"], one["成绩"], one["考核结果"], one["证书"]) == ("党章学习", 2, 3, 80, "良好", "结业证书")
    assert (one["档案编号"], one["培训类别"], one["人员类别"], one["起止时间"]) == ("PXa01", "自主选学", "党员", "2026.03.02—2026.03.02")
    assert one["建档时间"].date() == dt.date(2026, 3, 2) and one["更新时间"] is not None
    failed = by_name["李四"]
    assert (failed["考核结果"], failed["学时"], failed["证书"]) == ("不合格", 0, None) and "未通过：总纲" in failed["备注"]
    assert ws.cell(row=2, column=header.index("学时") + 1).number_format == "0.0#"
    _, lessons = _sheet(tmp_path / "培训档案.xlsx", "课时明细")
    detail = _dicts(lessons)
    assert [(d["姓名"], d["课时名称"], d["学时"]) for d in detail if d["姓名"] == "张三"] == [("张三", "总纲", 2), ("张三", "党员", 1)]
    assert _csv(tmp_path / "培训档案-课时明细.csv")[0] == lessons[0]
    assert _csv(tmp_path / "培训档案.csv")[0] == header


def test_id_numbers_go_only_into_the_import_file_and_only_when_turned_on(ledger, tmp_path):
    export_all(ledger, tmp_path / "hidden")
    assert ID_A01 not in (tmp_path / "hidden" / "干部培训系统导入.csv").read_text(encoding="utf-8-sig")
    export_all(ledger, tmp_path, reveal_id_numbers=True)
    for name in ("培训档案.csv", "培训档案-课时明细.csv", "年度学时汇总.csv", "支部汇总.csv"):
        assert ID_A01 not in (tmp_path / name).read_text(encoding="utf-8-sig"), name
    imported = _csv(tmp_path / "干部培训系统导入.csv")
    header = imported[0]
    assert header[0] == "身份证号" and "职务" in header and "职级" in header
    body = [dict(zip(header, r)) for r in imported[1:]]
    # only credited rows: 李四's failed 0-学时 class is not imported; one row per class
    assert [(r["姓名"], r["身份证号"], r["学时"], r["培训班名称"]) for r in body] == [("张三", ID_A01, "3", "党章学习"), ("欧阳娜", "", "3", "党章学习")]
    assert mask_id_number(ID_A01) == "110101********1237"


def test_yearly_hours_summary_uses_each_categorys_requirement(ledger, tmp_path):
    export_all(ledger, tmp_path, year=2026)
    _, rows = _sheet(tmp_path / "年度学时汇总.xlsx")
    by_id = {r[0]: dict(zip(rows[0], r)) for r in rows[1:]}
    assert rows[0] == ["工号", "姓名", "支部", "人员类别", "职级", "年度", "要求类别", "统计区间", "要求学时", "计入要求学时", "差额",
                       "状态", "说明", "本年度学时"]
    # a member's 3 online hours do not count toward the 32 of concentrated training and collective study
    a01 = by_id["a01"]
    assert (a01["要求学时"], a01["计入要求学时"], a01["差额"], a01["状态"], a01["本年度学时"]) == (32, 0, 32, "未达标", 3)
    assert (by_id["a02"]["要求类别"], by_id["a02"]["要求学时"], by_id["a02"]["说明"]) == ("书记和班子成员", 56, "集中培训0/1次")
    assert (by_id["a03"]["要求类别"], by_id["a03"]["统计区间"], by_id["a03"]["计入要求学时"]) == ("发展对象", "截至2026", 0)
    # a cadre of 县处级 rank: 550 hours over five years; no record at all still shows a row
    assert (by_id["a04"]["要求类别"], by_id["a04"]["统计区间"], by_id["a04"]["要求学时"]) == ("县处级及以上干部", "2022—2026", 550)
    assert by_id["a04"]["说明"] == "网络自学0/50学时"


def test_branch_summary_counts_party_members_and_completion_once(ledger, tmp_path):
    export_all(ledger, tmp_path)
    ws, rows = _sheet(tmp_path / "支部汇总.xlsx")
    table = _dicts(rows)
    one = table[0]
    assert (one["支部"], one["年度"], one["课程（班次）"], one["在册人数"], one["其中党员"], one["已参学人数"], one["全部合格人数"],
            one["学时合计"], one["学时未达标人数"]) == ("一支部", 2026, "（全部课程）", 2, 2, 2, 1, 3, 2)
    # 完成率 is one number in both files: 50.0 (per cent), not 0.5 in one and 50 % in the other
    assert one["完成率（%）"] == 50 and _csv(tmp_path / "支部汇总.csv")[1][7] == "50"
    assert ws.cell(row=2, column=8).number_format == "0.0#"
    two = next(d for d in table if d["支部"] == "二支部" and d["课程（班次）"] == "（全部课程）")
    # 二支部 holds a 发展对象 and a cadre of no party category: 发展对象 is not a party member
    assert (two["在册人数"], two["其中党员"]) == (2, 0)
    assert [d["课程（班次）"] for d in table if d["支部"] == "一支部"] == ["（全部课程）", "党章学习"]


TWO_YEARS = [
    # (learner, assignment, score of 10, UTC time): 2025 and 2026 in Beijing time
    ("a01", "c1-l1", 9, dt.datetime(2025, 6, 1, 2, 0)), ("a01", "c1-l2", 7, dt.datetime(2026, 3, 2, 2, 0)),
    ("a03", "c1-l1", 10, dt.datetime(2026, 3, 2, 2, 0)), ("a03", "c1-l2", 6, dt.datetime(2025, 11, 1, 2, 0)),
    ("a02", "c1-l1", 5, dt.datetime(2026, 3, 2, 2, 0)),
    ("a04", "c1-l1", 8, dt.datetime(2025, 12, 31, 20, 0)),  # 2026-01-01 04:00 in Beijing: 2026
]


@pytest.fixture(scope="module")
def two_year_ledger(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("two-years")
    gradebook = empty_gradebook(tmp / "gradebook.db")
    build_gradebook(gradebook, {"c1-l1": 10.0, "c1-l2": 10.0}, [Sub(s, a, float(v), t) for s, a, v, t in TWO_YEARS])
    url = sqlite_url(tmp / "ledger.db")
    roll_in(url, gradebook, [COURSE], roster=ROSTER)
    return url


def test_two_years_every_summary_agrees_for_each_year(two_year_ledger, tmp_path):
    export_all(two_year_ledger, tmp_path)
    _, yearly = _sheet(tmp_path / "年度学时汇总.xlsx")
    _, branches = _sheet(tmp_path / "支部汇总.xlsx")
    yearly, branches = _dicts(yearly), _dicts(branches)
    totals = {(d["支部"], d["年度"]): d for d in branches if d["课程（班次）"] == "（全部课程）"}
    # by hand: 2025 一支部 a01 l1 2 | 二支部 a03 l2 1; 2026 一支部 a01 l2 1 | 二支部 a03 l1 2 + a04 l1 2
    expected_hours = {("一支部", 2025): 2, ("二支部", 2025): 1, ("一支部", 2026): 1, ("二支部", 2026): 4}
    for (branch, year), hours in expected_hours.items():
        summed = sum(d["本年度学时"] for d in yearly if d["支部"] == branch and d["年度"] == year)
        assert summed == hours == totals[(branch, year)]["学时合计"], (branch, year)
        short = sum(1 for d in yearly if d["支部"] == branch and d["年度"] == year and d["状态"] == "未达标")
        assert short == totals[(branch, year)]["学时未达标人数"], (branch, year)
    # 已参学 per year; 全部合格: both lessons passed by the end of the year (a01 and a03 only in 2026)
    assert [(totals[k]["已参学人数"], totals[k]["全部合格人数"]) for k in sorted(totals)] == [(1, 0), (2, 1), (1, 0), (2, 1)]
    # the training file of one year holds that year's lessons only
    export_all(two_year_ledger, tmp_path / "y2025", year=2025)
    _, lessons = _sheet(tmp_path / "y2025" / "培训档案.xlsx", "课时明细")
    assert sorted((d["姓名"], d["课时名称"]) for d in _dicts(lessons)) == [("张三", "总纲"), ("欧阳娜", "党员")]
    _, b2025 = _sheet(tmp_path / "y2025" / "支部汇总.xlsx")
    assert {d["年度"] for d in _dicts(b2025)} == {2025}


def test_all_passed_is_per_assigned_course(tmp_path):
    """Branches on different courses: passing one's own course is 全部合格 for that branch."""
    other = Course(id="c2", title="党史学习", form="脱产", year=2026, lessons=[Lesson(id="l1", title="开天辟地", file="l.md", hours=4)])
    roster = [Learner(id="x1", name="甲", branch="一支部", category="党员"), Learner(id="y1", name="乙", branch="二支部", category="党员")]
    gradebook = empty_gradebook(tmp_path / "gradebook.db")
    when = dt.datetime(2026, 5, 1, 2, 0)
    build_gradebook(gradebook, {"c1-l1": 10.0, "c1-l2": 10.0, "c2-l1": 10.0},
                    [Sub("x1", "c1-l1", 9, when), Sub("x1", "c1-l2", 9, when), Sub("y1", "c2-l1", 9, when)])
    url = sqlite_url(tmp_path / "ledger.db")
    roll_in(url, gradebook, [COURSE, other], roster=roster)
    export_all(url, tmp_path / "out")
    _, rows = _sheet(tmp_path / "out" / "支部汇总.xlsx")
    totals = {d["支部"]: d for d in _dicts(rows) if d["课程（班次）"] == "（全部课程）"}
    assert totals["一支部"]["全部合格人数"] == 1 and totals["二支部"]["全部合格人数"] == 1
    # the 4 学时 of concentrated training count toward 乙's 32; 甲's 3 online hours do not
    _, yearly = _sheet(tmp_path / "out" / "年度学时汇总.xlsx")
    counted = {d["工号"]: d["计入要求学时"] for d in _dicts(yearly)}
    assert counted == {"x1": 0, "y1": 4}


def _same_material_ledger(tmp_path, category: str = "干部") -> str:
    """x1 passed two lessons of one same_material group (shipped rules.yml): the full course's
    unit (1 学时, 60 min) and the demo's (0.75 学时, 45 min), which repeats it."""
    full = Course(id="changxiao-jizhi", title="四个长效机制专题", year=2026,
                  lessons=[Lesson(id="l2", title="建立四个长效机制", file="l.md", hours=1, minutes=60)])
    demo = Course(id="jiaoyu-guanli", title="党员教育管理的四个长效机制", year=2026,
                  lessons=[Lesson(id="l1", title="三会一课与四个长效机制", file="l.md", hours=1, minutes=45)])
    gradebook = empty_gradebook(tmp_path / "gradebook.db")
    when = dt.datetime(2026, 5, 1, 2, 0)
    build_gradebook(gradebook, {"changxiao-jizhi-l2": 10.0, "jiaoyu-guanli-l1": 10.0},
                    [Sub("x1", "changxiao-jizhi-l2", 9, when), Sub("x1", "jiaoyu-guanli-l1", 9, when)])
    url = sqlite_url(tmp_path / "ledger.db")
    roll_in(url, gradebook, [full, demo], roster=[Learner(id="x1", name="甲", branch="一支部", category=category)])
    return url


def test_the_same_material_is_credited_once(tmp_path):
    url = _same_material_ledger(tmp_path)
    export_all(url, tmp_path / "out")
    _, lessons = _sheet(tmp_path / "out" / "培训档案.xlsx", "课时明细")
    got = {d["培训名称"]: (d["学时"], d["备注"]) for d in _dicts(lessons)}
    # 1 学时 (60 min) for the full course's unit; the demo's 0.75 is the same material: 0
    assert got["四个长效机制专题"] == (1, None)
    assert got["党员教育管理的四个长效机制"][0] == 0 and "学时只计一次" in got["党员教育管理的四个长效机制"][1]
    _, yearly = _sheet(tmp_path / "out" / "年度学时汇总.xlsx")
    assert _dicts(yearly)[0]["本年度学时"] == 1


def test_the_evaluations_study_time_credits_the_same_material_once(tmp_path):
    """量化考评's 学时完成率 counts x1's 1 学时 of the year (年度学时汇总's 本年度学时), not 1.75:
    1 of a 党员's 32 学时 = 3.125 %, in the function and in the 培训档案's 年度考评 sheet."""
    from partyquiz.records.evaluation import record_evaluation, yearly_evaluation

    url = _same_material_ledger(tmp_path, category="党员")
    record_evaluation(url, "x1", 2026, study_style="良")  # an instructor's evaluation: the 年度考评 sheet is written
    [x1] = yearly_evaluation(url, 2026)
    assert x1["indicators"]["study_time"] == pytest.approx(100 / 32, abs=0.005)
    export_all(url, tmp_path / "out")
    _, yearly = _sheet(tmp_path / "out" / "培训档案.xlsx", "年度考评")
    assert _dicts(yearly)[0]["综合得分"] == x1["score"]
    _, hours = _sheet(tmp_path / "out" / "年度学时汇总.xlsx")
    assert _dicts(hours)[0]["本年度学时"] == 1


def test_template_sets_columns_names_and_order(ledger, tmp_path):
    tmpl = tmp_path / "t.yml"
    tmpl.write_text("file: out.csv\nencoding: gb18030\ndelimiter: \"\\t\"\ndate_format: \"%Y%m%d\"\nonly_passed: true\nrows: lesson\n"
                    "columns:\n  - {header: 编号, field: learner_id}\n  - {header: 日期, field: end_date}\n"
                    "  - {header: 形式, field: form, map: {在线: '03'}}\n  - {header: 来源, value: 党校}\n", encoding="utf-8")
    export_all(ledger, tmp_path, template=tmpl)
    lines = (tmp_path / "out.csv").read_bytes().decode("gb18030").splitlines()
    assert lines[0] == "编号\t日期\t形式\t来源"
    assert lines[1] == "a01\t20260302\t03\t党校" and len(lines) == 5  # a01 ×2, a03 ×2: one per passed lesson
    assert not any(line.startswith("a02") for line in lines)  # only passed records


def test_bad_template_names_file_and_column(tmp_path):
    tmpl = tmp_path / "bad.yml"
    tmpl.write_text("columns:\n  - {header: 编号, field: learner_id}\n  - {header: 工资, field: salary}\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_template(tmpl)
    assert str(tmpl) in str(err.value) and "columns[2]" in str(err.value) and "salary" in str(err.value)


@pytest.mark.slow
def test_xlsx_converts_to_pdf_with_chinese_headers(ledger, tmp_path):
    require(shutil.which("soffice") is not None and shutil.which("pdftotext") is not None, "LibreOffice and pdftotext")
    export_all(ledger, tmp_path)
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to", "pdf",
                    "--outdir", str(tmp_path / "pdf"), str(tmp_path / "支部汇总.xlsx"), str(tmp_path / "培训档案.xlsx")],
                   check=True, capture_output=True, timeout=120)
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "pdf" / "培训档案.pdf"), "-"], capture_output=True, text=True, check=True).stdout
    for word in ("姓名", "培训名称", "考核结果", "张三", "党章学习"):
        assert word in text
    branch = subprocess.run(["pdftotext", str(tmp_path / "pdf" / "支部汇总.pdf"), "-"], capture_output=True, text=True, check=True).stdout
    assert "学时未达标人数" in branch and "一支部" in branch


def test_one_training_file_per_learner_on_request(ledger, tmp_path):
    files = export_all(ledger, tmp_path, per_learner=True)
    mine = tmp_path / "培训档案" / "a01-张三.xlsx"
    assert mine in files
    _, rows = _sheet(mine)
    assert [d["培训名称"] for d in _dicts(rows)] == ["党章学习"] and {d["工号"] for d in _dicts(rows)} == {"a01"}


def test_members_who_left_keep_their_records_but_leave_the_summaries(tmp_path):
    from partyquiz.records.roster import store_roster

    gradebook = empty_gradebook(tmp_path / "gradebook.db")
    small_gradebook(gradebook)
    url = sqlite_url(tmp_path / "ledger.db")
    roll_in(url, gradebook, [COURSE], roster=ROSTER)
    store_roster([p for p in ROSTER if p.id != "a02"], url)  # 李四 has left
    export_all(url, tmp_path / "out")
    _, training = _sheet(tmp_path / "out" / "培训档案.xlsx")
    _, yearly = _sheet(tmp_path / "out" / "年度学时汇总.xlsx")
    assert "李四" in {r[2] for r in training} and "李四" not in {r[1] for r in yearly}
    _, branches = _sheet(tmp_path / "out" / "支部汇总.xlsx")
    assert branches[1][:4] == ["一支部", 2026, "（全部课程）", 1]


# the year-end split, with rows as roll-in and the activity store produce them: test_exports_activities.py
