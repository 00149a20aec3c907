"""三会一课 register over a year against the required frequencies, attendance rates, the report section."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from helpers_records import ROSTER, sqlite_url
from partyquiz.records import ledger as L
from partyquiz.records import register as R
from partyquiz.records.activities import Attendance, Session, store_session
from partyquiz.records.roster import store_roster


def _meet(url: str, branch: str, kind: str, month: int, present: dict[str, str]) -> None:
    store_session(url, Session(kind=kind, title=f"{kind}{month}月", date=dt.date(2026, month, 10), clock_hours=1.5, branch=branch),
                  [Attendance(learner_id=who, status=status) for who, status in present.items()])


@pytest.fixture
def year_of_meetings(tmp_path):
    url = sqlite_url(tmp_path / "ledger.db")
    store_roster(ROSTER, url)
    with L.engine_for(url) as engine, engine.begin() as conn:  # 李四 is 一支部's secretary
        conn.execute(sa.update(L.learners).where(L.learners.c.id == "a02").values(role="支部书记"))
    both = {"a01": "attended", "a02": "attended"}
    for month in range(1, 13):
        for kind in ("党小组会", "主题党日"):
            _meet(url, "一支部", kind, month, both)
        # 张三 misses three study sessions: on leave in January, absent in February, not listed in March
        study = {1: {"a01": "leave", "a02": "attended"}, 2: {"a01": "absent", "a02": "attended"}, 3: {"a02": "attended"}}
        _meet(url, "一支部", "集体学习", month, study.get(month, both))
        if month != 2:  # no 支委会 in February
            _meet(url, "一支部", "支委会", month, {"a02": "attended"})
    for month in (3, 5, 11):  # no 支部党员大会 in the third quarter
        _meet(url, "一支部", "支部党员大会", month, both)
    for month in (4, 10):
        _meet(url, "一支部", "党课", month, both)
    _meet(url, "二支部", "党课", 6, {"a03": "attended", "a04": "absent"})
    return url


def test_register_over_a_year(year_of_meetings):
    reg = R.branch_register(year_of_meetings, 2026, as_of=dt.date(2027, 1, 1))
    behind = {b["branch"]: b for b in reg["behind"]}
    assert behind["一支部"]["missing"] == ["支部党员大会 2026Q3（0/1）", "支委会 2026-02（0/1）"]
    # 二支部: 4 quarters + 12 × 4 monthly kinds + the second half-year's 党课
    assert behind["二支部"]["count"] == 4 + 48 + 1
    people = {p["learner_id"]: p for p in reg["people"]}
    # 张三 (member): 12 党小组会 + 12 主题党日 + 12 集体学习 + 3 大会 + 2 党课 = 41 expected, 38 attended
    assert (people["a01"]["expected"], people["a01"]["attended"], people["a01"]["leave"], people["a01"]["absent"]) == (41, 38, 1, 2)
    assert people["a01"]["rate"] == round(38 / 41, 4)
    # 李四 (secretary): also the 11 支委会
    assert (people["a02"]["expected"], people["a02"]["rate"]) == (52, 1.0)
    assert (people["a03"]["rate"], people["a04"]["rate"]) == (1.0, 0.0)


def test_periods_not_over_are_not_behind(year_of_meetings):
    reg = R.branch_register(year_of_meetings, 2026, as_of=dt.date(2026, 2, 15))
    assert [b["branch"] for b in reg["behind"]] == ["二支部"]
    assert set(reg["behind"][0]["missing"]) == {"主题党日 2026-01（0/1）", "党小组会 2026-01（0/1）", "集体学习 2026-01（0/1）", "支委会 2026-01（0/1）"}
    feb = [r for r in reg["meetings"] if r["branch"] == "一支部" and r["kind"] == "支委会" and r["period"] == "2026-02"]
    assert feb[0]["in_progress"] and not feb[0]["behind"]


def test_periods_of_a_year():
    quarters = R.periods(2026, 3)
    assert [(p.start, p.end) for p in quarters][0] == (dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    assert quarters[-1].end == dt.date(2026, 12, 31) and len(R.periods(2026, 1)) == 12
    assert R.periods(2026, 6)[1].label(6) == "2026H2"


def test_report_section_shows_branches_behind(year_of_meetings):
    reg = R.branch_register(year_of_meetings, 2026, as_of=dt.date(2027, 1, 1))
    page = R.register_section_html(reg)
    assert "三会一课落实情况" in page and "2026 年：2 个支部中有 2 个未按规定次数召开" in page
    one = page.split("<td>一支部</td>")[1].split("</tr>")[0]
    assert "<td>52/54</td>" in one and "支委会 2026-02（0/1）" in one  # 11+36 monthly + 3 大会 + 2 党课 of 48+4+2
    assert "Mean attendance" in R.register_section_html(reg, lang="en")


def test_report_holds_register_points_and_grades(year_of_meetings, tmp_path):
    from partyquiz.report import write_report

    page = write_report(year_of_meetings, tmp_path / "report.html", year=2026).read_text(encoding="utf-8")
    assert "三会一课落实情况" in page and "支委会 2026-02（0/1）" in page  # 一支部 fell behind in February
    points = page.split("学习积分：支部排名")[1].split("</section>")[0]
    assert points.index("一支部") < points.index("二支部")  # 一支部 attended far more
    assert "2026 年量化考评等次（人数）" in page
