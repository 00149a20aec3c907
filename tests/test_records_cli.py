"""The thin CLI: a bad roster fails with the file and row; a good one flows through to the exports."""
from __future__ import annotations

from typer.testing import CliRunner

from helpers_records import WHEN, empty_gradebook
from bulk_gradebook import Sub, build_gradebook
from partyquiz.cli import _register, app

_register()


def test_roster_import_rollin_export_report(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    gradebook = empty_gradebook(tmp_path / "gradebook.db")
    build_gradebook(gradebook, {"jiaoyu-guanli-l1": 10.0}, [Sub("a01", "jiaoyu-guanli-l1", 8.0, WHEN)])
    roster = tmp_path / "roster.csv"
    roster.write_text("工号,姓名,支部,单位,职务,人员类别\na01,张三,一支部,办公室,科员,党员\n", encoding="utf-8-sig")
    runner = CliRunner()
    ok = runner.invoke(app, ["roster", "import", str(roster), "--gradebook", gradebook])
    assert ok.exit_code == 0, ok.output
    assert "1 人" in ok.output
    done = runner.invoke(app, ["rollin", "--gradebook", gradebook, "--roster", str(roster)])
    assert done.exit_code == 0 and "新增 1 条" in done.output, done.output
    exported = runner.invoke(app, ["export", "--out", "out"])
    assert exported.exit_code == 0 and (tmp_path / "out" / "培训档案.xlsx").exists()
    report = runner.invoke(app, ["report", "--out", "out/report.html"])
    assert report.exit_code == 0 and "张三" in (tmp_path / "out" / "report.html").read_text(encoding="utf-8")


def test_bad_roster_exits_with_row_numbers(tmp_path):
    roster = tmp_path / "bad.csv"
    roster.write_text("工号,姓名,支部,人员类别\na01,张三,一支部,外星人\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["roster", "import", str(roster), "--check"])
    assert result.exit_code == 1
    assert "bad.csv:2" in result.output and "外星人" in result.output


def test_read_only_commands_refuse_a_ledger_that_does_not_exist(tmp_path):
    missing = tmp_path / "nowhere" / "ledger.db"
    runner = CliRunner()
    for args in (["export", "--out", str(tmp_path / "out")], ["report", "--out", str(tmp_path / "r.html")]):
        result = runner.invoke(app, [*args, "--ledger", f"sqlite:///{missing}"])
        assert result.exit_code == 1, args
        assert str(missing) in result.output and "找不到培训台账文件" in result.output
    english = runner.invoke(app, ["export", "--ledger", f"sqlite:///{missing}", "--out", str(tmp_path / "out"), "--lang", "en"])
    assert english.exit_code == 1 and "no ledger file" in english.output
    assert not missing.exists() and not missing.parent.exists()  # nothing created
    assert not (tmp_path / "out").exists()
