"""Bank images travel with the lesson: build copies the course media a learner sees into the
assignment, nbgrader releases them, and the widget shows them inline (offline)."""
from __future__ import annotations

import base64
from pathlib import Path

from helpers_widgets import LEARNER

from partyquiz.build import build_course
from partyquiz.model import Course, Lesson, Option, Question, Quiz, Section
from partyquiz.widgets import QuizView

# a 1×1 red PNG
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4z8DwHwAFAAH/iZk9HQAAAABJRU5ErkJggg==")


def media_course(folder: Path) -> Course:
    (folder / "media").mkdir(parents=True)
    (folder / "media" / "a1b2c3-dangqi.png").write_bytes(PNG)
    (folder / "media" / "d4e5f6-jiexi.png").write_bytes(PNG + b"explanation")
    q = Question(id="q-img", type="single", stem='图中是哪一面旗帜？<img src="media/a1b2c3-dangqi.png" alt="旗帜">',
                 options=[Option(id="a", text="党旗", correct=True), Option(id="b", text="团旗")],
                 explanation='解析见图 <img src="media/d4e5f6-jiexi.png" alt="解析">')
    quiz = Quiz(id="q1", sections=[Section(pool=[q.id])])
    course = Course(id="media", title="图片题", year=2026, lessons=[Lesson(id="l1", title="党旗", file="l1.md", hours=1, quiz=quiz)])
    course.questions, course.lesson_text, course.folder = {q.id: q}, {"l1": "# 党旗\n"}, str(folder)
    return course


def test_built_and_released_lesson_carries_and_shows_its_image(site, tmp_path: Path):
    course = media_course(tmp_path / "course")
    (built,) = build_course(course, site.source)
    assert (built.folder / "media" / "a1b2c3-dangqi.png").read_bytes() == PNG
    # a graded quiz's explanation is not released, and neither is its picture
    assert not (built.folder / "media" / "d4e5f6-jiexi.png").exists()
    site.generate_and_release(built.name)
    released = site.release_dir(built.name)
    assert (released / "media" / "a1b2c3-dangqi.png").read_bytes() == PNG
    view = QuizView("l1.quiz.json", released, LEARNER)
    stem = view.views[0].stem.value
    assert "data:image/png;base64," + base64.b64encode(PNG).decode() in stem and 'alt="旗帜"' in stem
