"""Roll-in: totals from the gradebook, idempotence, history on regrade, atomicity, hour rules."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from helpers_records import COURSE, ROSTER, WHEN, empty_gradebook, small_gradebook, sqlite_url
from partyquiz.model import QuestionScore, QuizResult
from partyquiz.records import ledger as L
from bulk_gradebook import set_manual_grade
from partyquiz.exports import branch_summary
from partyquiz.records.ledger import learner_records, record_history
from partyquiz.records.rollin import roll_in
from partyquiz.records.rules import load_rules


def _dump(url: str) -> list[tuple]:
    with L.engine_for(url) as engine, engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.select(L.records).order_by(L.records.c.id))] + [
            tuple(r) for r in conn.execute(sa.select(L.items).order_by(L.items.c.record_id, L.items.c.question_id))]


@pytest.fixture
def urls(tmp_path):
    gradebook = empty_gradebook(tmp_path / "gradebook.db")
    small_gradebook(gradebook)
    return gradebook, sqlite_url(tmp_path / "var" / "ledger.db")


def test_roll_in_scores_pass_hours_and_date(urls):
    gradebook, ledger = urls
    summary = roll_in(ledger, gradebook, [COURSE], roster=ROSTER, batch_id="b1")
    assert (summary.added, summary.unchanged, summary.pending) == (5, 0, 0)
    mine = {r.lesson_id: r for r in learner_records(ledger, "a01")}
    assert (mine["l1"].score, mine["l1"].max_score, mine["l1"].passed, mine["l1"].hours) == (9, 10, True, 2)
    assert mine["l1"].completed_at == WHEN and mine["l1"].batch_id == "b1"
    low = learner_records(ledger, "a02")[0]
    assert (low.passed, low.hours) == (False, 0.0)  # 50 % < 60 %: no hours
    assert learner_records(ledger, "nobody") == []


def test_same_batch_again_changes_nothing(urls):
    gradebook, ledger = urls
    roll_in(ledger, gradebook, [COURSE], roster=ROSTER, batch_id="b1")
    before = _dump(ledger)
    again = roll_in(ledger, gradebook, [COURSE], roster=ROSTER, batch_id="b1")
    later = roll_in(ledger, gradebook, [COURSE], roster=ROSTER)  # a new batch id, same grades
    assert (again.added, again.unchanged, later.added) == (0, 5, 0)
    assert _dump(ledger) == before


def test_regrade_keeps_history_and_the_latest_counts(tmp_path):
    gradebook, ledger = empty_gradebook(tmp_path / "gb.db"), sqlite_url(tmp_path / "ledger.db")
    small_gradebook(gradebook, {("a01", "c1-l1"): 4, ("a02", "c1-l1"): 8}, essay={"a01": 3.0, "a02": None})
    first = roll_in(ledger, gradebook, [COURSE], roster=ROSTER, batch_id="b1")
    # a02's essay waits for a hand grade: not rolled in yet
    assert (first.added, first.pending) == (1, 1)
    assert learner_records(ledger, "a02") == []
    set_manual_grade(gradebook, "a02", "c1-l1", "essay", 7)  # manual essay grades count
    set_manual_grade(gradebook, "a01", "c1-l1", "essay", 9)  # a regrade
    second = roll_in(ledger, gradebook, [COURSE], roster=ROSTER, batch_id="b2")
    assert (second.added, second.superseded) == (2, 1)
    assert learner_records(ledger, "a02")[0].score == 15
    history = record_history(ledger, "a01", "c1", "l1")
    assert [(h["score"], h["passed"], h["current"], h["batch_id"]) for h in history] == [(7, False, False, "b1"), (13, True, True, "b2")]
    assert history[0]["superseded_by"] == history[1]["id"]
    assert learner_records(ledger, "a01")[0].hours == 2


def test_interrupted_roll_in_leaves_previous_state_whole(tmp_path):
    gradebook, ledger = empty_gradebook(tmp_path / "gb.db"), sqlite_url(tmp_path / "ledger.db")
    small_gradebook(gradebook, {("a01", "c1-l1"): 4})
    roll_in(ledger, gradebook, [COURSE], roster=ROSTER, batch_id="b1")
    before = _dump(ledger)
    small_gradebook(gradebook, {("a02", "c1-l2"): 9, ("a03", "c1-l2"): 8})  # a second assignment batch
    with pytest.raises(RuntimeError, match="interrupted"):
        roll_in(ledger, gradebook, [COURSE], roster=ROSTER, batch_id="b2", _fail_after=1)
    assert _dump(ledger) == before
    done = roll_in(ledger, gradebook, [COURSE], roster=ROSTER, batch_id="b2")
    assert done.added == 2


def test_items_are_stored_once_for_item_analysis(urls):
    gradebook, ledger = urls
    result = QuizResult(learner_id="a01", assignment="c1-l1", notebook="quiz", drawn=["q1", "q2"], scores=[
        QuestionScore(question_id="q1", score=2, max_score=2, answered=True, value=["B"]),
        QuestionScore(question_id="q2", score=0, max_score=3, answered=False, value=None)])
    first = roll_in(ledger, gradebook, [COURSE], roster=ROSTER, results=[result], batch_id="b1")
    again = roll_in(ledger, gradebook, [COURSE], roster=ROSTER, results=[result], batch_id="b1")
    assert (first.items, again.items) == (2, 0)
    with L.engine_for(ledger) as engine, engine.connect() as conn:
        values = [r.value for r in conn.execute(sa.select(L.items).order_by(L.items.c.position))]
    assert values == ['["B"]', "null"]


def test_branch_summary_counts_members_and_completion(urls):
    gradebook, ledger = urls
    roll_in(ledger, gradebook, [COURSE], roster=ROSTER)
    by_branch = {b["branch"]: b for b in branch_summary(ledger)}
    one, two = by_branch["一支部"], by_branch["二支部"]
    assert (one["learners"], one["submitted"], one["passed"]) == (2, 2, 1)  # a01 passed the course: (90 + 70) / 2 ≥ 60
    assert one["completion"] == 50.0  # per cent, as 支部汇总 writes it
    assert one["mean_score"] == pytest.approx((90 + 70 + 50) / 3)
    assert (two["learners"], two["submitted"], two["passed"], two["hours"]) == (2, 1, 1, 3)
    assert branch_summary(ledger, "c1")[0]["branch"] == "一支部"


def test_tier_rule_and_pass_mark_come_from_the_rules_file(urls, tmp_path):
    gradebook, ledger = urls
    text = load_rules().path and open(load_rules().path, encoding="utf-8").read()
    custom = tmp_path / "rules.yml"
    custom.write_text(text.replace("method: per_hour", "method: tiers").replace("pass_mark: null", "pass_mark: 80"), encoding="utf-8")
    # the learner app recorded 20 minutes of study for a01 on l1
    roll_in(ledger, gradebook, [COURSE], roster=ROSTER, rules_path=custom, study_minutes={("a01", "c1-l1"): 20})
    mine = {r.lesson_id: r for r in learner_records(ledger, "a01")}
    # l1: 20 min studied → 0.5 + 0.5 for passing (90 % ≥ 80 %); l2: 70 % < 80 % fails → nothing
    assert (mine["l1"].hours, mine["l2"].passed, mine["l2"].hours) == (1.0, False, 0.0)
    # a03 has no recorded time on l1: its expected 120 minutes → 1 + 0.5
    assert {r.lesson_id: r for r in learner_records(ledger, "a03")}["l1"].hours == 1.5


def test_year_is_counted_in_local_time_and_from_the_start_month():
    rules = load_rules()
    new_year_eve_utc = dt.datetime(2025, 12, 31, 17, 0)  # 2026-01-01 01:00 in Beijing
    assert rules.year_of(rules.local(new_year_eve_utc)) == 2026
    rules.start_month = 9
    assert rules.year_of(dt.datetime(2026, 8, 31)) == 2025 and rules.year_of(dt.datetime(2026, 9, 1)) == 2026


@pytest.mark.postgres
def test_ledger_on_real_postgresql(tmp_path, postgres_url):
    gradebook = empty_gradebook(tmp_path / "gb.db")
    small_gradebook(gradebook, {("a01", "c1-l1"): 4}, essay={"a01": 2.0})
    roll_in(postgres_url, gradebook, [COURSE], roster=ROSTER, batch_id="b1")
    set_manual_grade(gradebook, "a01", "c1-l1", "essay", 8)
    second = roll_in(postgres_url, gradebook, [COURSE], roster=ROSTER, batch_id="b2")
    again = roll_in(postgres_url, gradebook, [COURSE], roster=ROSTER, batch_id="b2")
    assert (second.added, second.superseded, again.added) == (1, 1, 0)
    assert [(h["score"], h["current"]) for h in record_history(postgres_url, "a01", "c1", "l1")] == [(6, False), (12, True)]
    with pytest.raises(RuntimeError):
        small_gradebook(gradebook, {("a02", "c1-l2"): 9})
        roll_in(postgres_url, gradebook, [COURSE], roster=ROSTER, batch_id="b3", _fail_after=0)
    assert [r.lesson_id for r in learner_records(postgres_url, "a02")] == []
    assert {b["branch"] for b in branch_summary(postgres_url)} == {"一支部", "二支部"}


@pytest.mark.postgres
def test_gradebook_query_on_postgresql_gradebook(postgres_url):
    """nbgrader's gradebook itself on PostgreSQL (its tables and the ledger's do not clash)."""
    from bulk_gradebook import Sub, build_gradebook

    build_gradebook(postgres_url, {"c1-l1": 10.0}, [Sub("a01", "c1-l1", 7.0, WHEN), Sub("a02", "c1-l1", 3.0, WHEN)], essays={"c1-l1": 5.0})
    set_manual_grade(postgres_url, "a01", "c1-l1", "essay", 4)
    summary = roll_in(postgres_url, postgres_url, [COURSE], roster=ROSTER, batch_id="b1")
    assert (summary.added, summary.pending) == (1, 1)  # a02's essay is not graded yet
    record = learner_records(postgres_url, "a01")[0]
    assert (record.score, record.max_score, record.passed) == (11, 15, True)


def test_missing_gradebook_and_learners_off_the_roster_are_reported(tmp_path, urls):
    from partyquiz.errors import InputError

    with pytest.raises(InputError, match="找不到 nbgrader 成绩库"):
        roll_in(sqlite_url(tmp_path / "l.db"), sqlite_url(tmp_path / "nowhere.db"), [COURSE])
    assert not (tmp_path / "nowhere.db").exists()
    gradebook, ledger = urls
    summary = roll_in(ledger, gradebook, [COURSE], roster=ROSTER[:1])
    assert summary.not_on_roster == ["a02", "a03"]
    assert roll_in(ledger, gradebook, [COURSE], roster=ROSTER).not_on_roster == []


def _retake_course(counts: str):
    from partyquiz.model import Course, Lesson, Quiz, Section

    quiz = Quiz(id="q1", attempts=2, counts=counts, sections=[Section(pool=["x1"])])
    return Course(id="c1", title="党章学习", form="在线", year=2026, pass_mark=60,
                  lessons=[Lesson(id="l1", title="总纲", file="l1.md", hours=2, minutes=120, quiz=quiz)])


def _attempt(tmp_path, name: str, score: float, when: dt.datetime) -> str:
    """nbgrader keeps one submission per learner: a retake replaces the first in its gradebook."""
    from bulk_gradebook import Sub, build_gradebook

    url = empty_gradebook(tmp_path / f"{name}.db")
    build_gradebook(url, {"c1-l1": 10.0}, [Sub("a01", "c1-l1", score, when)])
    return url


@pytest.mark.parametrize("counts, first, retake, counted", [
    # highest: a worse retake (5 after 9) is history; the 9 stays the result
    ("highest", 9, 5, 9),
    # highest: a better retake (9 after 5, the first failed) becomes the result
    ("highest", 5, 9, 9),
    # last: the retake is the result whatever it scored
    ("last", 9, 5, 5),
    ("last", 5, 9, 9),
])
def test_which_attempt_counts(tmp_path, counts, first, retake, counted):
    course = _retake_course(counts)
    ledger = sqlite_url(tmp_path / "ledger.db")
    later = WHEN + dt.timedelta(days=3)
    roll_in(ledger, _attempt(tmp_path, "first", first, WHEN), [course], roster=ROSTER, batch_id="b1")
    second_gb = _attempt(tmp_path, "retake", retake, later)
    second = roll_in(ledger, second_gb, [course], roster=ROSTER, batch_id="b2")
    [current] = learner_records(ledger, "a01")
    assert current.score == counted
    # 9 of 10 passes and earns its 2 学时 (no study time: the lesson's 120 minutes); 5 fails: 0
    assert (current.passed, current.hours) == ((True, 2.0) if counted == 9 else (False, 0.0))
    history = record_history(ledger, "a01", "c1", "l1")
    assert sorted(h["score"] for h in history) == sorted([first, retake])  # both attempts kept
    [keeper] = [h for h in history if h["current"]]
    [other] = [h for h in history if not h["current"]]
    assert other["superseded_by"] == keeper["id"] and keeper["score"] == counted
    assert (second.added, second.superseded, second.history) == ((1, 1, 0) if counted == retake else (0, 0, 1))
    # the same batch again adds nothing, whichever row counts
    again = roll_in(ledger, second_gb, [course], roster=ROSTER, batch_id="b2")
    assert (again.added, again.history, again.unchanged) == (0, 0, 1)
    assert len(record_history(ledger, "a01", "c1", "l1")) == 2


def test_a_regrade_of_the_counting_attempt_replaces_it_even_lower(tmp_path):
    """The same attempt (same submission time) graded again is a correction, not a retake."""
    course = _retake_course("highest")
    ledger = sqlite_url(tmp_path / "ledger.db")
    roll_in(ledger, _attempt(tmp_path, "first", 9, WHEN), [course], roster=ROSTER)
    roll_in(ledger, _attempt(tmp_path, "regraded", 7, WHEN), [course], roster=ROSTER)
    assert [r.score for r in learner_records(ledger, "a01")] == [7]


def test_one_attempt_lessons_take_the_newest_result(tmp_path):
    """Without retakes (attempts: 1) the newest submission is the result, as before."""
    ledger = sqlite_url(tmp_path / "ledger.db")
    roll_in(ledger, _attempt(tmp_path, "first", 9, WHEN), [COURSE], roster=ROSTER)
    roll_in(ledger, _attempt(tmp_path, "again", 5, WHEN + dt.timedelta(days=1)), [COURSE], roster=ROSTER)
    assert [r.score for r in learner_records(ledger, "a01")] == [5]


def _history(url: str, learner: str) -> list[tuple]:
    """A learner's rows of c1/l1, without the row ids (they depend on what else a roll-in wrote)."""
    rows = record_history(url, learner, "c1", "l1")
    ids = {h["id"]: n for n, h in enumerate(rows)}
    return [tuple(v for k, v in h.items() if k not in ("id", "superseded_by")) + (ids.get(h["superseded_by"]),) for h in rows]


