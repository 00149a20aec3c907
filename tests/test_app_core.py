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


def test_hours_against_the_requirement_of_the_roster_category():
    rules = load_rules()
    member = Learner(id="u1", name="张三", category="党员")
    requirement = rules.requirement_for(member)
    assert requirement is not None
    records = [
        {"passed": True, "hours": 2, "completed_at": "2026-03-01T02:00:00"},
        {"passed": True, "hours": 1.5, "completed_at": "2026-12-31T17:00:00"},  # 2027-01-01 01:00 in Beijing
        {"passed": False, "hours": 3, "completed_at": "2026-05-01T02:00:00"},
        {"passed": True, "hours": 4, "completed_at": "2025-05-01T02:00:00"},
    ]
    summary = core.hours_summary(records, rules, member, dt.date(2026, 6, 1))
    if requirement.period_years == 1:
        assert summary.earned == 2
    assert summary.required == requirement.hours
    assert 0 < summary.fraction < 1
    assert core.hours_by_year(records, rules) == {2027: 1.5, 2026: 2.0, 2025: 4.0}
    # no roster entry: hours shown, no requirement claimed
    assert core.hours_summary(records, rules, None, dt.date(2026, 6, 1)).required is None


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
