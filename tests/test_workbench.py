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
from helpers_records import EXPORT_HEADERS  # noqa: E402

from partyquiz.grading.site import GraderSite
from partyquiz.pipeline import grade_and_roll_in
from partyquiz.draw import drawn_questions, seed_for
from partyquiz.simulate import right_answer
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
        if student == "u0002":  # every question right: the essay mark decides a pass
            values = {q: right_answer(key.questions[q]) for q in drawn if key.questions[q].kind.answerable}
        if n < 2:
            values["es-xinde"] = f"第{n + 1}位学员的心得：坚持三会一课。"
        stamp = "2026-05-02 10:00:00.000000 UTC" if n == 2 else "2026-05-01 10:00:00.000000 UTC"  # u0003 is late
        folder = submit_direct(site, key, student, values, timestamp=stamp)
        _study(folder, key.notebook, seconds=25 * 60)  # the learner app recorded 25 minutes of study
    ledger = f"sqlite:///{tmp / 'ledger.db'}"
    summary, _ = grade_and_roll_in(site, course, assignment, ledger_url=ledger, progress=False, collect=False, release_feedback=False)
    assert summary.graded == 3
    return site, course, assignment, key, ledger


def _study(folder: Path, notebook: str, seconds: float) -> None:
    """Put the study time into a collected answers file, where the learner app keeps it."""
    import json

    from partyquiz.answers import answers_path

    path = answers_path(folder, notebook)
    data = json.loads(path.read_text(encoding="utf-8"))
    data["study"] = {"active_seconds": seconds}
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


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
    (record,) = learner_records(ledger, "u0002")
    assert record.score == pytest.approx(before + 3) and record.passed
    # hours from the study time the learner app recorded, as at grading: 25 minutes at 1 学时 an
    # hour, rounded down to 0.25 → 0.25 (without it the lesson's 45 minutes would give 0.75)
    assert record.hours == pytest.approx(0.25)
    assert done.problems == [] or all("发布" in p for p in done.problems)


ROSTER = "工号,姓名,支部,人员类别\nu0001,张三,第一支部,党员\nu0002,李四,第一支部,党员\nu0003,王五,第一支部,党员\nu0004,赵六,第二支部,党员\n"


def _answers(key, student: str, n: int) -> dict:
    drawn = drawn_questions(key.quiz, seed_for(key.course_id, key.assignment, student, key.quiz.id))
    values = {q: key.questions[q].answer for q in drawn if key.questions[q].type == "truefalse"}
    values["es-xinde"] = f"第{n + 1}位学员：坚持三会一课，联系支部实际。"
    return values


def _fresh_site(tmp: Path):
    """Three learners collected; a fourth has submitted through nbgrader's (folder) exchange and
    waits there until 评分 collects it."""
    from partyquiz.answers import AnswerStore
    from partyquiz.model import Answer, now_iso

    course = essay_course(tmp / "courses")
    site = GraderSite(root=tmp / "grader", exchange=tmp / "exchange", exchange_url=None)
    assignment, key = release(site, course)
    for n, student in enumerate(("u0001", "u0002", "u0003")):
        submit_direct(site, key, student, _answers(key, student, n))
    work = tmp / "u0004-home"
    folder = site.fetch(assignment, "u0004", work)
    AnswerStore(folder, key.notebook, meta={"learner": "u0004", "assignment": assignment}).save_many(
        {q: Answer(value=v, saved_at=now_iso()) for q, v in _answers(key, "u0004", 3).items()})
    site.submit(assignment, "u0004", work)
    return course, site, assignment, key


def _instructor(tmp_path, site):
    from partyquiz.hub.dashboard import Instructor

    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    return Instructor(grader_root=site.root, exchange=site.exchange, ledger_url=f"sqlite:///{tmp_path / 'ledger.db'}",
                      roster_file=roster, courses_dir=tmp_path / "courses")


def _href_file(home: Path, href: str) -> Path:
    from urllib.parse import unquote

    assert href.startswith("/files/"), href
    return home / unquote(href[len("/files/"):].split("?")[0])