def test_one_learners_re_roll_gives_what_a_whole_lesson_re_roll_gives_them(tmp_path):
    """A mark saved for one essay re-rolls that learner's lesson only (students=): their rows are
    those a whole-lesson re-roll writes, study time included; nobody else's record is touched.
    The answers files beside the gradebook are read without being named (submitted/ is nbgrader's
    layout): a02 studied 45 min → 0.75 学时, not the lesson's 120 min → 2."""
    from partyquiz.answers import AnswerStore
    from partyquiz.records.rollin import study_minutes_in

    gradebook = empty_gradebook(tmp_path / "course" / "gradebook.db")
    small_gradebook(gradebook, {("a01", "c1-l1"): 9, ("a02", "c1-l1"): 8, ("a03", "c1-l1"): 6}, essay={"a01": 6.0, "a02": 3.0, "a03": 5.0})
    submitted = tmp_path / "course" / "submitted"
    for learner, minutes in (("a01", 30), ("a02", 45), ("a03", 100)):
        AnswerStore(submitted / learner / "c1-l1", "quiz").update_meta(lambda m, s=60 * minutes: m.update(study={"active_seconds": s}))
    assert study_minutes_in(submitted, ["c1-l1"], ["a02"]) == {("a02", "c1-l1"): 45.0}
    one, whole = sqlite_url(tmp_path / "one.db"), sqlite_url(tmp_path / "whole.db")
    for ledger in (one, whole):
        roll_in(ledger, gradebook, [COURSE], roster=ROSTER, batch_id="b1")
    set_manual_grade(gradebook, "a02", "c1-l1", "essay", 7)  # the mark being saved: 8 + 7 of 20 = 75 %
    set_manual_grade(gradebook, "a03", "c1-l1", "essay", 9)  # another learner's, saved but not rolled in by a02's
    renamed = [p.model_copy(update={"name": "改名"}) if p.id == "a01" else p for p in ROSTER]  # only a02's roster row is written
    mine = roll_in(one, gradebook, [COURSE], roster=renamed, assignments=["c1-l1"], students=["a02"], batch_id="b2")
    every = roll_in(whole, gradebook, [COURSE], roster=ROSTER, assignments=["c1-l1"], batch_id="b2")
    assert (mine.added, mine.superseded, mine.unchanged) == (1, 1, 0) and (every.added, every.superseded, every.unchanged) == (2, 2, 1)
    assert _history(one, "a02") == _history(whole, "a02")
    assert [(h["score"], h["passed"], h["hours"], h["current"]) for h in record_history(one, "a02", "c1", "l1")] == [
        (11, False, 0.0, False), (15, True, 0.75, True)]
    assert [r.score for r in learner_records(one, "a03")] == [11] and [r.score for r in learner_records(whole, "a03")] == [15]
    assert _history(one, "a01") == _history(whole, "a01")
    assert [r.hours for r in learner_records(one, "a01")] == [0.5]  # 30 min, rolled in with b1
    assert roll_in(one, gradebook, [COURSE], assignments=["c1-l1"], students=[]).unchanged == 0  # nobody: nothing read
    with L.engine_for(one) as engine, engine.connect() as conn:
        assert conn.execute(sa.select(L.learners.c.name).where(L.learners.c.id == "a01")).scalar() == "张三"
