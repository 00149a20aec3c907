"""Exports, the report and the branch summary over ONE ledger of online records and offline
activities in two years, as roll-in and the activity store produce them (no hand-made rows).

The ledger, worked by hand (helpers_records: c1 "党章学习" online, l1 2 学时 / 120 min, l2 1 学时 /
60 min, pass mark 60; 1 hour = 1 学时, so a passed lesson earns its hours):

online (Beijing dates)                      offline (rules.yml: a day = 8 学时, 1 an hour)
  a01 l1 9/10  2025-06-01  → 2 (2025)         S1 集中培训 党支部书记培训班 2025-12-30 … 2026-01-02, 4 days = 32
  a01 l2 7/10  2026-03-02  → 1 (2026)            split by days: 16 in 2025 + 16 in 2026; a01, a02, a03 attend
  a03 l1 10/10 2026-03-02  → 2 (2026)         S2 支委会 2026-03-10, 2 hours: a02 attends (2), a01 absent
  a03 l2 6/10  2025-11-01  → 1 (2025)         S3 党课 2025-06-01, 2 hours: a03 attends (2), a04 on leave
  a02 l1 5/10  2026-03-02  → failed, 0        S4 集中培训 党史专题培训 2026-05-10, 2 days = 16: a01 attends
  a04 l1 8/10  2026-01-01 04:00 → 2 (2026)

本年度学时: 2025 a01 2+16 = 18, a02 16, a03 1+2+16 = 19, a04 0
            2026 a01 1+16+16 = 33, a02 16+2 = 18, a03 2+16 = 18, a04 2
计入要求学时: a01 党员 counts 集中培训 and 集体学习 only: 2025 16 of 32 (未达标), 2026 16+16 = 32 (达标);
  a02 书记 56 a year: 未达标 both years; a03 发展对象 24 of 集中培训 once: 16 by 2025 (未达标),
  32 by 2026 (达标); a04 县处级 550 in five years: 未达标.
"""
from __future__ import annotations

import csv
import datetime as dt
import html
import re

import pytest
from openpyxl import load_workbook

from bulk_gradebook import Sub, build_gradebook
from helpers_records import COURSE, ROSTER, empty_gradebook, sqlite_url
from partyquiz.exports import branch_summary, export_all
from partyquiz.records.activities import Attendance, Session, store_session
from partyquiz.records.rollin import roll_in
from partyquiz.report import write_report

ONLINE = [
    ("a01", "c1-l1", 9, dt.datetime(2025, 6, 1, 2, 0)), ("a01", "c1-l2", 7, dt.datetime(2026, 3, 2, 2, 0)),
    ("a03", "c1-l1", 10, dt.datetime(2026, 3, 2, 2, 0)), ("a03", "c1-l2", 6, dt.datetime(2025, 11, 1, 2, 0)),
    ("a02", "c1-l1", 5, dt.datetime(2026, 3, 2, 2, 0)),
    ("a04", "c1-l1", 8, dt.datetime(2025, 12, 31, 20, 0)),  # 2026-01-01 04:00 in Beijing: 2026
]
YEARLY_HOURS = {2025: {"a01": 18, "a02": 16, "a03": 19, "a04": 0}, 2026: {"a01": 33, "a02": 18, "a03": 18, "a04": 2}}
SHORT = {2025: {"a01", "a02", "a03", "a04"}, 2026: {"a02", "a04"}}


