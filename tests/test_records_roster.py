"""Roster import: formats, encodings, every bad row named; sync into nbgrader's students."""
from __future__ import annotations

import pytest
from openpyxl import load_workbook

from partyquiz.errors import InputError
from partyquiz.records.roster import load_roster, split_name, sync_to_gradebook, write_roster
from helpers_records import ROSTER, empty_gradebook

HEADER = "工号,姓名,支部,单位,职务,人员类别,职级,身份证号\n"


def test_csv_in_gbk_and_utf8_bom_read_the_same(tmp_path):
    body = HEADER + "a01,张三,一支部,办公室,科员,党员,,110101199001011237\na02,李四,一支部,办公室,主任,书记和班子成员,,\n"
    gbk, bom = tmp_path / "gbk.csv", tmp_path / "bom.csv"
    gbk.write_bytes(body.encode("gbk"))
    bom.write_bytes(body.encode("utf-8-sig"))
    a, b = load_roster(gbk), load_roster(bom)
    assert a == b
    assert [(l.id, l.name, l.category) for l in a] == [("a01", "张三", "党员"), ("a02", "李四", "书记和班子成员")]
    assert a[0].id_number == "110101199001011237"


def test_every_bad_row_is_reported_with_its_row_number(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text(
        HEADER
        + "a01,张三,一支部,办公室,科员,党员,,\n"
        + "a01,李四,一支部,办公室,科员,党员,,\n"  # row 3: duplicate id
        + "a03,王五,二支部,办公室,科员,党外人士,,\n"  # row 4: unknown category
        + "a04,,二支部,办公室,科员,党员,,\n"  # row 5: no name
        + "a05,赵六,二支部,办公室,科员,党员,,12345\n",  # row 6: malformed ID number
        encoding="utf-8",
    )
    with pytest.raises(InputError) as err:
        load_roster(path)
    text = str(err.value)
    assert f"{path}:3" in text and "重复" in text
    assert f"{path}:4" in text and "党外人士" in text
    assert f"{path}:5" in text and "姓名" in text
    assert f"{path}:6" in text and "身份证号" in text
    assert len(err.value.problems) == 4


def test_missing_required_column_names_it(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("工号,姓名,单位\na01,张三,办公室\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_roster(path)
    assert "支部" in str(err.value) and "人员类别" in str(err.value) and f"{path}:1" in str(err.value)


def test_xlsx_round_trip_keeps_leading_zeros_and_id_numbers(tmp_path):
    roster = [*ROSTER, ROSTER[0].model_copy(update={"id": "007", "name": "诸葛亮"})]
    path = write_roster(roster, tmp_path / "roster.xlsx")
    ws = load_workbook(path).active
    assert [c.value for c in ws[1]][:6] == ["工号", "姓名", "支部", "单位", "职务", "人员类别"]
    assert ws.freeze_panes == "A2"
    assert load_roster(path) == roster


def test_compound_surnames_stay_whole():
    assert split_name("欧阳娜") == ("欧阳", "娜")
    assert split_name("张三") == ("张", "三")


def test_sync_creates_and_updates_students(tmp_path):
    from nbgrader.api import Gradebook

    url = empty_gradebook(tmp_path / "gradebook.db")
    sync_to_gradebook(ROSTER, url)
    renamed = [ROSTER[0].model_copy(update={"name": "张三丰"}), *ROSTER[1:]]
    sync_to_gradebook(renamed, url)
    with Gradebook(url) as gb:
        students = {s.id: (s.last_name, s.first_name) for s in gb.students}
    assert students == {"a01": ("张", "三丰"), "a02": ("李", "四"), "a03": ("欧阳", "娜"), "a04": ("王", "五")}


def test_id_number_stored_as_an_excel_number_is_refused(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["工号", "姓名", "支部", "人员类别", "身份证号"])
    wb.active.append(["a01", "张三", "一支部", "党员", 110101199001011237])  # Excel keeps 15 digits
    wb.save(tmp_path / "r.xlsx")
    with pytest.raises(InputError) as err:
        load_roster(tmp_path / "r.xlsx")
    assert f"{tmp_path / 'r.xlsx'}:2" in str(err.value) and "文本" in str(err.value)


def test_csv_export_neutralises_formulas_and_still_round_trips(tmp_path):
    from partyquiz.model import Learner

    hostile = [Learner(id="h01", name='=HYPERLINK("http://evil.example","点我")', branch="@SUM(1)", unit="-2-3",
                       position="+1", category="党员"),
               Learner(id="h02", name="正常", branch="一支部", unit="=1+1", category="党员")]
    path = write_roster(hostile, tmp_path / "roster.csv", include_id_numbers=False)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM for Excel
    text = raw.decode("utf-8-sig")
    # every formula-looking cell starts with ' so a spreadsheet shows it as text and never runs it
    for cell in ("'=HYPERLINK(", "'@SUM(1)", "'-2-3", "'+1", "'=1+1"):
        assert cell in text, cell
    for line in text.splitlines()[1:]:
        for cell in line.split(","):
            assert not cell.lstrip('"').startswith(("=", "@", "+", "-")), line
    assert load_roster(path) == hostile  # read back exactly as written
