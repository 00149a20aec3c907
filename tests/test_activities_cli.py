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