def test_workbench_pages_grade_mark_export_roster_publish(tmp_path, monkeypatch):
    import csv
    import re

    import openpyxl

    from partyquiz.workbench.pages import Workbench

    course, site, assignment, key = _fresh_site(tmp_path)
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    ins = _instructor(tmp_path, site)
    bench = Workbench(ins)
    # nothing happens by opening: 4 handed in (3 collected + 1 still in the exchange), 0 graded,
    # and no ledger is created for looking
    assert "<td>4</td><td>0</td>" in bench.overview.value.replace("\n", "")
    assert "NaN" not in bench.overview.value and "—" in bench.overview.value
    assert not (tmp_path / "ledger.db").exists() and "还没有培训档案库" in bench.overview.value
    assert bench.built == {"overview"}  # the other pages are built when their tab is chosen

    bench.open_tab("grade")
    bench.grade_all()
    bar = next(c for box in bench.grade_area.children[:-1] for c in box.children if hasattr(c, "max"))
    assert bar.value == bar.max == 4  # the bar reached the total
    card = bench.grade_area.children[-1].value
    assert "已评分 4 份" in card and "待批阅简答题 4 道" in card
    bench.grade_all()  # safe to repeat
    assert "已评分 0 份，未变化 4 份" in bench.grade_area.children[-1].value

    # essay queue: one at a time, blind by default; the answer is read when the essay is shown
    bench.open_tab("mark")
    assert len(bench.queue) == 4 and "学员 #1" in bench.essay_view.value and "三会一课" in bench.essay_view.value
    assert "张三" not in bench.essay_view.value and "u0001" not in bench.essay_view.value
    assert sum(1 for i in bench.queue if i.answer) == 1
    other = Workbench(ins)  # a second instructor with the same essay open
    other.open_tab("mark")
    bench.score.value = 7  # over the maximum: refused and told, not silently clamped
    bench.save_and_next()
    assert "0 到 5" in bench.mark_message.value and len(bench.queue) == 4
    bench.comment.value = "要联系实际"
    bench.blind.value = False  # switching blind marking keeps what was typed
    assert bench.comment.value == "要联系实际" and "张三" in bench.essay_view.value
    bench.score.value = 4
    bench.save_and_next()
    assert "已保存 4 分" in bench.mark_message.value
    other.score.value = 1
    other.save_and_next()
    assert "另一位教师评为 4 分" in other.mark_message.value
    bench.score.value = 5
    bench.save_and_next()
    assert len(bench.queue) == 2
    assert re.search(r"<td>[^<]*</td><td>是</td><td>4</td><td>4</td><td>2</td>", bench.overview.value)

    # statistics: Chinese headers, no NaN; charts on request
    bench.open_tab("stats")
    assert "支部" in bench.stats.value and "NaN" not in bench.stats.value
    bench.show_charts()
    assert "<svg" in bench.charts.value

    # offline activity and an evaluation, so the activity tables have rows
    bench.open_tab("sessions")
    se = bench.sessions
    se.kind.value, se.title.value, se.branch.value, se.length.value, se.unit.value = "党课", "学习党章", "第一支部", 2, "hours"
    se.save()
    bench.open_tab("evaluation")

    # exports: one download per file from the instructor's own server; the report opens in a new tab
    bench.open_tab("export")
    files = bench.export()
    html = bench.downloads.value
    assert str(tmp_path) not in html and "data:" not in html
    report = re.findall(r"<a class='pq-download pq-report' href='([^']+)' target='_blank' rel='noopener'>", html)
    assert len(report) == 1 and "download" not in report[0]
    assert "党员教育培训分析报告" in _href_file(home, report[0]).read_text(encoding="utf-8")
    links = dict((name, href) for href, name in re.findall(r"href='([^']+\?download=1)' download='([^']+)'", html))
    assert {f.name for f in files if f.suffix != ".html"} <= set(links) and t_zip() in links
    for title, header in EXPORT_HEADERS.items():
        sheet = openpyxl.load_workbook(_href_file(home, links[f"{title}.xlsx"]), read_only=True).worksheets[0]
        assert list(next(sheet.iter_rows(max_row=1, values_only=True))) == header, title
        text = _href_file(home, links[f"{title}.csv"]).read_bytes()
        assert text.startswith(b"\xef\xbb\xbf"), title  # BOM: Excel opens it as UTF-8
        assert next(csv.reader(text.decode("utf-8-sig").splitlines())) == header, title
    ledger_rows = openpyxl.load_workbook(_href_file(home, links["活动台账.xlsx"]), read_only=True).worksheets[0]
    assert any(row[5] == "学习党章" for row in ledger_rows.iter_rows(min_row=2, values_only=True))
    import zipfile

    assert set(zipfile.ZipFile(_href_file(home, links[t_zip()])).namelist()) == {f.relative_to(home / "exports").as_posix() for f in files}

    # roster with a bad row: the row is named in the page
    bench.open_tab("roster")
    bad = "工号,姓名,支部,人员类别\nu0001,张三,第一支部,党员\nu0002,,第一支部,党员\n".encode("gbk")
    bench.upload.value = ({"name": "花名册.csv", "type": "text/csv", "size": len(bad), "content": memoryview(bad), "last_modified": __import__("datetime").datetime.now(__import__("datetime").timezone.utc)},)
    assert "第 3 行" in bench.roster_result.value and "花名册未导入" in bench.roster_result.value

    # publish a course with a problem: listed in the page, nothing released
    bench.open_tab("publish")
    broken = tmp_path / "courses" / "broken"
    broken.mkdir()
    (broken / "course.yml").write_text("id: broken\ntitle: 坏课程\nlessons: []\n", encoding="utf-8")
    bench.course_choice.options = [("broken", str(broken))]
    bench.course_choice.value = str(broken)
    bench.publish()
    assert "未发布" in bench.publish_result.value and "pq-problems" in bench.publish_result.value


