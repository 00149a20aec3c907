"""Issue 2, end to end: build → release → learners answer → submit → collect → nbgrader grades →
roll-in → training files. Every learner's score and hours are computed by hand below.

The sample course (courses/jiaoyu-guanli) is an online lesson (在线, 0.75 学时 for its 45 expected
minutes) with a 20-point quiz:
4 single choice × 2, 3 multiple choice × 3 (strict: any extra or missing pick scores 0), and
3 true/false × 1 drawn from a pool of 4. Pass mark 60 % = 12 points.
"""
from __future__ import annotations

import csv

import openpyxl
import pytest

from partyquiz.demo import learner_session, publish
from partyquiz.model import Learner

ALL_TF_RIGHT = {"tf-zuzhi-shenghuo": True, "tf-dangfei": False, "tf-sixiang-huibao": True, "tf-biaozhang": False}
ALL_SINGLE_RIGHT = {"sc-sanhui-dahui": ["quarter"], "sc-zhiwei": ["zhiwei"], "sc-dangke": ["halfyear"], "sc-jiti-xuexi": ["one"]}
ALL_MULTIPLE_RIGHT = {
    "mc-si-jizhi": ["jiaoyu", "guanli", "jili", "jiandu"],
    "mc-jili": ["zhengzhi", "jingshen", "wuzhi"],
    "mc-guanli-zhidu": ["huibao", "dangfei", "sanhui"],
}

COHORT = {
    # everything right: 4×2 + 3×3 + 3×1 = 20
    "u0001": ({**ALL_SINGLE_RIGHT, **ALL_MULTIPLE_RIGHT, **ALL_TF_RIGHT}, 20.0),
    # singles right (8), every multiple and true/false wrong: 8 → fails
    "u0002": ({**ALL_SINGLE_RIGHT, "mc-si-jizhi": ["kaohe"], "mc-jili": ["chengfa"], "mc-guanli-zhidu": ["daka"],
               **{q: not v for q, v in ALL_TF_RIGHT.items()}}, 8.0),
    # 3 singles right (6), one multiple right (3), one with an extra pick (0), one missing a pick (0),
    # true/false all right (3): 12 = exactly the pass mark
    "u0003": ({**ALL_SINGLE_RIGHT, "sc-dangke": ["quarter"], "mc-si-jizhi": ALL_MULTIPLE_RIGHT["mc-si-jizhi"],
               "mc-jili": ["zhengzhi", "jingshen", "wuzhi", "chengfa"], "mc-guanli-zhidu": ["huibao", "dangfei"],
               **ALL_TF_RIGHT}, 12.0),
    # opened the quiz and submitted without answering: 0
    "u0004": ({}, 0.0),
}
# these learners use the plain notebook widgets, which record no study time: the rule's fallback
# counts the lesson's 45 expected minutes, 0.75 学时 (partyquiz/data/rules.yml online.missing_study_time)
HOURS_IF_PASSED = 0.75


@pytest.mark.slow
def test_whole_pipeline_scores_and_hours(site, sample_course, tmp_path):
    from partyquiz.exports import export_all
    from partyquiz.pipeline import grade_and_roll_in
    from partyquiz.records.ledger import learner_records

    roster = [Learner(id=lid, name=name, branch=branch) for lid, name, branch in
              [("u0001", "王伟", "第一支部"), ("u0002", "李娜", "第一支部"), ("u0003", "张敏", "第二支部"),
               ("u0004", "刘强", "第二支部"), ("u0005", "陈静", "第二支部")]]
    ledger = f"sqlite:///{tmp_path / 'ledger.db'}"
    [assignment] = publish(site, sample_course)
    for learner_id, (answers, _) in COHORT.items():
        learner_session(site, sample_course, assignment, learner_id, tmp_path / "homes" / learner_id, answers)
    # u0005 never submits

    summary, _ = grade_and_roll_in(site, sample_course, assignment, engine="nbgrader", ledger_url=ledger, roster=roster, progress=False)
    assert summary.graded == len(COHORT) and not summary.failed

    for learner_id, (_, expected) in COHORT.items():
        [record] = learner_records(ledger, learner_id)
        assert record.score == pytest.approx(expected), learner_id
        assert record.max_score == 20.0
        assert record.passed == (expected >= 12.0), learner_id
        assert record.hours == (HOURS_IF_PASSED if expected >= 12.0 else 0.0), learner_id
    assert learner_records(ledger, "u0005") == []

    files = export_all(ledger, tmp_path / "out")
    xlsx = next(p for p in files if p.suffix == ".xlsx" and "培训档案" in p.name)
    sheet = openpyxl.load_workbook(xlsx).active
    header = [c.value for c in sheet[1]]
    for column in ("姓名", "支部", "培训名称", "成绩", "是否合格", "学时", "完成日期"):
        assert column in header, column
    rows = {r[header.index("姓名")]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    # 成绩 in the training file is on the 100-point scale (百分制): 20 of 20 → 100, 12 of 20 → 60
    assert float(rows["王伟"][header.index("成绩")]) == 100.0
    assert float(rows["张敏"][header.index("成绩")]) == 60.0
    assert rows["王伟"][header.index("是否合格")] == "合格"
    assert float(rows["张敏"][header.index("学时")]) == HOURS_IF_PASSED
    assert rows["李娜"][header.index("是否合格")] == "不合格"
    assert "陈静" not in rows

    csv_file = xlsx.with_suffix(".csv")
    raw = csv_file.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM so Excel opens it correctly"
    csv_rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    assert {r["姓名"] for r in csv_rows} == {"王伟", "李娜", "张敏", "刘强"}
