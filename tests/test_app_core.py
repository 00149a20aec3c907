"""The learner app's pure core: lesson states, hours against the requirement, receipt, next steps,
and the answer store's retake archive. No browser, no server."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from partyquiz.answers import AnswerStore
from partyquiz.app import lessons as core
from partyquiz.i18n import t
from partyquiz.model import Answer, Learner
from partyquiz.records.rules import load_rules


def entry(**kw) -> core.LessonEntry:
    base = dict(course_id="c", course_title="课程", assignment="c-l1", notebook="l1", title="三会一课", hours=2, pass_mark=60)
    base.update(kw)
    return core.LessonEntry(**base)


def sub(n: int, score: float | None = None, max_score: float = 10, pending: int = 0) -> core.Submission:
    outcome = core.Outcome(score, max_score, pending) if score is not None else None
    return core.Submission(attempt=n, submitted_at="2026-12-01T19:30:05+08:00", outcome=outcome, timestamp=f"t{n}")


@pytest.mark.parametrize("fields, state, action", [
    ({}, "not_started", "start"),
    ({"started": True}, "studying", "continue"),
    ({"current_submitted": True, "submissions": [sub(1)]}, "submitted", "result"),
    ({"current_submitted": True, "submissions": [sub(1, 6, pending=1)]}, "marking", "result"),
    ({"current_submitted": True, "submissions": [sub(1, 6)]}, "passed", "result"),
    ({"current_submitted": True, "submissions": [sub(1, 5)]}, "failed", "result"),
    ({"current_submitted": True, "submissions": [sub(1, 5)], "attempts_allowed": 2}, "retake", "retake"),
    # the retake is being answered: 学习中 again, whatever the first attempt was
    ({"current_submitted": False, "submissions": [sub(1, 5)], "attempts_allowed": 2, "attempt": 2}, "studying", "continue"),
    ({"current_submitted": True, "submissions": [sub(1, 5), sub(2, 9)], "attempts_allowed": 2}, "passed", "result"),
    ({"current_submitted": True, "submissions": [sub(1, 3), sub(2, 4)], "attempts_allowed": 2}, "failed", "result"),
    # the ledger's 合格 wins (rolled in with the rules' pass mark)
    ({"current_submitted": True, "submissions": [sub(1)], "record": {"passed": True}}, "passed", "result"),
])
def test_lesson_state_and_button(fields, state, action):
    e = entry(**fields)
    assert core.lesson_state(e) == state
    assert core.action_for(e) == action


def test_which_attempt_counts():
    e = entry(submissions=[sub(1, 9), sub(2, 4)], counts="highest")
    assert core.counting_outcome(e).score == 9
    e.counts = "last"
    assert core.counting_outcome(e).score == 4
    assert core.is_passed(e) is False


def test_outcome_from_feedback_page():
    page = '<p class="total" data-score="6.0" data-max="20.0" data-pending="1">自动评分 6 / 10</p>'
    assert core.outcome_from_feedback(page) == core.Outcome(6.0, 20.0, 1)
    assert core.outcome_from_feedback("<p class='total'>6 / 10</p>") is None


def test_times_in_chinese_local_time():
    # nbgrader writes UTC with microseconds; the learner reads Beijing time in words
    assert core.chinese_datetime("2026-12-01 11:30:05.123456 UTC") == "2026年12月1日 星期二 19:30:05"
    assert core.chinese_datetime("2026-12-31T23:30:00+00:00") == "2027年1月1日 星期五 07:30:00"
    assert core.chinese_date(dt.date(2026, 3, 8)) == "2026年3月8日"
    assert core.zone_label("Asia/Shanghai") == "北京时间"


def test_receipt_text():
    e = entry(attempts_allowed=2)
    s = core.Submission(attempt=1, submitted_at="2026-12-01T11:30:05+00:00", answered=6, total=7)
    text = core.receipt_text(e, s, "Asia/Shanghai", t)
    assert text == "《三会一课》已交卷。提交时间：2026年12月1日 星期二 19:30:05（北京时间）；第 1 次提交（共可提交 2 次）；已答 6 / 7 题。"


@pytest.fixture
def ledger(tmp_path):
    """张三 (a01, 党员) and 李四 (a02, 书记和班子成员): online lessons of an 在线 course, 集体学习 and a 党课 offline."""
    import sqlalchemy as sa

    from helpers_records import ROSTER, sqlite_url
    from partyquiz.records import ledger as L
    from partyquiz.records.activities import Attendance, Session, store_session
    from partyquiz.records.roster import store_roster

    url = sqlite_url(tmp_path / "ledger.db")
    store_roster(ROSTER, url)
    when = dt.datetime(2026, 3, 2, 1, 30)
    with L.engine_for(url) as engine, engine.begin() as conn:
        conn.execute(sa.insert(L.courses), [{"id": "c1", "title": "党章", "organiser": "", "institution": "", "form": "在线", "year": 2026}])
        conn.execute(sa.insert(L.lessons), [
            {"course_id": "c1", "lesson_id": "l1", "title": "总纲", "hours": 2, "minutes": 45, "pass_mark": 60, "kind": "lesson"},
            {"course_id": "c1", "lesson_id": "l2", "title": "党员", "hours": 1, "minutes": 20, "pass_mark": 60, "kind": "lesson"}])
        rec = {"course_id": "c1", "completed_at": when, "batch_id": "b1", "late": False, "current": True}
        conn.execute(sa.insert(L.records), [
            {**rec, "learner_id": "a01", "lesson_id": "l1", "assignment": "c1-l1", "score": 9, "max_score": 10, "hours": 2, "passed": True},
            {**rec, "learner_id": "a01", "lesson_id": "l2", "assignment": "c1-l2", "score": 3, "max_score": 10, "hours": 0, "passed": False},
            {**rec, "learner_id": "a02", "lesson_id": "l1", "assignment": "c1-l1", "score": 10, "max_score": 10, "hours": 2, "passed": True}])
    for month in (1, 2, 3, 4):  # 1.5 clock hours each: 张三 at three of them
        store_session(url, Session(kind="集体学习", title=f"{month}月学习", date=dt.date(2026, month, 5), clock_hours=1.5, branch="一支部"),
                      [Attendance(learner_id="a01", status="attended" if month <= 3 else "absent"), Attendance(learner_id="a02")])
    store_session(url, Session(kind="党课", title="学习党章", date=dt.date(2026, 6, 20), clock_hours=2, branch="一支部"),
                  [Attendance(learner_id="a01"), Attendance(learner_id="a02", status="leave")])
    store_session(url, Session(kind="党课", title="去年的党课", date=dt.date(2025, 6, 20), clock_hours=3, branch="一支部"),
                  [Attendance(learner_id="a01")])
    return url


def test_hours_count_offline_activities_and_only_the_forms_the_requirement_counts(ledger):
    from partyquiz.app.pages import hours_html, offline_html, points_html
    from partyquiz.app.records import standing_for
    from partyquiz.records.evaluation import learner_points

    rules = load_rules()
    mine = standing_for(ledger, "a01", rules, dt.date(2026, 8, 1))
    s = mine["standing"]
    # 党员: 32 hours a year of 集中培训 and 集体学习 (rules.yml); online self-study is on file but does not count
    assert (s["requirement"], s["required"], s["counts"]) == ("党员", 32, ["集中培训", "集体学习"])
    assert s["earned"] == 6.5  # 集体学习 3 × 1.5 + 党课 2 (a 党课 is 集体学习 in the activity rules)
    assert s["this_year"] == 8.5  # + the online lesson passed (2); the failed one earns nothing
    assert s["by_year"] == {"2026": 8.5, "2025": 3.0}
    assert s["by_course"]["c1"]["hours"] == 2
    assert [(o["title"], o["hours"]) for o in s["offline"]] == [("学习党章", 2.0), ("3月学习", 1.5), ("2月学习", 1.5), ("1月学习", 1.5), ("去年的党课", 3.0)]
    # 积分 from the records library: 2 lessons completed × 1 + 1 passed × 2 + 3 集体学习 × 1 + 党课 2
    assert mine["points"]["points"] == 9 == learner_points(ledger, "a01", 2026)["points"]

    summary = core.hours_summary(s, 2026)
    assert (summary.earned, summary.required, summary.missing, summary.all_hours) == (6.5, 32, 25.5, 8.5)
    assert summary.only_some_forms
    text = hours_html(summary, None, mine["points"])
    assert "2026 年度已获 6.5 学时，要求 32 学时" in text and "还差 25.5 学时" in text
    assert "计入要求的培训形式：集中培训、集体学习。本年度共获 8.5 学时" in text and "2026 年度积分：9 分" in text
    assert "参加线下活动（集体学习）：3 分" in points_html(mine["points"])
    assert "2026年6月20日" in offline_html(s) and "学习党章" in offline_html(s)
    assert core.hours_by_year(s) == {2026: 8.5, 2025: 3.0}
    # the same read gives the rows (as ledger.learner_records lists them) and the roster entry without the ID number
    from partyquiz.records.ledger import learner_records

    assert mine["records"] == [r.model_dump(mode="json") for r in learner_records(ledger, "a01")]
    assert [(r["lesson_id"], r["score"]) for r in mine["records"]] == [("l1", 9.0), ("l2", 3.0)]
    assert mine["person"] == {"id": "a01", "name": "张三", "branch": "一支部", "unit": "办公室", "position": "科员", "category": "党员", "rank": ""}

    # 书记和班子成员: 56 hours of every form, at least one 集中培训 (missing, said so)
    other = standing_for(ledger, "a02", rules, dt.date(2026, 8, 1))["standing"]
    assert (other["required"], other["earned"], other["counts"]) == (56, 8.0, None)  # online 2 + 4 × 1.5; on leave from the 党课
    assert "集中培训0/1次" in other["missing"]
    assert "其中还缺：集中培训0/1次" in hours_html(core.hours_summary(other, 2026), None)
    # nobody on the roster: hours shown, no requirement claimed; no ledger at all: nothing, no error
    assert standing_for(ledger, "zz9", rules, dt.date(2026, 8, 1))["standing"]["required"] == 0
    assert core.hours_summary(None, 2026).required is None


def test_next_steps_retake_first_then_required_by_deadline():
    today = dt.date(2026, 6, 1)
    retake = entry(title="补考课", current_submitted=True, submissions=[sub(1, 1)], attempts_allowed=2)
    late = entry(title="逾期课", deadline=dt.date(2026, 5, 1))
    soon = entry(title="必修课", deadline=dt.date(2026, 7, 1), started=True)
    elective = entry(title="选修课", required=False)
    done = entry(title="已合格", current_submitted=True, submissions=[sub(1, 10)])
    steps = core.next_steps([elective, done, soon, late, retake], today)
    assert [(kind, e.title) for kind, e in steps] == [("retake", "补考课"), ("overdue", "逾期课"), ("continue", "必修课"), ("start", "选修课")]


def test_retake_archives_the_attempt_and_keeps_history(tmp_path: Path):
    store = AnswerStore(tmp_path, "l1", meta={"learner": "u1"})
    store.save_many({"q1": Answer(value=["a"], saved_at="2026-12-01T10:00:00+08:00")},
                    update_meta=lambda m: m.update(attempts=[{"attempt": 1, "submitted_at": "x"}], submitted_attempt=1))
    kept = store.archive_attempt(1)
    assert json.loads(kept.read_text(encoding="utf-8"))["answers"]["q1"]["value"] == ["a"]
    fresh = json.loads(store.path.read_text(encoding="utf-8"))
    assert fresh["answers"] == {} and fresh["attempt"] == 2 and fresh["attempts"][0]["attempt"] == 1
    assert fresh["submitted_attempt"] == 1 < fresh["attempt"]  # the new sheet is known to be unsubmitted
    assert "started_at" not in fresh  # the time limit starts afresh


def test_a_retake_right_after_the_first_submission_is_not_submitted(tmp_path: Path):
    """补考 tapped within a second of the exchange's stamp: the lesson must offer the quiz, not the
    result (a file-time comparison once took the fresh sheet for the submitted one)."""
    from partyquiz.app.catalog import fill_progress

    store = AnswerStore(tmp_path, "l1", meta={"learner": "u1"})
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f UTC")
    store.save_many({"q1": Answer(value=["a"], saved_at="2026-12-01T10:00:00+08:00")},
                    update_meta=lambda m: m.update(attempts=[{"attempt": 1, "submitted_at": "x", "timestamp": stamp}],
                                                   submitted_attempt=1))
    store.archive_attempt(1)
    fresh = core.LessonEntry(course_id="c", course_title="课", assignment="c-l1", notebook="l1", title="第一课")
    fill_progress(fresh, tmp_path, "u1", None, [{"timestamp": stamp}])
    assert (fresh.attempt, fresh.current_submitted) == (2, False)
    # an old answers file without the field (written before the fix) decides by the attempt count
    meta = json.loads(store.path.read_text(encoding="utf-8"))
    del meta["submitted_attempt"]
    store.path.write_text(json.dumps(meta), encoding="utf-8")
    fill_progress(fresh, tmp_path, "u1", None, [{"timestamp": stamp}])
    assert fresh.current_submitted is False


def test_study_time_does_not_start_the_quiz_clock(tmp_path: Path):
    store = AnswerStore(tmp_path, "l1")
    store.update_meta(lambda m: m.update(study={"active_seconds": 15.0}))
    assert store.started_at() is None
    assert store.read_meta()["study"]["active_seconds"] == 15.0


def test_lesson_media_play_from_the_lesson_folder_only(tmp_path: Path):
    from partyquiz.app.pages import render_lesson

    home = tmp_path / "home"
    folder = home / "c-l1"
    (folder / "media").mkdir(parents=True)
    (folder / "media" / "v.mp4").write_bytes(b"x")
    (home / "secret.mp4").write_bytes(b"x")
    html = render_lesson(["# 第一节\n\n![视频](media/v.mp4)\n\n![外面](../secret.mp4)\n\n**“要点”**在此"], folder, home, "/user/u1/")
    assert '<video controls preload="metadata" src="/user/u1/voila/files/c-l1/media/v.mp4"></video>' in html
    assert "secret.mp4\"></video>" not in html  # nothing outside the lesson folder becomes playable
    assert "<strong>“要点”</strong>在此" in html
    assert html.count("class='pq-lesson-section'") == 1


def test_learner_config_read_as_nbgrader_reads_it(tmp_path: Path, monkeypatch):
    """The app reads nbgrader_config.py with traitlets itself (nbgrader's app class would load
    ~40 MB of nbgrader into each learner's kernel): the same values as nbgrader's own reader."""
    from nbgrader.apps import NbGrader

    from partyquiz.app.exchange import load_learner_config

    home, user_dir = tmp_path / "home", tmp_path / "jupyter"
    home.mkdir()
    user_dir.mkdir()
    (user_dir / "nbgrader_config.py").write_text("c = get_config()\nc.CourseDirectory.course_id = 'from-user'\n"
                                                 "c.CourseDirectory.student_id = 'u9'\nc.Exchange.root = '/srv/x'\n")
    (home / "nbgrader_config.py").write_text("c = get_config()\nc.CourseDirectory.course_id = 'from-home'\n")
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(user_dir))
    monkeypatch.chdir(home)
    ours = load_learner_config(home)
    theirs = NbGrader()
    theirs.config_file_paths.append(str(user_dir))
    theirs.load_config_file()
    for section, trait in (("CourseDirectory", "course_id"), ("CourseDirectory", "student_id"), ("Exchange", "root")):
        assert ours[section][trait] == theirs.config[section][trait], (section, trait)
    assert ours.CourseDirectory.course_id == "from-home"  # the home folder's file wins, as in nbgrader
    assert ours.Exchange.assignment_dir == str(home)


def test_the_app_kernel_takes_the_configured_exchange_without_nbgraders_gradebook(tmp_path: Path):
    """Under the hub the learner's kernel uses the exchange service's classes, named by the config
    as ExchangeFactory would take them, and never loads nbgrader's gradebook (≈ 30 MB a learner);
    without such config it gets nbgrader's own folder exchange, as before."""
    import subprocess
    import sys

    from partyquiz.exchange import factory_config

    home = tmp_path / "home"
    home.mkdir()
    lines = [f"c.{section}.{name} = {value!r}" for section, values in factory_config("http://127.0.0.1:1/services/exchange/").items()
             for name, value in values.items()]
    (home / "nbgrader_config.py").write_text("c = get_config()  # noqa: F821\n" + "\n".join(lines) + "\n", encoding="utf-8")
    plain = tmp_path / "plain"
    plain.mkdir()
    probe = (
        "import sys\n"
        "from partyquiz.app import nbgrader_without_server_extensions\n"
        "nbgrader_without_server_extensions()\n"
        "from partyquiz.app.exchange import LearnerExchange, exchange_class\n"
        "kinds = ['List', 'FetchAssignment', 'Submit', 'FetchFeedback']\n"
        "names = [exchange_class(LearnerExchange(sys.argv[1]).config, k).__module__ for k in kinds]\n"
        "print(sorted(set(names)), 'nbgrader.api' in sys.modules)\n"
    )
    served = subprocess.run([sys.executable, "-c", probe, str(home)], capture_output=True, text=True, check=True).stdout
    assert served.strip() == "['partyquiz.exchange.nbgrader_exchange'] False"
    folder = subprocess.run([sys.executable, "-c", probe, str(plain)], capture_output=True, text=True, check=True).stdout
    assert "nbgrader.exchange.default" in folder


def test_large_text_choice_kept_and_saved_only_when_changed(tmp_path):
    """大字号: the learner's saved choice is shown on opening (nothing written for opening), a click
    switches the page's class and is saved for the next visit."""
    from partyquiz.app.pages import PREFS, LearnerApp, load_prefs, save_prefs
    from partyquiz.app.records import OwnRecords

    def app():
        return LearnerApp(tmp_path, "u0001", records=lambda _learner: OwnRecords())

    first = app()
    assert first.large.value is False and "pq-large" not in first.root._dom_classes
    assert not (tmp_path / PREFS).exists()  # opening writes nothing
    first.large.value = True
    assert "pq-large" in first.root._dom_classes and load_prefs(tmp_path) == {"large": True}
    again = app()  # the next visit (or another device) opens with large text
    assert again.large.value is True and "pq-large" in again.root._dom_classes
    again.large.value = False
    assert "pq-large" not in again.root._dom_classes and load_prefs(tmp_path) == {"large": False}
    save_prefs(tmp_path, large=True, other="kept")
    assert app().large.value is True and load_prefs(tmp_path) == {"large": True, "other": "kept"}


def test_records_table_keeps_two_courses_of_the_same_title_apart():
    """Two courses may share a title (the same 党章 course given by two organisers): each has its own
    table and its own credited hours, not one heading with the last course's total."""
    from partyquiz.app.pages import RecordsPage

    when = "2026-03-02T01:30:00"
    records = [{"course_id": "c1", "lesson_id": "l1", "passed": True, "hours": 2, "score": 9, "max_score": 10, "completed_at": when},
               {"course_id": "c2", "lesson_id": "l1", "passed": True, "hours": 1, "score": 8, "max_score": 10, "completed_at": when}]
    course_hours = {"c1": {"title": "党章学习", "hours": 2.0}, "c2": {"title": "党章学习", "hours": 1.0}}
    # c2's second lesson is released but not done yet: listed under c2, not c1
    waiting = entry(course_id="c2", course_title="党章学习", assignment="c2-l2", notebook="l2", title="党员的义务")
    html = RecordsPage.table(None, [waiting], records, "Asia/Shanghai", course_hours)
    assert html.count("<h2>党章学习</h2>") == 2
    first, second = html.split("<h2>党章学习</h2>")[1:]
    assert "本课程已获 2 学时" in first and "党员的义务" not in first
    assert "本课程已获 1 学时" in second and "党员的义务" in second
    assert "<td data-label='课时'>l1</td>" in first and "<td data-label='得分'>" in second