@pytest.fixture(scope="module")
def ledger(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("online-offline")
    gradebook = empty_gradebook(tmp / "gradebook.db")
    build_gradebook(gradebook, {"c1-l1": 10.0, "c1-l2": 10.0}, [Sub(s, a, float(v), t) for s, a, v, t in ONLINE])
    url = sqlite_url(tmp / "ledger.db")
    roll_in(url, gradebook, [COURSE], roster=ROSTER)
    store_session(url, Session(kind="集中培训", title="党支部书记培训班", date=dt.date(2025, 12, 30), end_date=dt.date(2026, 1, 2), days=4,
                               branch="一支部", organiser="机关党委"),
                  [Attendance(learner_id=p) for p in ("a01", "a02", "a03")])
    store_session(url, Session(kind="支委会", title="三月支委会", date=dt.date(2026, 3, 10), clock_hours=2, branch="一支部"),
                  [Attendance(learner_id="a02"), Attendance(learner_id="a01", status="absent")])
    store_session(url, Session(kind="党课", title="书记讲党课", date=dt.date(2025, 6, 1), clock_hours=2, branch="二支部"),
                  [Attendance(learner_id="a03"), Attendance(learner_id="a04", status="leave")])
    store_session(url, Session(kind="集中培训", title="党史专题培训", date=dt.date(2026, 5, 10), end_date=dt.date(2026, 5, 11), days=2,
                               branch="一支部"), [Attendance(learner_id="a01")])
    return url


@pytest.fixture(scope="module")
def exported(ledger, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    export_all(ledger, out)
    return out


def _csv(path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def _num(text: str) -> float | None:
    return float(text.rstrip("%")) if text not in ("", "—") else None


def test_year_end_training_is_split_once_in_every_summary(exported):
    yearly = _csv(exported / "年度学时汇总.csv")
    for year, hours in YEARLY_HOURS.items():
        assert {r["工号"]: _num(r["本年度学时"]) for r in yearly if r["年度"] == str(year)} == hours, year
        assert {r["工号"] for r in yearly if r["年度"] == str(year) and r["状态"] == "未达标"} == SHORT[year], year
    a01 = {r["年度"]: r for r in yearly if r["工号"] == "a01"}
    assert (_num(a01["2025"]["计入要求学时"]), _num(a01["2026"]["计入要求学时"])) == (16, 32)  # online hours do not count for a 党员
    branches = _csv(exported / "支部汇总.csv")
    rows = {(r["支部"], r["年度"], r["课程（班次）"]): r for r in branches}
    # the per-kind row of the class across the year end: 16 per person and year, not split again (8)
    assert _num(rows[("一支部", "2025", "集中培训（线下）")]["学时合计"]) == 32  # a01 16 + a02 16
    assert _num(rows[("一支部", "2026", "集中培训（线下）")]["学时合计"]) == 48  # a01 16 + a02 16 + a01's 党史专题培训 16
    assert _num(rows[("二支部", "2025", "集中培训（线下）")]["学时合计"]) == 16  # a03, who is on 二支部's roll
    for year, hours in YEARLY_HOURS.items():
        for branch, people in (("一支部", ("a01", "a02")), ("二支部", ("a03", "a04"))):
            total = rows[(branch, str(year), "（全部课程）")]
            assert _num(total["学时合计"]) == sum(hours[p] for p in people), (branch, year)
            per_course = [r for (b, y, c), r in rows.items() if b == branch and y == str(year) and c != "（全部课程）"]
            assert sum(_num(r["学时合计"]) for r in per_course) == _num(total["学时合计"]), (branch, year)


def test_offline_activities_are_not_courses_in_completion(exported):
    rows = {(r["支部"], r["年度"], r["课程（班次）"]): r for r in _csv(exported / "支部汇总.csv")}
    # c1 by the course rule (mean of both lessons ≥ 60): by 2025 nobody has both; in 2026 a01 (80) and
    # a03 (80) pass, a02 (50 + 0 → 25) and a04 (80 + 0 → 40) do not: 1 of 2 in each branch
    assert [(rows[(b, y, "（全部课程）")]["全部合格人数"], rows[(b, y, "（全部课程）")]["完成率（%）"])
            for y in ("2025", "2026") for b in ("一支部", "二支部")] == [("0", "0"), ("0", "0"), ("1", "50"), ("1", "50")]
    # 已参学 counts attendance too: 2025 一支部 a01, a02; 二支部 a03 (a04 was on leave)
    assert [rows[(b, "2025", "（全部课程）")]["已参学人数"] for b in ("一支部", "二支部")] == ["2", "1"]
    offline = rows[("一支部", "2026", "支委会（线下）")]
    assert (offline["已参学人数"], offline["全部合格人数"], offline["完成率（%）"], offline["平均成绩"], _num(offline["学时合计"])) == ("1", "", "", "", 2)


def test_training_file_dates_certificates_and_import_file(exported):
    training = _csv(exported / "培训档案.csv")
    mine = {(r["工号"], r["培训名称"], r["起止时间"]): r for r in training}
    # the class across the year end: one row per year with the class's real dates and that year's share
    shares = [r for r in training if r["工号"] == "a02" and r["培训名称"] == "党支部书记培训班"]
    assert [(r["起止时间"], r["学时"], r["证书"], r["完成日期"]) for r in shares] == [("2025.12.30—2026.01.02", "16", "结业证书", "2026-01-02")] * 2
    assert all("跨年度" in r["备注"] for r in shares)
    history = mine[("a01", "党史专题培训", "2026.05.10—2026.05.11")]
    assert (history["学时"], history["证书"], history["培训类别"]) == ("16", "结业证书", "调训")
    # a meeting is not a training class: no certificate, attendance rolled up per kind and year
    meeting = next(r for r in training if r["工号"] == "a02" and r["培训名称"] == "支委会（线下）")
    assert (meeting["证书"], meeting["考核结果"], meeting["成绩"]) == ("", "出席", "")
    # c1 for a01: 2025 row (l1 only: (90 + 0) / 2 = 45, 不合格, 未完成 l2); 2026 row (90, 70 → 80, 良好, certificate)
    c1 = {r["起止时间"][:4]: r for r in training if r["工号"] == "a01" and r["培训名称"] == "党章学习"}
    assert (c1["2025"]["成绩"], c1["2025"]["考核结果"], c1["2025"]["证书"]) == ("45", "不合格", "") and "未完成：党员" in c1["2025"]["备注"]
    assert (c1["2026"]["成绩"], c1["2026"]["考核结果"], c1["2026"]["证书"]) == ("80", "良好", "结业证书")
    # the county import file: credited rows only (a02's failed c1, 0 学时, is left out), certificates as above
    imported = _csv(exported / "干部培训系统导入.csv")
    assert all(_num(r["学时"]) > 0 for r in imported)
    assert not [r for r in imported if r["姓名"] == "李四" and r["培训班名称"] == "党章学习"]
    assert {r["证书"] for r in imported if r["培训班名称"] in ("支委会（线下）", "党课（线下）")} == {""}


def _tables_after(page: str, heading: str) -> list[list[list[str]]]:
    """Every table between `heading` and the next <h2>, as lists of cell texts."""
    part = page[page.index(heading):]
    nxt = part.find("<h2>", 1)
    part = part[:nxt] if nxt > 0 else part
    tables = re.findall(r"<table>(.*?)</table>", part, re.S)
    return [[[html.unescape(c) for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", tr, re.S)] for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", t, re.S)]
            for t in tables]


@pytest.mark.parametrize("year", [2025, 2026])
def test_report_figures_equal_the_exports_for_the_same_year(ledger, exported, tmp_path, year):
    page = write_report(ledger, tmp_path / "report.html", year=year).read_text(encoding="utf-8")
    yearly = [r for r in _csv(exported / "年度学时汇总.csv") if r["年度"] == str(year)]
    totals = {r["支部"]: r for r in _csv(exported / "支部汇总.csv") if r["年度"] == str(year) and r["课程（班次）"] == "（全部课程）"}
    [branch_table] = _tables_after(page, "各支部完成情况与学时")
    assert len(branch_table) == 1 + len(totals)
    for cells in branch_table[1:]:
        export = totals[cells[0]]
        assert [_num(c) for c in cells[1:]] == [_num(export[k]) for k in ("在册人数", "其中党员", "已参学人数", "全部合格人数", "完成率（%）",
                                                                             "平均成绩", "学时合计", "学时未达标人数")], cells
    # 未达标 lists: the same people as 年度学时汇总, with the same shortfall
    short = {cells[0]: _num(cells[8]) for table in _tables_after(page, "年度学时未达标人员") for cells in table[1:]}
    assert short == {r["工号"]: _num(r["差额"]) for r in yearly if r["状态"] == "未达标"}
    assert set(short) == SHORT[year]
    # 累计学时 = Σ 本年度学时 (offline hours included)
    hours = re.search(r"<div class='card'><b>([\d.]+)</b>累计学时</div>", page).group(1)
    assert float(hours) == sum(YEARLY_HOURS[year].values()) == sum(_num(r["本年度学时"]) for r in yearly)


def test_report_keeps_attendance_out_of_absent(ledger, tmp_path):
    """a04 took no lesson in 2025 and was on leave from its only session: 未参学; a02 attended
    the training but took no lesson that year: 学时不足, not 未参学."""
    page = write_report(ledger, tmp_path / "r.html", year=2025).read_text(encoding="utf-8")
    groups = dict(zip(re.findall(r"<h3>([^<]*)</h3>", page[page.index("年度学时未达标人员"):]),
                      _tables_after(page, "年度学时未达标人员")))
    ids = {title.split("：")[0]: {cells[0] for cells in table[1:]} for title, table in groups.items()}
    assert ids == {"未参学（本年度没有任何学习记录）": {"a04"}, "参学但有课时不合格（需补考）": set(),
                   "已合格但学时不足或缺少规定的培训形式": {"a01", "a02", "a03"}}


def test_branch_summary_is_the_per_year_view(ledger, exported):
    """The workbench 统计 page and the demo's console table: 支部汇总's figures for one year."""
    latest = branch_summary(ledger)
    totals = {r["支部"]: r for r in _csv(exported / "支部汇总.csv") if r["年度"] == "2026" and r["课程（班次）"] == "（全部课程）"}
    assert [r["branch"] for r in latest] == ["一支部", "二支部"] and {r["year"] for r in latest} == {2026}
    for r in latest:
        t = totals[r["branch"]]
        assert (r["learners"], r["party_members"], r["submitted"], r["passed"], r["completion"], r["hours"], r["short"]) == (
            int(t["在册人数"]), int(t["其中党员"]), int(t["已参学人数"]), int(t["全部合格人数"]), _num(t["完成率（%）"]),
            _num(t["学时合计"]), int(t["学时未达标人数"]))
    # 二支部: a 发展对象 and a cadre, neither a party member; completion in per cent, as in the files
    assert [(r["learners"], r["party_members"], r["completion"]) for r in latest] == [(2, 2, 50.0), (2, 0, 50.0)]
    assert [(r["hours"], r["short"]) for r in branch_summary(ledger, year=2025)] == [(34, 2), (19, 2)]
    course = branch_summary(ledger, "c1", year=2026)
    assert [(r["course"], r["submitted"], r["passed"], r["hours"]) for r in course] == [("党章学习", 2, 1, 1), ("党章学习", 2, 1, 4)]
