"""The workbench's library: 作业总览 from one SQL query per source, the essay queue, marks through
nbgrader's Gradebook with first-save-wins, and feedback + ledger following a mark.

Real nbgrader gradebook and course root (helpers_grading), the fast engine, a real SQLite ledger.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from helpers_grading import essay_course, release, submit_direct  # noqa: E402

from partyquiz.grading.site import GraderSite
from partyquiz.pipeline import grade_and_roll_in
from partyquiz.draw import drawn_questions, seed_for
from partyquiz.records.ledger import learner_records
from partyquiz.workbench import marking, overview

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """An essay lesson, three learners submitted (two answered the essay), graded once."""
    tmp = tmp_path_factory.mktemp("wb")
    course = essay_course(tmp)
    site = GraderSite(root=tmp / "grader", exchange=tmp / "exchange")
    assignment, key = release(site, course, duedate="2026-05-01 12:00:00")
    for n, student in enumerate(("u0001", "u0002", "u0003")):
        drawn = drawn_questions(key.quiz, seed_for(key.course_id, key.assignment, student, key.quiz.id))
        values = {q: key.questions[q].answer for q in drawn if key.questions[q].type == "truefalse"}
        if n < 2:
            values["es-xinde"] = f"第{n + 1}位学员的心得：坚持三会一课。"
        stamp = "2026-05-02 10:00:00.000000 UTC" if n == 2 else "2026-05-01 10:00:00.000000 UTC"  # u0003 is late
        submit_direct(site, key, student, values, timestamp=stamp)
    ledger = f"sqlite:///{tmp / 'ledger.db'}"
    summary, _ = grade_and_roll_in(site, course, assignment, ledger_url=ledger, progress=False, collect=False, release_feedback=False)
    assert summary.graded == 3
    return site, course, assignment, key, ledger


def test_overview_counts_from_gradebook_ledger_and_disk(graded):
    site, course, assignment, key, ledger = graded
    rows = {r.assignment: r for r in overview.lesson_overview([course], site.gradebook_url, ledger, site.root)}
    row = rows[assignment]
    assert row.released and row.submitted == 3 and row.graded == 3
    assert row.late == 1
    assert row.essays_waiting == 2  # a blank essay scores 0 at once: nothing for a human to read
    assert row.average is not None and 0 <= row.average <= 100
    assert row.pass_rate is not None
    assert overview.percent(None) == "—" and overview.percent(float("nan")) == "—" and overview.percent(0.5) == "50.0%"


def test_overview_of_an_empty_site_shows_dashes_not_errors(tmp_path):
    from partyquiz.authoring import load_course
    from helpers_grading import SAMPLE

    course = load_course(SAMPLE)
    rows = overview.lesson_overview([course], f"sqlite:///{tmp_path / 'none.db'}", f"sqlite:///{tmp_path / 'l.db'}", tmp_path)
    assert rows and not rows[0].released and rows[0].graded == 0 and rows[0].average is None


def test_essay_queue_mark_and_first_save_wins(graded):
    site, course, assignment, key, ledger = graded
    queue = marking.essay_queue(site.gradebook_url, site.root, [course], names={"u0001": "张三"})
    assert [i.student for i in queue] == ["u0001", "u0002"]
    first = queue[0]
    assert first.stem == key.questions["es-xinde"].stem and "三会一课" in first.answer
    assert first.reference  # the rubric (explanation when no reference is set)
    assert marking.display_name(first, 1, blind=True).startswith("学员 #1")
    assert "张三" in marking.display_name(first, 1, blind=False)
    with pytest.raises(marking.MarkError, match="0 到 5"):
        marking.save_mark(site.gradebook_url, first, 6, seen=None)

    # two markers opened the same essay (both saw it unmarked): the first save wins
    a = marking.save_mark(site.gradebook_url, first, 4, "联系实际", seen=None)
    b = marking.save_mark(site.gradebook_url, first, 2, "太短", seen=None)
    assert a.saved and not b.saved and b.current == 4
    from nbgrader.api import Gradebook

    with Gradebook(site.gradebook_url) as gb:  # what formgrader shows
        grade = gb.find_grade(first.grade_id, first.notebook, assignment, "u0001")
        assert grade.manual_score == 4 and not grade.needs_manual_grade
        assert gb.find_comment(first.grade_id, first.notebook, assignment, "u0001").manual_comment == "联系实际"
    # the one who saw 4 may change it
    assert marking.save_mark(site.gradebook_url, first, 5, seen=4).saved
    left = marking.essay_queue(site.gradebook_url, site.root, [course])
    assert [i.student for i in left] == ["u0002"]


def test_after_a_mark_feedback_and_ledger_follow(graded):
    site, course, assignment, key, ledger = graded
    item = next(i for i in marking.essay_queue(site.gradebook_url, site.root, [course]) if i.student == "u0002")
    assert learner_records(ledger, "u0002") == []  # not complete while the essay waits: no record yet
    from partyquiz.answers import answers_path, load_answers
    from partyquiz.scoring import auto_score, grade_quiz

    answers = load_answers(answers_path(site.root / "submitted" / "u0002" / assignment, key.notebook)).answers
    before = auto_score(grade_quiz(key, "u0002", answers))
    assert marking.save_mark(site.gradebook_url, item, 3, seen=None).saved
    done = marking.refresh_learner(site, course, item, ledger_url=ledger)
    page = (site.root / "feedback" / "u0002" / assignment / f"{key.notebook}.html").read_text(encoding="utf-8")
    assert 'data-pending="0"' in page and "待教师批阅" not in page
    assert learner_records(ledger, "u0002")[0].score == pytest.approx(before + 3)
    assert done.problems == [] or all("发布" in p for p in done.problems)


def _fresh_site(tmp: Path):
    course = essay_course(tmp / "courses")
    site = GraderSite(root=tmp / "grader", exchange=tmp / "exchange")
    assignment, key = release(site, course)
    for n, student in enumerate(("u0001", "u0002", "u0003")):
        drawn = drawn_questions(key.quiz, seed_for(key.course_id, key.assignment, student, key.quiz.id))
        values = {q: key.questions[q].answer for q in drawn if key.questions[q].type == "truefalse"}
        values["es-xinde"] = f"第{n + 1}位学员：坚持三会一课，联系支部实际。"
        submit_direct(site, key, student, values)
    return course, site, assignment, key


def test_workbench_pages_grade_mark_export_roster_publish(tmp_path, monkeypatch):
    import io
    import re
    from base64 import b64decode

    import openpyxl

    from partyquiz.hub.dashboard import Instructor
    from partyquiz.workbench.pages import Workbench

    course, site, assignment, key = _fresh_site(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    ins = Instructor(grader_root=site.root, exchange=site.exchange, ledger_url=f"sqlite:///{tmp_path / 'ledger.db'}",
                     roster_file=tmp_path / "roster.csv", courses_dir=tmp_path / "courses")
    bench = Workbench(ins)
    # nothing happens by opening: collected 3, graded 0
    assert "<td>3</td><td>0</td>" in bench.overview.value.replace("\n", "")
    assert "NaN" not in bench.overview.value and "—" in bench.overview.value

    bench.grade_all()
    bar = next(c for box in bench.grade_area.children[:-1] for c in box.children if hasattr(c, "max"))
    assert bar.value == bar.max == 3  # the bar reached the total
    card = bench.grade_area.children[-1].value
    assert "已评分 3 份" in card and "待批阅简答题 3 道" in card
    bench.grade_all()  # safe to repeat
    assert "已评分 0 份，未变化 3 份" in bench.grade_area.children[-1].value

    # essay queue: one at a time, blind by default
    assert len(bench.queue) == 3 and "学员 #1" in bench.essay_view.value and "三会一课" in bench.essay_view.value
    other = Workbench(ins)  # a second instructor with the same essay open
    bench.score.value = 4
    bench.save_and_next()
    assert "已保存 4 分" in bench.mark_message.value
    other.score.value = 1
    other.save_and_next()
    assert "另一位教师评为 4 分" in other.mark_message.value
    bench.score.value = 5
    bench.save_and_next()
    assert len(bench.queue) == 1
    assert re.search(r"<td>[^<]*</td><td>是</td><td>3</td><td>3</td><td>1</td>", bench.overview.value)

    # statistics: Chinese headers, no NaN; charts on request
    bench.refresh_stats()
    assert "支部" in bench.stats.value and "NaN" not in bench.stats.value
    bench.show_charts()
    assert "<svg" in bench.charts.value

    # exports: one download per file, Chinese headers, no server path shown
    bench.export()
    html = bench.downloads.value
    assert str(tmp_path) not in html and "pq-report" in html
    links = re.findall(r"href='data:([^']*?);base64,([^']+)' download='([^']+)'", html)
    xlsx = [(name, b64decode(data)) for mime, data, name in links if name.endswith(".xlsx")]
    assert xlsx and any(n.endswith(".csv") for _, _, n in links)
    for name, data in xlsx:
        sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
        assert any(isinstance(c, str) and re.search(r"[\u4e00-\u9fff]", c) for row in sheet.iter_rows(max_row=5, values_only=True) for c in row), name

    # roster with a bad row: the row is named in the page
    bad = "工号,姓名,支部,人员类别\nu0001,张三,第一支部,普通党员\nu0002,,第一支部,普通党员\n".encode("gbk")
    bench.upload.value = ({"name": "花名册.csv", "type": "text/csv", "size": len(bad), "content": memoryview(bad), "last_modified": __import__("datetime").datetime.now(__import__("datetime").timezone.utc)},)
    assert "第 3 行" in bench.roster_result.value and "花名册未导入" in bench.roster_result.value

    # publish a course with a problem: listed in the page, nothing released
    broken = tmp_path / "courses" / "broken"
    broken.mkdir()
    (broken / "course.yml").write_text("id: broken\ntitle: 坏课程\nlessons: []\n", encoding="utf-8")
    bench.course_choice.options = [("broken", str(broken))]
    bench.course_choice.value = str(broken)
    bench.publish()
    assert "未发布" in bench.publish_result.value and "pq-problems" in bench.publish_result.value
