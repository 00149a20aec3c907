"""Offline activities: sign-in sheets (xlsx, GBK csv, bad rows), hours credited by rule
(hand-worked), and the exports holding offline hours beside the online ones."""
from __future__ import annotations

import csv
import re
import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from helpers_records import ROSTER, sqlite_url
from partyquiz.errors import InputError
from partyquiz.records import activities as A
from partyquiz.records import ledger as L
from partyquiz.records.roster import store_roster

RULES = A.load_activity_rules()


def _session(kind: str, **length) -> A.Session:
    return A.Session(kind=kind, title="t", date=dt.date(2026, 3, 1), **length)


@pytest.mark.parametrize("kind, length, hours", [
    ("集中培训", {"days": 1}, 8),  # a day = 8
    ("集中培训", {"days": 3}, 24),  # 3 × 8
    ("集中培训", {"days": 1.5}, 12),  # 8 + half a day 4
    ("专题讲座", {"days": 0.5}, 4),  # half a day = 4
    ("集中培训", {"days": 0.3}, 0),  # less than half a day earns nothing by days
    ("党课", {"clock_hours": 2}, 2),  # branch study 1 an hour
    ("集体学习", {"clock_hours": 100 / 60}, 1.5),  # 1 h 40 min → 1.67 → down to 1.5
    ("党小组会", {"clock_hours": 0.75}, 0.5),  # 45 min → 0.5
    ("党课", {"days": 0.5}, 4),  # a kind credited by hours, but the sheet gives half a day
    ("专题讲座", {"clock_hours": 3}, 3),  # a kind credited by days, but the sheet gives hours
])
def test_hours_credited_by_rule(kind, length, hours):
    assert RULES.hours_for(_session(kind, **length)) == hours


@pytest.mark.parametrize("text, expected", [
    ("全天", (1.0, None)), ("半天", (0.5, None)), ("3天", (3.0, None)), ("2小时", (None, 2.0)),
    ("1.5h", (None, 1.5)), ("90分钟", (None, 1.5)), ("2", (None, 2.0)),
])
def test_length_as_sheets_write_it(text, expected):
    assert A.parse_length(text) == expected


def test_dates_as_sheets_write_them():
    assert A.parse_date_range("2026年3月15日") == (dt.date(2026, 3, 15), None)
    assert A.parse_date_range("2026/4/1至2026/4/3") == (dt.date(2026, 4, 1), dt.date(2026, 4, 3))
    assert A.parse_date_range("2026-03-15 00:00:00") == (dt.date(2026, 3, 15), None)  # an Excel date cell
    with pytest.raises(ValueError, match="日期"):
        A.parse_date_range("三月")


def write_xlsx(path: Path, meta: list[tuple[str, str]], header: list[str], rows: list[list]) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.append(["一支部2026年3月党课签到表"])  # a title line, as branches write it: ignored
    for key, value in meta:
        ws.append([f"{key}：{value}"])
    ws.append(header)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def write_csv(path: Path, meta: list[tuple[str, str]], header: list[str], rows: list[list], encoding: str) -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        for key, value in meta:
            writer.writerow([key, value])  # the key and the value in two cells also works
        writer.writerow(header)
        writer.writerows(rows)
    return path


def party_lecture(folder: Path) -> Path:
    """一支部 党课, 2 hours: a01 attended, a02 on leave → a01 earns 2."""
    return write_xlsx(folder / "党课签到表.xlsx",
                      [("会议名称", "学习党章"), ("活动类型", "党课"), ("日期", "2026年3月15日"), ("时长", "2小时"),
                       ("主讲人", "李四"), ("支部", "一支部")],
                      ["序号", "工号", "姓名", "签到", "备注"], [[1, "a01", "张三", "出席", ""], [2, "a02", "李四", "请假", "出差"]])


