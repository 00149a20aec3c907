"""The learner's start page: lessons found in the learner's folders, with their progress."""
from __future__ import annotations

import json
from pathlib import Path

import nbformat
from helpers_widgets import LEARNER, build_lesson, every_type_course

from partyquiz.answers import AnswerStore
from partyquiz.i18n import set_language
from partyquiz.widgets.start import find_lessons, render_start_page

REPO = Path(__file__).resolve().parents[1]


def test_start_page_lists_lessons_with_progress_and_hours(tmp_path: Path, sample_course):
    from partyquiz.build import build_course

    home = tmp_path / "home"
    build_course(sample_course, home / "jiaoyu-guanli")  # <home>/<course>/<assignment>/, as nbgrader fetch does
    folder = build_lesson(home, every_type_course("graded"))
    store = AnswerStore(folder, "l1")
    store.save("q-single", ["quarter"])
    store.save("q-essay", "  ")  # blank text is not an answer
    (home / ".ipynb_checkpoints").mkdir()
    (home / ".ipynb_checkpoints" / "x.quiz.json").write_text("{}", encoding="utf-8")

    lessons = find_lessons(home, LEARNER)
    by_notebook = {item.notebook: item for item in lessons}
    assert set(by_notebook) == {"demo-l1/l1.ipynb", "jiaoyu-guanli/jiaoyu-guanli-l1/l1.ipynb"}
    mine = by_notebook["demo-l1/l1.ipynb"]
    assert (mine.answered, mine.total, mine.hours) == (1, 7, 2.0)
    sample = by_notebook["jiaoyu-guanli/jiaoyu-guanli-l1/l1.ipynb"]
    assert sample.total == 10 and sample.answered == 0  # 4 + 3 + 3 drawn of 4

    page = render_start_page(lessons, LEARNER, "zh-CN")
    assert "我的课程" in page and "已答 1 / 7 题" in page and "已答 0 / 10 题" in page
    assert "href='demo-l1/l1.ipynb'" in page and sample_course.lessons[0].title in page


def test_start_page_escapes_titles_and_reports_broken_files(tmp_path: Path):
    course = every_type_course("graded")
    course.title = "<script>alert(1)</script>课程"
    folder = build_lesson(tmp_path, course)
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "x.quiz.json").write_text("{", encoding="utf-8")
    (folder / "l1.answers.json").write_text("not json", encoding="utf-8")
    set_language("en")  # the answers file's problem is worded in the session's language (catalog)
    page = render_start_page(find_lessons(tmp_path, LEARNER), LEARNER, "en")
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "broken/x.quiz.json" in page and "unreadable" in page
    assert "0 of 7 answered" in page and "broken JSON" in page


def test_empty_home_says_how_to_get_courses(tmp_path: Path):
    assert "还没有课程" in render_start_page(find_lessons(tmp_path, LEARNER), LEARNER, "zh-CN")


def test_start_notebook_is_a_thin_face_over_the_library():
    nb = nbformat.read(REPO / "notebooks" / "start.ipynb", as_version=4)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    assert code == ["from partyquiz.widgets.start import show_start_page\nshow_start_page()"]
