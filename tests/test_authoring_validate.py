"""`partyquiz validate`: every problem at once, each with its file and line."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from partyquiz import i18n
from partyquiz.authoring import check_course, load_course
from partyquiz.authoring.schema import BANK_SCHEMA, COURSE_SCHEMA, bank_schema, course_schema, render
from partyquiz.cli import _register, app
from partyquiz.errors import InputError

REPO = Path(__file__).resolve().parents[1]

SHIPPED = sorted(p.parent for p in (REPO / "courses").glob("*/course.yml"))

BROKEN = """\
id: broken
title: 有错误的课程
year: 二〇二六
banks:
  - banks/bank.gift
  - banks/missing.csv
lessons:
  - id: l1
    title: 第一课
    file: lessons/l1.md
    hours: 1
    quiz:
      id: q1
      sections:
        - pool: [tf1, tf2, nope]
          draw: 2
        - pool: [tf1, essay1]
          draw: 1
          points: 2
        - pool: [tf1]
          draw: 5
  - id: l2
    title: 第二课
    file: lessons/missing.md
    hours: -1
"""

BANK = """\
// partyquiz {"points": 2}
::tf1:: 一 {T}

::tf2:: 二 {F}

// partyquiz {"points": 10}
::essay1:: 谈谈 {}

::bad:: 权重不对 {~%50%甲 ~%10%乙}
"""


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    (tmp_path / "banks").mkdir()
    (tmp_path / "lessons").mkdir()
    (tmp_path / "course.yml").write_text(BROKEN, encoding="utf-8")
    (tmp_path / "banks" / "bank.gift").write_text(BANK, encoding="utf-8")
    (tmp_path / "lessons" / "l1.md").write_text("# 第一课\n", encoding="utf-8")
    return tmp_path


@pytest.fixture
def english():
    i18n.set_language("en")
    yield
    i18n.set_language(None)


def test_every_problem_is_reported_with_its_line(broken, english):
    check = check_course(broken)
    course = str(broken / "course.yml")
    got = {(Path(p.file).name, p.line): p.message for p in check.problems}
    assert any("year" in (p.column or "") and p.line == 3 for p in check.problems)  # pydantic: not an int
    assert "bank not found: banks/missing.csv" in got[("course.yml", 6)]
    assert "lesson file not found: lessons/missing.md" in got[("course.yml", 24)]
    assert "unknown question id 'nope'" in got[("course.yml", 15)]
    assert "mixed points" in got[("course.yml", 16)]  # tf1=2, tf2=1, drawn, no section points
    assert "essays are not allowed in a drawn pool" in got[("course.yml", 18)]
    assert "draw out of range" in got[("course.yml", 20)]  # the model's own check, mapped to its line
    assert any(p.line == 25 and "hours" in (p.column or "") for p in check.problems)
    assert "100%" in got[("bank.gift", 9)]  # a bank problem keeps the bank's own file and line
    assert check.course is None and len(check.problems) >= 9
    assert all(p.file in (course, str(broken / "banks" / "bank.gift")) for p in check.problems)


def test_load_course_raises_all_problems_at_once(broken):
    with pytest.raises(InputError) as exc:
        load_course(broken)
    assert len(exc.value.problems) == len(check_course(broken).problems)


def test_yaml_syntax_error_has_a_line(tmp_path):
    (tmp_path / "course.yml").write_text("id: x\ntitle: [unclosed\nyear: 2026\n", encoding="utf-8")
    (problem,) = check_course(tmp_path).problems
    assert problem.line is not None and "YAML" in problem.message


def test_duplicate_question_ids_across_banks(tmp_path):
    shutil.copytree(REPO / "courses" / "party-education-en", tmp_path / "c")
    (tmp_path / "c" / "banks" / "more.gift").write_text("\n\n::en-cell:: again {T}\n", encoding="utf-8")
    text = (tmp_path / "c" / "course.yml").read_text(encoding="utf-8")
    (tmp_path / "c" / "course.yml").write_text(text.replace("  - banks/questions.yml", "  - banks/questions.yml\n  - banks/more.gift"), encoding="utf-8")
    (problem,) = check_course(tmp_path / "c").problems
    assert problem.file.endswith("more.gift") and problem.line == 3 and "banks/questions.yml:" in problem.message


@pytest.mark.parametrize("folder", SHIPPED, ids=[p.name for p in SHIPPED])
def test_shipped_courses_validate(folder):
    check = check_course(folder)
    assert check.ok, "\n".join(map(str, check.problems))
    assert all(lesson.id in check.course.lesson_text for lesson in check.course.lessons)


def test_shipped_content_has_draws_practice_and_graded_quizzes_and_english():
    courses = [load_course(p) for p in SHIPPED]
    quizzes = [lesson.quiz for c in courses for lesson in c.lessons if lesson.quiz]
    assert {q.mode for q in quizzes} == {"practice", "graded"}
    assert any(s.draw for q in quizzes for s in q.sections)
    assert {c.language for c in courses} == {"zh-CN", "en"}
    assert sum(1 for c in courses if c.language == "zh-CN" and c.id != "jiaoyu-guanli") >= 3


def test_shipped_schemas_match_the_model():
    assert json.loads(COURSE_SCHEMA.read_text(encoding="utf-8")) == json.loads(render(course_schema()))
    assert json.loads(BANK_SCHEMA.read_text(encoding="utf-8")) == json.loads(render(bank_schema()))
    assert "questions" not in course_schema()["properties"]  # loader-only fields stay out


def test_cli_validate_exit_codes_and_messages(broken):
    _register()
    runner = CliRunner()
    ok = runner.invoke(app, ["validate", str(REPO / "courses" / "party-education-en"), "--lang", "en"])
    assert ok.exit_code == 0 and "valid (1 lessons, 8 questions)" in ok.output
    bad = runner.invoke(app, ["validate", str(broken), "--lang", "zh-CN"])
    assert bad.exit_code == 1
    assert f"{broken / 'course.yml'}:24" in bad.output and "个问题" in bad.output


def test_cli_import_and_export_bank(tmp_path):
    _register()
    runner = CliRunner()
    fixtures = REPO / "tests" / "fixtures" / "banks"
    out = tmp_path / "bank.yml"
    refused = runner.invoke(app, ["import-bank", str(fixtures / "errors.csv"), str(fixtures / "gbk-export.csv"), "--to", str(out), "--lang", "en"])
    assert refused.exit_code == 1 and not out.exists() and "Nothing imported" in refused.output
    assert "errors.csv:4 [答案 (H)]" in refused.output
    kept = runner.invoke(app, ["import-bank", str(fixtures / "errors.csv"), str(fixtures / "gbk-export.csv"), "--to", str(out), "--keep-valid"])
    assert kept.exit_code == 0 and "9" in kept.output and out.exists()
    xlsx = tmp_path / "bank.xlsx"
    exported = runner.invoke(app, ["export-bank", str(out), "--format", "xlsx", "-o", str(xlsx)])
    assert exported.exit_code == 0 and len(runner.invoke(app, ["import-bank", str(xlsx), "--to", str(tmp_path / "again.yml")]).output) > 0
    assert (tmp_path / "again.yml").read_text(encoding="utf-8") == out.read_text(encoding="utf-8")
    # GIFT holds one blank per question: the two-blank question is named, nothing is written
    gift = tmp_path / "bank.gift"
    refused = runner.invoke(app, ["export-bank", str(out), "--format", "gift", "-o", str(gift)])
    assert refused.exit_code == 1 and "gbk-export-r7" in refused.output and not gift.exists()