def training_gbk(folder: Path) -> Path:
    """二支部 集中培训 over 3 days: 欧阳娜 (by name) and 王五 attend → 24 each."""
    return write_csv(folder / "集中培训签到.csv",
                     [("培训名称", "党支部书记培训班"), ("类型", "集中培训"), ("时间", "2026-04-01至2026-04-03"), ("时长", "3天"),
                      ("组织单位", "机关党委"), ("支部", "二支部"), ("形式", "脱产")],
                     ["姓名", "出席情况"], [["欧阳娜", "√"], ["王五", "出席"]], "gbk")


def lecture_half_day(folder: Path) -> Path:
    """一支部 专题讲座, half a day: a01 and a02 sign → 4 each."""
    return write_xlsx(folder / "讲座.xlsx", [("活动名称", "党史专题讲座"), ("类型", "专题讲座"), ("日期", "2026-05-20"),
                                            ("时长", "半天"), ("支部", "一支部")],
                      ["姓名", "工号", "签名"], [["张三", "a01", "张三"], ["李四", "a02", "李四"]])


@pytest.fixture
def ledger(tmp_path):
    url = sqlite_url(tmp_path / "ledger.db")
    store_roster(ROSTER, url)
    return url


def test_good_sheets_xlsx_and_gbk_csv(ledger, tmp_path):
    results = A.import_attendance(ledger, [party_lecture(tmp_path), training_gbk(tmp_path)])
    assert [r.problems for r in results] == [[], []] and all(r.stored for r in results)
    sessions = A.list_sessions(ledger)
    assert [(s["kind"], s["branch"], s["date"], s["hours"], s["attended"], s["leave"], s["absent"]) for s in sessions] == [
        ("党课", "一支部", dt.date(2026, 3, 15), 2.0, 1, 1, 0),
        ("集中培训", "二支部", dt.date(2026, 4, 1), 24.0, 2, 0, 0)]
    assert sessions[1]["end_date"] == dt.date(2026, 4, 3) and sessions[1]["organiser"] == "机关党委"
    with L.engine_for(ledger) as engine, engine.connect() as conn:
        notes = dict(conn.execute(sa.select(L.attendance.c.learner_id, L.attendance.c.note)).all())
    assert notes["a02"] == "出差"
    # the same sheet again replaces that session's attendance: nothing doubles
    A.import_attendance(ledger, [party_lecture(tmp_path)])
    assert len(A.list_sessions(ledger)) == 2
    assert A.list_sessions(ledger, branch="二支部", kind="集中培训")[0]["attended"] == 2


def test_bad_sheet_stores_nothing_and_names_file_and_rows(ledger, tmp_path):
    bad = write_xlsx(tmp_path / "坏的签到表.xlsx",
                     [("会议名称", "支部党员大会"), ("类型", "支部党员大会"), ("日期", "2026-03-30"), ("时长", "1小时"), ("支部", "一支部")],
                     ["工号", "姓名", "签到"],
                     [["a01", "张三", "出席"], ["zz9", "赵六", "出席"], ["a02", "李四", "迟到?"], ["a01", "张三", "出席"], ["a03", "王二", "出席"]])
    results = A.import_attendance(ledger, [bad, lecture_half_day(tmp_path)])
    problems = results[0].problems
    assert not results[0].stored and results[1].stored  # the rest of the batch goes on
    assert all(p.file.endswith("坏的签到表.xlsx") for p in problems)
    # title line 1, five meta lines 2–6, header 7: people from row 8
    assert [(p.line, re.sub(r"\s*/ [A-Za-z].*$", "", p.message)) for p in problems] == [
        (9, "“zz9”不在花名册中"),
        (10, "签到一栏“迟到?”无法识别（出席 / 请假 / 缺席）"),
        (11, "a01 张三 重复出现（第 8 行）"),
        (12, "工号 a03 在花名册中是“欧阳娜”，签到表写的是“王二”"),
    ]
    assert [s["kind"] for s in A.list_sessions(ledger)] == ["专题讲座"]