def t_zip() -> str:
    from partyquiz.i18n import t

    return t("workbench.ex.zip_name")


# --- 线下活动 and 学习评价 (issue 16) -------------------------------------------------------------
def _bench_with_roster(tmp_path, monkeypatch):
    from partyquiz.workbench.pages import Workbench

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    site = GraderSite(root=tmp_path / "grader", exchange=tmp_path / "exchange", exchange_url=None)
    (tmp_path / "courses").mkdir()
    return Workbench(_instructor(tmp_path, site))


def _upload(name: str, data: bytes) -> dict:
    import datetime as dt

    return {"name": name, "type": "", "size": len(data), "content": memoryview(data), "last_modified": dt.datetime.now(dt.timezone.utc)}


def test_session_entered_by_ticking_the_roster(tmp_path, monkeypatch):
    import datetime as dt

    from partyquiz.records.activities import list_sessions

    bench = _bench_with_roster(tmp_path, monkeypatch)
    bench.open_tab("sessions")
    se = bench.sessions
    assert not (tmp_path / "ledger.db").exists()  # choosing the tab wrote nothing
    se.branch.value = "第一支部"
    assert sorted(se.rows) == ["u0001", "u0002", "u0003"]  # the branch's members, from the roster
    se.save()  # no title: refused, nothing stored
    assert "请填写活动名称" in se.message.value and not (tmp_path / "ledger.db").exists()
    se.kind.value, se.title.value, se.organiser.value, se.form.value = "集中培训", "两天集中轮训", "机关党委", "现场"
    se.date.value, se.length.value, se.unit.value = dt.date(2026, 4, 1), 2, "days"
    se.rows["u0001"][0].value = True
    se.rows["u0002"][1].value = True  # 请假
    se.save()
    # 2 days × 8 学时 = 16 for each attendee (rules.yml activities.credit)
    assert "出席 1 人，请假 1 人，缺席 1 人" in se.message.value and "16 学时" in se.message.value
    (stored,) = list_sessions(bench.ins.ledger_url)
    assert (stored["kind"], stored["branch"], stored["date"], stored["end_date"], stored["hours"], stored["organiser"], stored["form"]) == (
        "集中培训", "第一支部", dt.date(2026, 4, 1), dt.date(2026, 4, 2), 16.0, "机关党委", "现场")
    assert (stored["attended"], stored["leave"], stored["absent"]) == (1, 1, 1)
    assert "两天集中轮训" in se.listing.value
    # 90 minutes of 党课 by the hour: 1.5 学时
    se.kind.value, se.title.value, se.length.value, se.unit.value = "党课", "党课：学习新党章", 1.5, "hours"
    se.tick_all()
    se.save()
    assert "出席 3 人" in se.message.value and "1.5 学时" in se.message.value
    assert len(list_sessions(bench.ins.ledger_url)) == 2


def test_sign_in_sheets_uploaded_good_gbk_and_bad(tmp_path, monkeypatch):
    from partyquiz.records.activities import list_sessions

    bench = _bench_with_roster(tmp_path, monkeypatch)
    bench.open_tab("sessions")
    se = bench.sessions
    good = ("会议名称：第一季度支部党员大会\n活动类型：支部党员大会\n日期：2026-03-30\n时长：1小时\n支部：第一支部\n"
            "工号,姓名,签到,备注\nu0001,张三,出席,\nu0002,李四,请假,出差\nu0003,王五,缺席,\n").encode("gbk")
    bad = ("会议名称：三月集体学习\n活动类型：集体学习\n日期：2026-03-12\n时长：2小时\n支部：第一支部\n"
           "工号,姓名,签到\nu0001,张三,出席\nzz99,无名,出席\nu0002,李四,迟到?\n").encode("gbk")
    se.upload.value = (_upload("一季度党员大会.csv", good), _upload("三月集体学习.csv", bad))
    text = se.upload_result.value
    # the good sheet is stored; the bad one not at all, with its rows named (header line 6: people from 7)
    assert "已导入 一季度党员大会.csv" in text and "出席 1 人，请假 1 人，缺席 1 人" in text
    assert "三月集体学习.csv 有 2 处问题，整张未导入" in text
    assert "三月集体学习.csv 第 8 行" in text and "三月集体学习.csv 第 9 行" in text
    sessions = list_sessions(bench.ins.ledger_url)
    assert [(s["title"], s["hours"], s["attended"], s["leave"], s["absent"]) for s in sessions] == [("第一季度支部党员大会", 1.0, 1, 1, 1)]


