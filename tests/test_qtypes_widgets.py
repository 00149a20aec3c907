"""Cloze and description on screen (widget models, no browser): the blanks sit inside the
text, a typed blank is saved at once, a description asks nothing and counts nowhere."""
from __future__ import annotations

from pathlib import Path

import ipywidgets as w
import pytest
from helpers_widgets import LEARNER, build_lesson, stored_answers

from partyquiz.model import Course, Lesson, Question, Quiz, Section
from partyquiz.widgets import QuizView


def course(mode: str) -> Course:
    questions = [Question.example(name) for name in ("description", "cloze", "single")]
    quiz = Quiz(id="q1", title="完形填空", mode=mode, rule="strict", shuffle_questions=False,
                sections=[Section(pool=[q.id for q in questions])])
    c = Course(id="cz", title="完形填空课程", year=2026, lessons=[Lesson(id="l1", title="三会一课", file="l1.md", hours=1, quiz=quiz)])
    c.questions = {q.id: q for q in questions}
    c.lesson_text = {"l1": "# 三会一课\n"}
    return c


def _views(folder: Path) -> tuple[QuizView, dict]:
    view = QuizView("l1.quiz.json", folder, LEARNER)
    return view, {v.qid: v for v in view.views}


def _html_text(widget) -> str:
    if isinstance(widget, w.HTML):
        return widget.value
    return "".join(_html_text(c) for c in getattr(widget, "children", ()))


def test_cloze_shows_its_blanks_inside_the_stem_and_saves_each(tmp_path: Path):
    folder = build_lesson(tmp_path, course("graded"))
    quiz, views = _views(folder)
    cloze = views["ex-cloze"]
    text = _html_text(cloze.control.widget)
    assert "支委会一般每" in text and "召开一次；党课每年至少" in text and "{{" not in text
    assert "pq-stem'" not in cloze.stem.value  # the stem is not shown a second time above the blanks
    inputs = cloze.control.inputs
    assert list(inputs) == ["pinci", "cishu", "ke"]
    assert isinstance(inputs["ke"], w.Dropdown) and [label for label, _ in inputs["ke"].options][1:] == ["党课", "团课", "业务培训课"]
    inputs["pinci"].value = "月"
    assert stored_answers(folder)["ex-cloze"]["value"] == {"pinci": "月"}
    inputs["cishu"].value = "２"
    inputs["ke"].value = "dangke"
    assert stored_answers(folder)["ex-cloze"]["value"] == {"pinci": "月", "cishu": "２", "ke": "dangke"}
    assert "已答 1 / 2 题" in quiz.progress.value  # the description counts neither way
    _again, views = _views(folder)
    assert views["ex-cloze"].control.inputs["cishu"].value == "２" and views["ex-cloze"].control.inputs["ke"].value == "dangke"


def test_description_is_text_only(tmp_path: Path):
    folder = build_lesson(tmp_path, course("graded"))
    quiz, views = _views(folder)
    text = views["ex-description"]
    assert "“三会一课”" in text.stem.value and "第 1 题" not in text.stem.value and "分）" not in text.stem.value
    assert text.saved_label not in text.box.children  # nothing to save
    assert "第 1 题" in views["ex-cloze"].stem.value  # numbering skips the text
    assert "已答 0 / 2 题" in quiz.progress.value


def test_practice_verdict_for_a_partly_right_cloze(tmp_path: Path):
    folder = build_lesson(tmp_path, course("practice"))
    _quiz, views = _views(folder)
    cloze = views["ex-cloze"]
    cloze.control.fill({"pinci": "月", "cishu": "1", "ke": "tuanke"})
    cloze.show_feedback()
    assert "部分正确：1.5 / 3 分" in cloze.feedback.value  # 3 × (1 + 0.5 + 0) / 3
    assert "对：每月一次。" in cloze.feedback.value and "应为两次。" in cloze.feedback.value  # the bank's feedback per blank
    single = views["ex-single"]
    single.control.fill(["quarter"])
    single.show_feedback()
    assert "回答正确" in single.feedback.value and "对，每季度一次。" in single.feedback.value
    cloze.control.fill({"pinci": "月", "cishu": "2", "ke": "dangke"})
    cloze.show_feedback()
    assert "回答正确" in cloze.feedback.value
    assert not hasattr(views["ex-description"], "check")


@pytest.mark.parametrize("display", ["vertical", "horizontal"])
def test_cloze_choice_as_radio_buttons(tmp_path: Path, display: str):
    c = course("graded")
    c.questions["ex-cloze"].parts[2].display = display
    folder = build_lesson(tmp_path, c)
    _quiz, views = _views(folder)
    menu = views["ex-cloze"].control.inputs["ke"]
    assert isinstance(menu, w.RadioButtons) and f"pq-cloze-{display}" in menu._dom_classes
    menu.value = "tuanke"
    assert stored_answers(folder)["ex-cloze"]["value"] == {"ke": "tuanke"}


def test_cloze_stem_shows_its_course_image_inline(tmp_path: Path):
    import base64

    png = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4z8DwHwAFAAH/iZk9HQAAAABJRU5ErkJggg==")
    c = course("graded")
    (tmp_path / "course" / "media").mkdir(parents=True)
    (tmp_path / "course" / "media" / "abc-qi.png").write_bytes(png)
    c.folder = str(tmp_path / "course")
    q = c.questions["ex-cloze"]
    q.stem = '<img src="media/abc-qi.png" alt="党旗">\n\n' + q.stem
    folder = build_lesson(tmp_path / "build", c)
    _quiz, views = _views(folder)
    assert "data:image/png;base64," in _html_text(views["ex-cloze"].control.widget)
