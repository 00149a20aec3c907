"""The activity CLI: import sign-in sheets (a bad one fails naming file and row), list, register, export."""
from __future__ import annotations

import csv

from typer.testing import CliRunner

from helpers_records import ROSTER, sqlite_url
from partyquiz.cli import _register, app
from partyquiz.records.roster import store_roster
from test_activities import lecture_half_day, party_lecture, write_xlsx

_register()


def test_import_list_register_export(tmp_path):
    ledger = sqlite_url(tmp_path / "ledger.db")
    store_roster(ROSTER, ledger)
    bad = write_xlsx(tmp_path / "bad.xlsx", [("会议名称", "支委会"), ("类型", "支委会"), ("日期", "2026-03-02"), ("时长", "1小时")],
                     ["工号", "签到"], [["a02", "出席"], ["x99", "出席"]])
    runner = CliRunner()
    done = runner.invoke(app, ["attendance", "import", str(party_lecture(tmp_path)), str(bad), str(lecture_half_day(tmp_path)),
                               "--ledger", ledger, "--branch", "一支部"])
    assert done.exit_code == 1  # one file failed
    assert "出席 1 人，请假 1 人，缺席 0 人" in done.output and "出席 2 人" in done.output
    assert "未导入" in done.output and "bad.xlsx:8" in done.output and "x99" in done.output
    listed = runner.invoke(app, ["sessions", "list", "--ledger", ledger, "--year", "2026"])
    assert listed.exit_code == 0 and "共 2 次活动" in listed.output and "学习党章\t2\t1/1/0" in listed.output
    english = runner.invoke(app, ["sessions", "list", "--ledger", ledger, "--lang", "en"])
    assert "2 sessions." in english.output
    register = runner.invoke(app, ["sessions", "register", "--ledger", ledger, "--year", "2026", "--as-of", "2026-02-01"])
    # January is over: both branches missed the monthly meetings (6 kinds, 4 of them monthly)
    assert register.exit_code == 0 and "一支部\t4\t" in register.output and "二支部\t4\t" in register.output
    exported = runner.invoke(app, ["sessions", "export", str(tmp_path / "out"), "--ledger", ledger, "--year", "2026"])
    assert exported.exit_code == 0, exported.output
    with (tmp_path / "out" / "活动台账.csv").open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["活动类型"], r["学时"], r["出席"]) for r in rows] == [("党课", "2", "1"), ("专题讲座", "4", "2")]
    for name in ("出勤明细", "三会一课", "出勤率", "量化考评", "积分", "支部积分排名"):
        assert (tmp_path / "out" / f"{name}.xlsx").exists() and (tmp_path / "out" / f"{name}.csv").exists()


def test_read_only_session_commands_refuse_a_missing_ledger(tmp_path):
    missing = tmp_path / "nowhere.db"
    runner = CliRunner()
    for args in (["sessions", "list"], ["sessions", "register", "--year", "2026"], ["sessions", "export", str(tmp_path / "out")],
                 ["evaluation", "record", "a01", "--discipline", "优"]):
        result = runner.invoke(app, [*args, "--ledger", sqlite_url(missing)])
        assert result.exit_code == 1, args
        assert "nowhere.db" in result.output and "找不到培训台账文件" in result.output, result.output
    assert not missing.exists() and not (tmp_path / "out").exists()


def test_evaluation_record_and_import(tmp_path):
    from partyquiz.records.evaluation import evaluations

    ledger = sqlite_url(tmp_path / "ledger.db")
    store_roster(ROSTER, ledger)
    runner = CliRunner()
    done = runner.invoke(app, ["evaluation", "record", "a01", "--year", "2026", "--study-style", "良", "--discipline", "优",
                               "--comment", "学习认真", "--evaluator", "一支部支委会", "--ledger", ledger])
    assert done.exit_code == 0 and "a01" in done.output, done.output
    assert {k: evaluations(ledger, 2026)["a01"][k] for k in ("study_style", "discipline", "comment", "evaluator")} == \
        {"study_style": "良", "discipline": "优", "comment": "学习认真", "evaluator": "一支部支委会"}
    bad_grade = runner.invoke(app, ["evaluation", "record", "a01", "--year", "2026", "--discipline", "很好", "--ledger", ledger])
    assert bad_grade.exit_code == 1 and "很好" in bad_grade.output and "优 / 良 / 中 / 差" in bad_grade.output
    stranger = runner.invoke(app, ["evaluation", "record", "x99", "--discipline", "优", "--ledger", ledger])
    assert stranger.exit_code == 1 and "x99" in stranger.output

    # a sheet with three bad rows: each named by its row, nothing stored (a02 keeps no evaluation)
    sheet = tmp_path / "评价.csv"
    sheet.write_bytes("工号,姓名,学风,纪律,评语\na02,,优,良,带头学习\nx99,,优,优,\n,欧阳娜,好,优,\na01,,中,中,\na01,,良,良,重复\n"
                      .encode("gb18030"))  # GBK, as Excel on Chinese Windows saves it
    refused = runner.invoke(app, ["evaluation", "import", str(sheet), "--year", "2026", "--ledger", ledger])
    assert refused.exit_code == 1
    for row, word in ((3, "x99"), (4, "好"), (6, "重复出现")):
        assert f"评价.csv:{row}" in refused.output and word in refused.output, (row, refused.output)
    assert "a02" not in evaluations(ledger, 2026) and evaluations(ledger, 2026)["a01"]["discipline"] == "优"

    sheet.write_text("工号,姓名,年度,学风,纪律,评语,评价人\na02,李四,2026,优,良,带头学习,\n,欧阳娜,2025年,中,优,按时参加,组织委员\n",
                     encoding="utf-8-sig")
    stored = runner.invoke(app, ["evaluation", "import", str(sheet), "--evaluator", "支部", "--ledger", ledger])
    assert stored.exit_code == 0 and "2 条" in stored.output, stored.output
    a02, a03 = evaluations(ledger, 2026)["a02"], evaluations(ledger, 2025)["a03"]
    assert (a02["study_style"], a02["discipline"], a02["comment"], a02["evaluator"]) == ("优", "良", "带头学习", "支部")
    assert (a03["study_style"], a03["evaluator"]) == ("中", "组织委员")
    no_year = tmp_path / "no-year.csv"
    no_year.write_text("工号,学风\na01,优\n", encoding="utf-8")
    missing_year = runner.invoke(app, ["evaluation", "import", str(no_year), "--ledger", ledger])
    assert missing_year.exit_code == 1 and "年度" in missing_year.output and "no-year.csv:1" in missing_year.output
