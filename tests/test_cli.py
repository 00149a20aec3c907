"""One CLI style: `--lang` on every command honouring PARTYQUIZ_LANG, library errors as a message
and exit 1, usage errors exit 2, help texts in the chosen language."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from partyquiz.cli import _register, app, failures
from partyquiz.model import Course
from partyquiz.qtypes import registry
from partyquiz.records.ledger import engine_for

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
    ledger = f"sqlite:///{tmp_path / 'l.db'}"
    with engine_for(ledger):  # an existing (empty) ledger: export gets as far as reading the rules
        pass
    bad_rules = runner.invoke(app, ["export", "--rules", str(broken), "--ledger", ledger, "--out", str(tmp_path / "o")])
    assert bad_rules.exit_code == 1 and "rules.yml" in bad_rules.output and (bad_rules.exception is None or isinstance(bad_rules.exception, SystemExit))
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


def test_a_language_the_catalogs_lack_is_a_usage_error():
    runner = CliRunner()
    for args in (["report"], ["validate", "courses"], ["roster", "import", "x.csv"], ["grade", "x"]):
        refused = runner.invoke(app, [*args, "--lang", "fr"])
        assert refused.exit_code == 2, args
        assert "fr" in refused.output and "zh-CN" in refused.output and "en" in refused.output
    accepted = runner.invoke(app, ["validate", "nowhere", "--lang", "EN"])  # any case: a known language
    assert accepted.exit_code == 1 and "--lang" not in accepted.output


def test_one_name_per_option_the_old_names_hidden():
    found = dict(_commands(typer.main.get_command(app)))
    shown = {name: {o for p in c.params if not getattr(p, "hidden", False) for o in p.opts} for name, c in found.items()}
    hidden = {name: {o for p in c.params if getattr(p, "hidden", False) for o in p.opts} for name, c in found.items()}
    for name, options in shown.items():
        assert not options & {"--db-url", "--ledger-url", "--gradebook-url"}, name
    assert {"--gradebook", "--ledger", "--root"} <= shown["grade"] and "--db-url" in hidden["grade"]
    assert "--ledger" in shown["serve"] and "--ledger-url" in hidden["serve"]
    assert "--gradebook" in shown["rollin"] and "--gradebook" in shown["roster import"]
    assert "--root" in shown["build"]
    for name in ("grade", "build"):  # the settings decide, as for rollin: no "./grader" baked in
        root = next(p for p in found[name].params if "--root" in p.opts)
        assert root.default is None, name


def test_gradebook_and_its_old_name_both_reach_the_grader(tmp_path):
    runner = CliRunner()
    args = ["grade", "no-such", "--root", str(tmp_path / "grader"), "--no-collect", "--lang", "en"]
    local = runner.invoke(app, args)  # the course root's own SQLite gradebook: no such assignment there
    assert local.exit_code == 1 and "is not in the gradebook" in local.output
    for option in ("--gradebook", "--db-url"):
        # a PostgreSQL gradebook on a closed port: the grader really tried the URL given
        result = runner.invoke(app, [*args, option, "postgresql://nbgrader@127.0.0.1:1/gradebook"])
        assert result.exit_code == 1 and "cannot be opened" in result.output and "127.0.0.1" in result.output, option


def test_grade_and_build_default_the_root_from_the_settings(tmp_path, monkeypatch):
    root = tmp_path / "from-settings"
    monkeypatch.setenv("PARTYQUIZ_GRADER_ROOT", str(root))
    (root / "gradebook.db").mkdir(parents=True)  # a folder where the gradebook file should be: the error shows it was opened
    runner = CliRunner()
    graded = runner.invoke(app, ["grade", "no-such", "--no-collect", "--lang", "en"])
    assert graded.exit_code == 1 and "cannot be opened" in graded.output and "unable to open database file" in graded.output
    course = Path(__file__).resolve().parents[1] / "courses" / "jiaoyu-guanli"
    built = runner.invoke(app, ["build", str(course), "--lang", "en"])
    assert built.exit_code == 0, built.output
    assert (root / "source" / "jiaoyu-guanli-l1" / "l1.ipynb").is_file()  # under the settings' root, not ./grader


def test_a_database_that_cannot_be_opened_is_a_message_naming_what_to_check(tmp_path):
    runner = CliRunner()
    # a real PostgreSQL client refused on a closed port; the password in the URL is never echoed
    refused = runner.invoke(app, ["report", "--ledger", "postgresql://records:s3cret@127.0.0.1:1/ledger", "--lang", "en",
                                  "--out", str(tmp_path / "r.html")])
    assert refused.exit_code == 1 and isinstance(refused.exception, SystemExit)
    assert "cannot be opened" in refused.output and "--ledger" in refused.output and "PARTYQUIZ_LEDGER_URL" in refused.output
    assert "Traceback" not in refused.output and "s3cret" not in refused.output
    garbled = runner.invoke(app, ["export", "--ledger", "not a url", "--out", str(tmp_path / "o"), "--lang", "zh-CN"])
    assert garbled.exit_code == 1 and "数据库打不开" in garbled.output and "Traceback" not in garbled.output


def test_a_name_the_library_does_not_know_is_a_message(capsys):
    with pytest.raises(typer.Exit) as unknown_kind:
        with failures():
            registry.get("nosuchkind")
    assert unknown_kind.value.exit_code == 1
    err = capsys.readouterr().err
    assert "nosuchkind" in err and "single" in err and "KeyError" not in err
    course = Course(id="c", title="课程", year=2026, lessons=[])
    with pytest.raises(typer.Exit) as no_lesson:
        with failures():
            course.lesson("l9")
    assert no_lesson.value.exit_code == 1 and "l9" in capsys.readouterr().err
    with pytest.raises(IndexError):  # a bug's IndexError or KeyError stays a traceback, never "not found"
        with failures():
            [][0]


def test_a_broken_config_file_is_named_not_a_traceback(tmp_path, monkeypatch):
    config = tmp_path / "site.toml"
    config.write_text('lang = "en"\nledger = "typo"\n', encoding="utf-8")
    monkeypatch.setenv("PARTYQUIZ_CONFIG", str(config))
    monkeypatch.delenv("PARTYQUIZ_LANG", raising=False)  # the test session's zh-CN would win over the file
    runner = CliRunner()
    unknown = runner.invoke(app, ["report", "--out", str(tmp_path / "r.html")])
    assert unknown.exit_code == 1 and "site.toml" in unknown.output and "ledger" in unknown.output
    assert "unknown settings" in unknown.output  # the file's own lang = "en" still words it
    config.write_text("x = [\n", encoding="utf-8")
    broken = runner.invoke(app, ["report", "--out", str(tmp_path / "r.html")])
    assert broken.exit_code == 1 and "site.toml" in broken.output and "TOML" in broken.output
