"""One CLI style: `--lang` on every command honouring PARTYQUIZ_LANG, library errors as a message
and exit 1, usage errors exit 2, help texts in the chosen language."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import typer
from typer.testing import CliRunner

from partyquiz.cli import _register, app

_register()
PARTYQUIZ = Path(sys.executable).with_name("partyquiz")


def _commands(group, prefix: str = ""):
    for name, command in group.commands.items():
        if hasattr(command, "commands"):  # a group (Typer ships its own copy of click)
            yield from _commands(command, f"{prefix}{name} ")
        else:
            yield f"{prefix}{name}", command


def test_every_command_takes_lang_and_none_forces_a_language():
    root = typer.main.get_command(app)
    found = dict(_commands(root))
    assert {"grade", "demo", "serve", "validate", "build", "roster import", "rollin", "export", "report"} <= set(found)
    for name, command in found.items():
        lang = next((p for p in command.params if "--lang" in p.opts), None)
        assert lang is not None, f"{name} has no --lang"
        assert lang.default is None, f"{name}: --lang defaults to {lang.default!r}, which would override PARTYQUIZ_LANG"


def test_partyquiz_lang_is_honoured_and_lang_wins(tmp_path, monkeypatch):
    runner = CliRunner()
    monkeypatch.setenv("PARTYQUIZ_LANG", "en")
    english = runner.invoke(app, ["grade", "no-such-assignment", "--root", str(tmp_path / "grader"), "--no-collect"])
    assert english.exit_code == 1 and "is not in the gradebook" in english.output
    chinese = runner.invoke(app, ["grade", "no-such-assignment", "--root", str(tmp_path / "grader"), "--no-collect", "--lang", "zh-CN"])
    assert chinese.exit_code == 1 and "no-such-assignment" in chinese.output and "is not in the gradebook" not in chinese.output


def test_library_errors_exit_1_usage_errors_exit_2(tmp_path):
    runner = CliRunner()
    bad = tmp_path / "bad.csv"
    bad.write_text("工号,姓名,支部,人员类别\na01,张三,一支部,外星人\n", encoding="utf-8")
    refused = runner.invoke(app, ["roster", "import", str(bad), "--check", "--lang", "en"])
    assert refused.exit_code == 1 and "bad.csv:2" in refused.output and "Traceback" not in refused.output
    broken = tmp_path / "rules.yml"
    broken.write_text("year: [unclosed\n", encoding="utf-8")
    bad_rules = runner.invoke(app, ["export", "--rules", str(broken), "--ledger", f"sqlite:///{tmp_path / 'l.db'}", "--out", str(tmp_path / "o")])
    assert bad_rules.exit_code == 1 and "rules.yml" in bad_rules.output and bad_rules.exception is None or isinstance(bad_rules.exception, SystemExit)
    usage = runner.invoke(app, ["grade", "--no-such-option"])
    assert usage.exit_code == 2
    no_course = runner.invoke(app, ["grade", "x", "--course", str(tmp_path / "nowhere"), "--no-collect"])
    assert no_course.exit_code == 2 and "nowhere" in no_course.output


def test_help_follows_lang(tmp_path):
    env = {**os.environ, "PARTYQUIZ_LANG": "zh-CN", "COLUMNS": "200"}
    english = subprocess.run([str(PARTYQUIZ), "export", "--help", "--lang", "en"], env=env, capture_output=True, text=True, timeout=120)
    assert english.returncode == 0 and "also one training file per learner" in english.stdout
    chinese = subprocess.run([str(PARTYQUIZ), "export", "--help"], env=env, capture_output=True, text=True, timeout=120)
    assert chinese.returncode == 0 and "另为每人生成一份培训档案" in chinese.stdout