def test_evaluation_recorded_per_person_and_year(tmp_path, monkeypatch):
    from partyquiz.records.evaluation import evaluations

    bench = _bench_with_roster(tmp_path, monkeypatch)
    bench.open_tab("evaluation")
    ev = bench.evaluation
    ev.year.value = 2026
    ev.branch.value = "第一支部"
    assert [v for _, v in ev.person.options] == ["u0001", "u0002", "u0003"] and ev.person.value == "u0001"
    ev.person.value = "u0002"
    ev.study_style.value, ev.discipline.value, ev.comment.value = "优", "良", "学习认真，按时参加组织生活。"
    ev.save()
    assert "已保存 李四（u0002） 的 2026 年度评价" in ev.message.value
    got = evaluations(bench.ins.ledger_url, 2026)["u0002"]
    assert (got["study_style"], got["discipline"], got["comment"]) == ("优", "良", "学习认真，按时参加组织生活。")
    assert "学习认真" in ev.listing.value
    # choosing the person again shows what is stored; another year is empty
    ev.person.value = "u0001"
    ev.person.value = "u0002"
    assert (ev.study_style.value, ev.comment.value) == ("优", "学习认真，按时参加组织生活。")
    ev.year.value = 2025
    ev.person.value = "u0002"
    assert ev.study_style.value == "" and ev.comment.value == ""


def test_reference_answer_shown_to_markers_never_to_learners(tmp_path):
    """An essay's `reference` (rubric) is what the queue shows; the learner's feedback never holds it."""
    import yaml

    from partyquiz.authoring import load_course

    course = essay_course(tmp_path / "courses")
    bank = tmp_path / "courses" / "course-essay" / "banks" / "questions.yml"
    data = yaml.safe_load(bank.read_text(encoding="utf-8"))
    rubric = "评分要点：联系本支部实际 3 分，结构清楚 2 分。"
    for q in data["questions"]:
        if q["id"] == "es-xinde":
            q["reference"] = rubric
    bank.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    course = load_course(bank.parent.parent)
    site = GraderSite(root=tmp_path / "grader", exchange=tmp_path / "exchange", exchange_url=None)
    assignment, key = release(site, course)
    assert key.questions["es-xinde"].reference == rubric
    submit_direct(site, key, "u0001", _answers(key, "u0001", 0))
    grade_and_roll_in(site, course, assignment, ledger_url=None, progress=False, collect=False, release_feedback=False)
    (item,) = marking.essay_queue(site.gradebook_url, site.root, [course])
    assert item.reference == rubric
    assert marking.save_mark(site.gradebook_url, item, 4, seen=None).saved
    marking.refresh_learner(site, course, item, ledger_url=None)
    page = (site.root / "feedback" / "u0001" / assignment / f"{key.notebook}.html").read_text(encoding="utf-8")
    assert 'data-pending="0"' in page and "评分要点" not in page and "结构清楚" not in page


def test_this_year_is_the_year_in_the_rules_time_zone():
    """00:00–08:00 Beijing time on 1 January is already the new year (UTC is still on 31 December)."""
    import datetime as dt

    from partyquiz.workbench.offline import this_year

    assert this_year(dt.datetime(2026, 12, 31, 16, 30)) == 2027  # 00:30 on 1 January 2027 in Beijing
    assert this_year(dt.datetime(2026, 12, 31, 15, 59)) == 2026  # 23:59 on 31 December
    assert this_year(dt.datetime(2027, 6, 1, 12, 0)) == 2027


def test_handed_in_keeps_what_waits_in_the_exchange_after_publish_and_marks(tmp_path, monkeypatch):
    """已提交 counts a submission still in the exchange (u0004) after 发布 and after a mark is saved,
    not only after 刷新: the page keeps the exchange's last answer."""
    from partyquiz.workbench.pages import Workbench

    course, site, assignment, key = _fresh_site(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    bench = Workbench(_instructor(tmp_path, site))
    handed_in = "<td>4</td><td>0</td>"  # 3 collected + 1 in the exchange, none graded
    assert handed_in in bench.overview.value.replace("\n", "")
    bench.open_tab("publish")
    bench.course_choice.value = course.folder  # the same course again: it stays released, u0004 still waits
    bench.publish()
    assert "pq-publish-ok" in bench.publish_result.value
    assert handed_in in bench.overview.value.replace("\n", "")
    bench.refresh_overview()  # as saving a mark does
    assert handed_in in bench.overview.value.replace("\n", "")