def test_missing_lines_and_unknown_kind(ledger, tmp_path):
    sheet = write_csv(tmp_path / "x.csv", [("会议名称", "学习"), ("类型", "读书会"), ("日期", "2026-13-01")], ["姓名", "签到"],
                      [["张三", "出席"]], "utf-8-sig")
    messages = [str(p) for p in A.import_attendance(ledger, [sheet])[0].problems]
    assert any("x.csv:2" in m and "读书会" in m for m in messages)  # unknown kind, on its row
    assert any("x.csv:3" in m for m in messages)  # month 13: a bad date, on its row
    no_header = write_csv(tmp_path / "y.csv", [("会议名称", "学习")], ["序号", "签到"], [], "utf-8")
    assert "表头" in str(A.import_attendance(ledger, [no_header])[0].problems[-1])


def test_rules_without_activities_section_name_the_file(tmp_path):
    path = tmp_path / "rules.yml"
    path.write_text("year: {start_month: 1}\n", encoding="utf-8")
    with pytest.raises(InputError, match="rules.yml.*activities"):
        A.load_activity_rules(path)


def _yearly(folder: Path) -> dict[str, float]:
    with (folder / "年度学时汇总.csv").open(encoding="utf-8-sig") as fh:
        return {r["工号"]: float(r["本年度学时"]) for r in csv.DictReader(fh) if r["年度"] == "2026"}


def test_exports_hold_offline_hours_beside_online(ledger, tmp_path):
    from helpers_records import COURSE, empty_gradebook, small_gradebook
    from partyquiz.exports import export_all
    from partyquiz.records.rollin import roll_in

    gradebook = empty_gradebook(tmp_path / "gb.db")
    small_gradebook(gradebook)
    roll_in(ledger, gradebook, [COURSE], roster=ROSTER, batch_id="b1")
    export_all(ledger, tmp_path / "before")
    online = _yearly(tmp_path / "before")
    A.import_attendance(ledger, [party_lecture(tmp_path), training_gbk(tmp_path), lecture_half_day(tmp_path)])
    export_all(ledger, tmp_path / "after")
    after = _yearly(tmp_path / "after")
    # a01: 党课 2 + 讲座 4; a02: on leave from the 党课, 讲座 4; a03 and a04: 3 days × 8
    assert {k: round(after[k] - online.get(k, 0.0), 2) for k in after} == {"a01": 6.0, "a02": 4.0, "a03": 24.0, "a04": 24.0}
    assert online["a01"] > 0  # the online hours are still there
    with (tmp_path / "after" / "培训档案-课时明细.csv").open(encoding="utf-8-sig") as fh:
        offline = [r for r in csv.DictReader(fh) if r["备注"].startswith("线下活动")]
    assert sorted((r["工号"], r["课时名称"], float(r["学时"])) for r in offline) == [
        ("a01", "党史专题讲座", 4.0), ("a01", "学习党章", 2.0), ("a02", "党史专题讲座", 4.0),
        ("a03", "党支部书记培训班", 24.0), ("a04", "党支部书记培训班", 24.0)]
    def total_hours(folder: Path) -> dict[str, float]:  # the branch's all-courses row
        with (folder / "支部汇总.csv").open(encoding="utf-8-sig") as fh:
            return {r["支部"]: float(r["学时合计"]) for r in csv.DictReader(fh) if r["课程（班次）"] == "（全部课程）"}

    def mean_scores(folder: Path) -> dict[str, str]:
        with (folder / "支部汇总.csv").open(encoding="utf-8-sig") as fh:
            return {r["支部"]: r["平均成绩"] for r in csv.DictReader(fh) if r["课程（班次）"] == "（全部课程）"}

    assert mean_scores(tmp_path / "after") == mean_scores(tmp_path / "before")  # attending has no score to average
    before, later = total_hours(tmp_path / "before"), total_hours(tmp_path / "after")
    branch_hours = {k: later[k] - before[k] for k in later}
    assert {k: round(v, 2) for k, v in branch_hours.items()} == {"一支部": 10.0, "二支部": 48.0}
