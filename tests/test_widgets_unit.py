"""Widget models without a browser: set values as a click would, check what the store holds."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from helpers_widgets import LEARNER, build_lesson, every_type_course, stored_answers

from partyquiz import i18n
from partyquiz.build import public_quiz
from partyquiz.draw import drawn_questions, option_order, seed_for
from partyquiz.model import QUESTION_TYPES, Quiz, Section
from partyquiz.widgets import QuizView
from partyquiz.markdown import render_markdown
from partyquiz.widgets.quiz import question_from_public


def _view(folder: Path, **kwargs) -> QuizView:
    return QuizView("l1.quiz.json", folder, LEARNER, **kwargs)


def _by_id(view: QuizView) -> dict:
    return {v.qid: v for v in view.views}


def answer_everything(view: QuizView) -> None:
    """What a learner does with the mouse and keyboard, question by question."""
    q = _by_id(view)
    q["q-single"].control.widget.value = "quarter"
    q["q-multiple"].control.boxes["jingshen"].value = True
    q["q-multiple"].control.boxes["zhengzhi"].value = True
    q["q-tf"].control.widget.value = True
    q["q-fill"].control.blanks[0].value = "月"
    q["q-fill"].control.blanks[1].value = "半年"
    q["q-num"].control.widget.value = "32"
    q["q-match"].control.menus["dahui"].value = "每季度"
    q["q-match"].control.menus["zhiwei"].value = "每月"
    q["q-essay"].control.widget.value = "坚持“三会一课”，<script>alert(1)</script>增强党性。"


EXPECTED = {
    "q-single": ["quarter"],
    "q-multiple": ["zhengzhi", "jingshen"],  # authored order, whatever order they were clicked in
    "q-tf": True,
    "q-fill": ["月", "半年"],
    "q-num": "32",
    "q-match": {"dahui": "每季度", "zhiwei": "每月"},
    "q-essay": "坚持“三会一课”，<script>alert(1)</script>增强党性。",
}


@pytest.fixture
def graded(tmp_path: Path) -> Path:
    return build_lesson(tmp_path, every_type_course("graded"))


def test_every_type_is_saved_by_stable_id_and_restored(graded: Path):
    view = _view(graded)
    assert "已答 0 / 7 题" in view.progress.value
    answer_everything(view)
    stored = stored_answers(graded)
    assert {qid: a["value"] for qid, a in stored.items()} == EXPECTED
    assert all(not a["late"] for a in stored.values())
    assert "已答 7 / 7 题" in view.progress.value
    assert all("已保存" in v.saved_label.value for v in view.views)

    again = _by_id(_view(graded))  # a kernel restart, a reload or the next day
    assert {qid: v.control.value for qid, v in again.items()} == EXPECTED
    assert again["q-single"].control.widget.label == "每季度一次"
    assert again["q-fill"].control.blanks[1].value == "半年"
    assert "已保存" in again["q-essay"].saved_label.value


def test_widget_shows_exactly_the_draw_and_option_order_the_grader_recomputes(tmp_path: Path):
    course = every_type_course("graded", extra=6)
    lesson = course.lessons[0]
    lesson.quiz.sections = [Section(pool=[q for q in course.questions if q.startswith("q-extra")], draw=3, points=1)]
    folder = build_lesson(tmp_path, course)
    for learner in ("u0001", "u0002", "u0003"):
        view = QuizView("l1.quiz.json", folder, learner)
        seed = seed_for(course.id, course.assignment_name(lesson), learner, "quiz1")
        assert [v.qid for v in view.views] == drawn_questions(lesson.quiz, seed)
        for v in view.views:
            assert v.control.order == option_order(lesson.quiz, seed, v.qid, ["one", "two", "four", "none"])
            assert [value for _label, value in v.control.widget.options] == v.control.order


def test_clearing_an_answer_lowers_progress(graded: Path):
    view = _view(graded)
    q = _by_id(view)
    q["q-num"].control.widget.value = "32"
    q["q-num"].control.widget.value = ""
    assert stored_answers(graded)["q-num"]["value"] is None
    assert "已答 0 / 7 题" in view.progress.value


def test_two_tabs_of_one_notebook_do_not_overwrite_each_other(graded: Path):
    tab_a, tab_b = _by_id(_view(graded)), _by_id(_view(graded))
    tab_a["q-single"].control.widget.value = "month"
    tab_b["q-tf"].control.widget.value = False  # tab B never saw tab A's answer
    tab_a["q-num"].control.widget.value = "30"
    stored = stored_answers(graded)
    assert stored["q-single"]["value"] == ["month"]
    assert stored["q-tf"]["value"] is False
    assert stored["q-num"]["value"] == "30"
    tab_b["q-single"].control.widget.value = "quarter"  # the newest change of a question wins
    assert stored_answers(graded)["q-single"]["value"] == ["quarter"]


def test_two_notebooks_of_one_assignment_keep_separate_answers(tmp_path: Path):
    course = every_type_course("graded")
    folder = build_lesson(tmp_path, course)
    spec = json.loads((folder / "l1.quiz.json").read_text(encoding="utf-8"))
    spec["notebook"] = "l1b"  # a second notebook in the same assignment folder
    (folder / "l1b.quiz.json").write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
    first = _by_id(_view(folder))
    second = _by_id(QuizView("l1b.quiz.json", folder, LEARNER))
    first["q-single"].control.widget.value = "month"
    second["q-single"].control.widget.value = "year"
    assert stored_answers(folder, "l1")["q-single"]["value"] == ["month"]
    assert stored_answers(folder, "l1b")["q-single"]["value"] == ["year"]


def test_damaged_answers_file_shows_message_and_keeps_readable_answers(graded: Path):
    view = _view(graded)
    _by_id(view)["q-single"].control.widget.value = "quarter"
    path = graded / "l1.answers.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["answers"]["q-tf"] = "edited by hand"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")

    view = _view(graded)
    assert "答案文件有损坏" in view.widget.children[1].value and "q-tf" in view.widget.children[1].value
    q = _by_id(view)
    assert q["q-single"].control.value == ["quarter"]
    q["q-num"].control.widget.value = "32"
    stored = stored_answers(graded)
    assert stored["q-single"]["value"] == ["quarter"] and stored["q-num"]["value"] == "32"
    assert list(graded.glob("l1.answers.json.damaged-*")), "the damaged original is kept for the instructor"


def test_truncated_answers_file_is_reported_not_crashing(graded: Path):
    (graded / "l1.answers.json").write_text('{"answers": {"q-single": {"value": ["qu', encoding="utf-8")
    view = _view(graded)
    assert "JSON" in view.widget.children[1].value
    assert all(v.control.value is None for v in view.views)


def test_graded_mode_shows_no_verdict_and_no_key(graded: Path):
    spec = json.loads((graded / "l1.quiz.json").read_text(encoding="utf-8"))
    assert all("key" not in q and "explanation" not in q for q in spec["questions"].values())
    view = _view(graded)
    answer_everything(view)
    assert all(not hasattr(v, "check") for v in view.views)
    assert all(v.feedback is None for v in view.views)


def test_practice_mode_gives_verdict_and_explanation_and_retry(tmp_path: Path):
    folder = build_lesson(tmp_path, every_type_course("practice"))
    q = _by_id(_view(folder))
    q["q-single"].control.widget.value = "month"
    q["q-single"].check.click()
    assert "回答错误" in q["q-single"].feedback.value and "每季度召开一次" in q["q-single"].feedback.value
    q["q-single"].retry.click()
    assert q["q-single"].control.value is None and q["q-single"].feedback.value == ""
    q["q-single"].control.widget.value = "quarter"
    q["q-single"].check.click()
    assert "回答正确" in q["q-single"].feedback.value
    assert stored_answers(folder)["q-single"]["value"] == ["quarter"]

    q["q-fill"].control.blanks[0].value = "个月"
    q["q-fill"].control.blanks[1].value = "六个月"
    q["q-fill"].check.click()
    assert "回答正确" in q["q-fill"].feedback.value
    q["q-fill"].control.blanks[1].value = "一年"  # changing the answer hides the old verdict
    assert q["q-fill"].feedback.value == ""
    q["q-fill"].check.click()
    assert "部分正确" in q["q-fill"].feedback.value  # strict: blanks earn their share

    q["q-num"].control.widget.value = "３２"  # full-width digits, as a Chinese IME types them
    q["q-num"].check.click()
    assert "回答正确" in q["q-num"].feedback.value
    q["q-essay"].check.click()
    assert "言之有理" in q["q-essay"].feedback.value and "回答" not in q["q-essay"].feedback.value


def test_practice_key_rebuilds_every_type(sample_course):
    course = every_type_course("practice")
    spec = public_quiz(course, course.lessons[0])
    for qid, view in spec["questions"].items():
        rebuilt = question_from_public(view)
        assert rebuilt.key() == course.questions[qid].key()


def test_time_limit_counts_down_then_marks_answers_late(tmp_path: Path):
    folder = build_lesson(tmp_path, every_type_course("graded", time_limit=40))
    now = [dt.datetime.now(dt.timezone.utc).astimezone()]
    view = _view(folder, clock=lambda: now[0])
    assert json.loads((folder / "l1.answers.json").read_text())["started_at"], "opening starts the clock"
    assert "剩余时间 39 分" in view.timer.value or "剩余时间 40 分" in view.timer.value
    _by_id(view)["q-single"].control.widget.value = "quarter"
    now[0] += dt.timedelta(minutes=41)
    assert view.refresh_timer() is False and "时间已到" in view.timer.value
    _by_id(view)["q-tf"].control.widget.value = True
    stored = stored_answers(folder)
    assert stored["q-single"]["late"] is False
    assert stored["q-tf"]["late"] is True and stored["q-tf"]["value"] is True  # kept, never dropped
    assert "逾期" in _by_id(view)["q-tf"].saved_label.value

    later = _view(folder, clock=lambda: now[0])  # the next day: the clock does not restart
    assert "时间已到" in later.timer.value


def test_save_failure_is_shown_and_answer_stays_on_page(graded: Path, monkeypatch):
    view = _view(graded)
    q = _by_id(view)

    def fail(*_a, **_k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(view.store, "save", fail)
    q["q-num"].control.widget.value = "32"
    assert "保存失败" in q["q-num"].saved_label.value and "pq-error" in q["q-num"].saved_label.value
    assert q["q-num"].control.value == "32"


def test_missing_or_broken_quiz_file_shows_a_message_naming_the_file(tmp_path: Path, monkeypatch):
    import partyquiz.widgets as widgets

    shown = []
    monkeypatch.setattr(widgets, "display", shown.append)
    widgets.show_quiz("nope.quiz.json", tmp_path, LEARNER)  # a message instead of a traceback
    assert "nope.quiz.json" in shown[-1].value and "找不到测验文件" in shown[-1].value
    (tmp_path / "bad.quiz.json").write_text("{", encoding="utf-8")
    widgets.show_quiz("bad.quiz.json", tmp_path, LEARNER)
    assert "bad.quiz.json" in shown[-1].value and "测验文件损坏" in shown[-1].value


def test_english_interface(graded: Path, monkeypatch):
    monkeypatch.setenv("PARTYQUIZ_LANG", "en")
    view = _view(graded)
    assert "0 of 7 answered" in view.progress.value
    q = _by_id(view)
    assert [label for label, _v in q["q-tf"].control.widget.options] == ["True", "False"]
    assert q["q-fill"].control.blanks[0].description == "Blank 1"


def test_every_control_has_a_label_for_screen_readers(graded: Path):
    for v in _view(graded).views:
        inputs = v.control._inputs()
        assert inputs and all(getattr(c, "description", "") for c in inputs), v.qid


def test_course_language_is_the_default_when_no_language_is_set(tmp_path: Path, monkeypatch):
    course = every_type_course("graded")
    course.language = "en"
    folder = build_lesson(tmp_path, course)
    monkeypatch.delenv("PARTYQUIZ_LANG", raising=False)
    i18n.set_language(None)
    assert "0 of 7 answered" in _view(folder).progress.value


def test_type_labels_exist_for_every_question_type():
    for lang in i18n.LANGUAGES:
        for qtype in QUESTION_TYPES:
            assert i18n.t(f"widgets.type.{qtype}", lang) != f"widgets.type.{qtype}"


@pytest.mark.parametrize(
    "source, forbidden",
    [
        ("<script>alert(1)</script>题干", "<script"),
        ("<img src=x onerror=alert(1)>", "onerror"),
        ("[点我](javascript:alert(1))", "href"),
        ("<a href=\"javascript:alert(1)\">x</a>", "javascript:"),
        ('<a href="data:text/html,<script>x</script>">x</a>', "data:text"),
        ("![svg](data:image/svg+xml;base64,PHN2Zz4=)", "<img"),
        ("<img src=\"data:image/svg+xml;base64,PHN2Zz4=\">", "svg+xml"),
        ("<iframe src='https://evil'></iframe>", "<iframe"),
        ('<div style="background:url(x)" onclick="x()">a</div>', "onclick"),
    ],
)
def test_markdown_is_rendered_safely(source: str, forbidden: str):
    assert forbidden not in render_markdown(source)


def test_markdown_keeps_formatting_and_images(tmp_path: Path):
    html = render_markdown("**三会一课**\n\n![图](https://example.org/a.png)\n\n| a | b |\n|---|---|\n| 1 | 2 |")
    assert "<strong>三会一课</strong>" in html and '<img src="https://example.org/a.png"' in html and "<table>" in html
    (tmp_path / "pic.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 20)
    inlined = render_markdown("![图](pic.png) ![外](../secret.png)", tmp_path)
    assert 'src="data:image/png;base64,' in inlined
    assert 'src="../secret.png"' in inlined  # outside the quiz folder: never read


def test_stem_with_script_is_not_injected(tmp_path: Path):
    course = every_type_course("graded")
    course.questions["q-single"].stem = "支部党员大会<img src=x onerror=alert(1)>多久召开一次？"
    folder = build_lesson(tmp_path, course)
    stem = _by_id(_view(folder))["q-single"].stem.value
    assert "onerror" not in stem and "多久召开一次" in stem


def test_timer_thread_counts_down_and_stops_at_the_deadline(tmp_path: Path):
    import time

    from partyquiz.widgets.quiz import start_timer

    folder = build_lesson(tmp_path, every_type_course("graded", time_limit=1))
    now = [dt.datetime.now(dt.timezone.utc).astimezone()]
    view = _view(folder, clock=lambda: now[0])
    assert "剩余时间 0 分 59 秒" in view.timer.value or "剩余时间 1 分 0 秒" in view.timer.value
    start_timer(view, interval=0.01)
    now[0] += dt.timedelta(seconds=30)
    deadline = time.monotonic() + 5
    while "剩余时间 0 分 3" not in view.timer.value and "剩余时间 0 分 29" not in view.timer.value and time.monotonic() < deadline:
        time.sleep(0.01)
    assert "剩余时间 0 分" in view.timer.value
    now[0] += dt.timedelta(minutes=1)
    while "时间已到" not in view.timer.value and time.monotonic() < deadline:
        time.sleep(0.01)
    assert "时间已到" in view.timer.value


def test_practice_quiz_has_no_timer_and_never_marks_late(tmp_path: Path):
    folder = build_lesson(tmp_path, every_type_course("practice", time_limit=1))
    later = dt.datetime.now(dt.timezone.utc).astimezone() + dt.timedelta(hours=5)
    view = _view(folder, clock=lambda: later)
    assert view.timer.value == ""
    _by_id(view)["q-tf"].control.widget.value = True
    assert stored_answers(folder)["q-tf"]["late"] is False
