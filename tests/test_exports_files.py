"""Exports read back with openpyxl, as CSV with BOM, through a template, and as PDF via LibreOffice."""
from __future__ import annotations

import csv
import shutil
import subprocess

import pytest
from openpyxl import load_workbook

from conftest import require
from helpers_records import COURSE, ROSTER, empty_gradebook, small_gradebook, sqlite_url
from partyquiz.errors import InputError
from partyquiz.exports import export_all
from partyquiz.exports.template import load_template
from partyquiz.exports.views import mask_id_number
from partyquiz.records.rollin import roll_in


@pytest.fixture(scope="module")
def ledger(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("exports")
    gradebook = empty_gradebook(tmp / "gradebook.db")
    small_gradebook(gradebook)
    url = sqlite_url(tmp / "ledger.db")
    roll_in(url, gradebook, [COURSE], roster=ROSTER, batch_id="b1")
    return url


def _sheet(path):
    ws = load_workbook(path).active
    return ws, [[c.value for c in row] for row in ws.iter_rows()]


def _csv(path):
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel on Chinese Windows reads UTF-8 right
    return list(csv.reader(raw.decode("utf-8-sig").splitlines()))


def test_training_file_has_the_fields_formats_and_no_id_numbers(ledger, tmp_path):
    files = export_all(ledger, tmp_path)
    assert [p.name for p in files] == ["培训档案.xlsx", "培训档案.csv", "年度学时汇总.xlsx", "年度学时汇总.csv", "支部汇总.xlsx", "支部汇总.csv", "干部培训系统导入.csv"]
    ws, rows = _sheet(tmp_path / "培训档案.xlsx")
    header = rows[0]
    for name in ("姓名", "单位", "职务", "培训名称", "主办单位", "培训机构", "起止时间", "培训形式", "学时", "考核结果", "备注", "支部", "成绩", "是否合格", "完成日期"):
        assert name in header
    assert "身份证号" not in header
    assert ws.freeze_panes == "A2" and ws.column_dimensions["F"].width >= 16  # 7 wide characters
    assert ws.page_setup.orientation == "landscape" and ws.print_title_rows == "$1:$1"  # prints legibly
    first = dict(zip(header, rows[1]))
    assert (first["姓名"], first["培训名称"], first["学时"], first["成绩"], first["考核结果"]) == ("张三", "党章学习：总纲", 2, 90, "优秀")
    assert first["起止时间"] == "2026.03.02—2026.03.02" and first["完成日期"].year == 2026
    assert ws.cell(row=2, column=header.index("学时") + 1).number_format == "0.0#"
    assert "110101199001011234" not in (tmp_path / "培训档案.csv").read_text(encoding="utf-8-sig")
    assert _csv(tmp_path / "培训档案.csv")[0] == header
    failed = [dict(zip(header, r)) for r in rows[1:] if r[header.index("姓名")] == "李四"][0]
    assert (failed["考核结果"], failed["学时"], failed["备注"]) == ("不合格", 0, "未通过，需补考")


def test_id_numbers_only_when_turned_on(ledger, tmp_path):
    export_all(ledger, tmp_path, reveal_id_numbers=True)
    _, rows = _sheet(tmp_path / "培训档案.xlsx")
    assert rows[0][2] == "身份证号" and rows[1][2] == "110101199001011234"
    assert "110101199001011234" in (tmp_path / "干部培训系统导入.csv").read_text(encoding="utf-8-sig")
    assert mask_id_number("110101199001011234") == "110101********1234"


def test_yearly_hours_summary_uses_each_categorys_requirement(ledger, tmp_path):
    export_all(ledger, tmp_path, year=2026)
    _, rows = _sheet(tmp_path / "年度学时汇总.xlsx")
    by_id = {r[0]: dict(zip(rows[0], r)) for r in rows[1:]}
    assert rows[0] == ["工号", "姓名", "支部", "人员类别", "职级", "年度", "要求类别", "统计区间", "要求学时", "已获学时", "差额", "状态"]
    assert (by_id["a01"]["要求学时"], by_id["a01"]["已获学时"], by_id["a01"]["差额"], by_id["a01"]["状态"]) == (32, 3, 29, "未达标")
    assert (by_id["a02"]["要求类别"], by_id["a02"]["要求学时"], by_id["a02"]["已获学时"]) == ("书记和班子成员", 56, 0)
    assert (by_id["a03"]["要求类别"], by_id["a03"]["统计区间"]) == ("发展对象", "截至2026")
    # a cadre of 县处级 rank: 550 hours over five years; no record at all still shows a row
    assert (by_id["a04"]["要求类别"], by_id["a04"]["统计区间"], by_id["a04"]["要求学时"]) == ("县处级及以上干部", "2022—2026", 550)


def test_branch_summary_counts_members_short_of_hours(ledger, tmp_path):
    export_all(ledger, tmp_path)
    ws, rows = _sheet(tmp_path / "支部汇总.xlsx")
    one = dict(zip(rows[0], rows[1]))
    assert (one["支部"], one["党员人数"], one["已参学人数"], one["全部合格人数"], one["学时未达标人数"]) == ("一支部", 2, 2, 1, 2)
    assert one["完成率"] == 0.5 and ws.cell(row=2, column=6).number_format == "0.0%"


def test_template_sets_columns_names_and_order(ledger, tmp_path):
    tmpl = tmp_path / "t.yml"
    tmpl.write_text("file: out.csv\nencoding: gb18030\ndelimiter: \"\\t\"\ndate_format: \"%Y%m%d\"\nonly_passed: true\n"
                    "columns:\n  - {header: 编号, field: learner_id}\n  - {header: 日期, field: end_date}\n"
                    "  - {header: 形式, field: form, map: {在线: '03'}}\n  - {header: 来源, value: 党校}\n", encoding="utf-8")
    export_all(ledger, tmp_path, template=tmpl)
    lines = (tmp_path / "out.csv").read_bytes().decode("gb18030").splitlines()
    assert lines[0] == "编号\t日期\t形式\t来源"
    assert lines[1] == "a01\t20260302\t03\t党校"
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
    assert [r[5] for r in rows[1:]] == ["党章学习：总纲", "党章学习：党员"] and {r[0] for r in rows[1:]} == {"a01"}


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
    assert "李四" in {r[1] for r in training} and "李四" not in {r[1] for r in yearly}
    _, branches = _sheet(tmp_path / "out" / "支部汇总.xlsx")
    assert branches[1][:3] == ["一支部", 2026, 1]
