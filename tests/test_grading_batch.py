"""`grade_assignment` and `partyquiz grade` as an instructor uses them: the exchange, idempotent and
resumable runs, kept hand grades, parallel workers, Dask, PostgreSQL, the CLI and roll-in."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import require
from helpers_grading import cohort, essay_course, release, submit_direct
from partyquiz.grading import engines
from partyquiz.grading import gradebook as gbk
from partyquiz.grading.batch import grade_assignment
from partyquiz.grading.site import GraderSite
from partyquiz.scoring import auto_score, grade_quiz
from partyquiz.simulate import answer_as_learner, right_answer

SCORE = "quiz_quiz1_score"


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    """A released essay course with 30 simulated submissions; tests copy it before changing it."""
    base = tmp_path_factory.mktemp("released")
    course = essay_course(base)
    site = GraderSite(root=base / "grader", exchange=base / "exchange")
    site.prepare()
    assignment, key = release(site, course, duedate="2026-05-01 12:00:00")
    students = cohort(site, key, 30)
    return {"base": base, "course": course, "assignment": assignment, "key": key, "students": students}


def copy_site(released, tmp_path: Path, db_url: str | None = None) -> GraderSite:
    shutil.copytree(released["base"] / "grader", tmp_path / "grader")
    return GraderSite(root=tmp_path / "grader", exchange=tmp_path / "exchange", db_url=db_url)


def grade(site, released, **kw):
    kw.setdefault("collect", False)
    kw.setdefault("progress", False)
    return grade_assignment(site, released["course"], released["assignment"], **kw)


def test_learners_submit_through_the_exchange_and_fetch_their_feedback(sample_course, site, tmp_path):
    assignment, key = release(site, sample_course)
    for learner in ("u0001", "u0002"):
        work = tmp_path / "home" / learner
        folder = site.fetch(assignment, learner, work)
        answer_as_learner(folder, key, learner, {q: right_answer(key.questions[q]) for q in grade_quiz(key, learner, {}).drawn})
        site.submit(assignment, learner, work)
    summary = grade_assignment(site, sample_course, assignment, progress=False)
    assert summary.engine == "fast" and summary.graded == 2 and summary.failed == [] and summary.mean_score == 20.0
    assert summary.feedback == 2
    fetched = site.fetch_feedback(assignment, "u0001", tmp_path / "home" / "u0001")
    pages = list(fetched.rglob("l1.html"))
    assert len(pages) == 1
    page = pages[0].read_text(encoding="utf-8")
    assert "得分" in page and "解析" in page and "BEGIN HIDDEN TESTS" not in page


def test_second_run_changes_nothing_and_a_resubmission_is_regraded(released, tmp_path):
    site = copy_site(released, tmp_path)
    first = grade(site, released)
    assert first.graded == 30 and first.skipped == 0
    before = gbk.read_rows(site.gradebook_url, released["assignment"])
    notebook = site.root / "autograded" / released["students"][0] / released["assignment"] / "l1.ipynb"
    stamp = notebook.stat().st_mtime_ns
    second = grade(site, released)
    assert second.graded == 0 and second.skipped == 30
    assert gbk.read_rows(site.gradebook_url, released["assignment"]) == before
    assert notebook.stat().st_mtime_ns == stamp
    key, student = released["key"], released["students"][3]
    submit_direct(site, key, student, {q: right_answer(key.questions[q]) for q in grade_quiz(key, student, {}).drawn},
                  timestamp="2026-05-01 11:00:00.000000 UTC")
    third = grade(site, released)
    assert third.graded == 1 and third.skipped == 29
    assert gbk.read_rows(site.gradebook_url, released["assignment"], [student])[student].notebooks["l1"].auto_scores[SCORE] == 20.0


def test_an_interrupted_batch_resumes_where_it_stopped(released, tmp_path, monkeypatch):
    site = copy_site(released, tmp_path)
    real, calls = engines.grade_chunk, []

    def dies_on_third_chunk(plan, students):
        calls.append(students)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(plan, students)

    monkeypatch.setattr("partyquiz.grading.batch.grade_chunk", dies_on_third_chunk)
    with pytest.raises(KeyboardInterrupt):
        grade(site, released)
    done = len(gbk.submitted_students(site.gradebook_url, released["assignment"]))
    assert 0 < done < 30
    monkeypatch.setattr("partyquiz.grading.batch.grade_chunk", real)
    resumed = grade(site, released)
    assert resumed.graded == 30 - done and resumed.skipped == done


def test_hand_grades_survive_a_regrade(released, tmp_path):
    from nbgrader.api import Gradebook

    site = copy_site(released, tmp_path)
    grade(site, released)
    key = released["key"]
    student = next(s for s in released["students"]
                   if gbk.needs_manual(site.gradebook_url, released["assignment"])[(s, "essay_es-xinde")])
    with Gradebook(site.gradebook_url) as gb:
        g = gb.find_grade("essay_es-xinde", "l1", released["assignment"], student)
        g.manual_score = 4.0
        g.needs_manual_grade = False
        gb.db.commit()
    submit_direct(site, key, student, {"es-xinde": "修改后的心得体会"}, timestamp="2026-05-01 11:30:00.000000 UTC")
    assert grade(site, released).graded == 1
    with Gradebook(site.gradebook_url) as gb:
        g = gb.find_grade("essay_es-xinde", "l1", released["assignment"], student)
        assert g.manual_score == 4.0 and g.needs_manual_grade is True  # as nbgrader: a hand grade is reviewed again


def test_local_workers_and_dask_give_the_same_rows_as_one_process(released, tmp_path):
    from distributed import LocalCluster

    one = copy_site(released, tmp_path / "one")
    grade(one, released)
    expected = gbk.read_rows(one.gradebook_url, released["assignment"])
    two = copy_site(released, tmp_path / "two")
    assert grade(two, released, workers=2).graded == 30
    assert gbk.read_rows(two.gradebook_url, released["assignment"]) == expected
    dask_site = copy_site(released, tmp_path / "dask")
    with LocalCluster(n_workers=2, processes=False, dashboard_address=None) as cluster:
        summary = grade(dask_site, released, scheduler=cluster.scheduler_address)
    assert summary.graded == 30 and summary.failed == []
    assert gbk.read_rows(dask_site.gradebook_url, released["assignment"]) == expected


def test_postgresql_gradebook_read_back_by_nbgrader(released, tmp_path, postgres_url):
    from nbgrader.api import Gradebook

    site = GraderSite(root=tmp_path / "grader", exchange=tmp_path / "exchange", db_url=postgres_url)
    site.prepare()
    course = released["course"]
    assignment, key = release(site, course)
    students = cohort(site, key, 12)
    summary = grade_assignment(site, course, assignment, collect=False, progress=False)
    assert summary.graded == 12 and summary.failed == []
    from partyquiz.answers import answers_path, load_answers

    with Gradebook(postgres_url) as gb:
        for student in students:
            answers = load_answers(answers_path(site.root / "submitted" / student / assignment, "l1")).answers
            expected = auto_score(grade_quiz(key, student, answers))
            grade_row = gb.find_grade(SCORE, "l1", assignment, student)
            assert grade_row.auto_score == pytest.approx(expected)
            assert grade_row.needs_manual_grade is False
        assert len(gb.find_assignment(assignment).submissions) == 12
    assert grade_assignment(site, course, assignment, collect=False, progress=False).skipped == 12


def test_cli_grades_with_a_progress_summary_and_rolls_in(released, tmp_path):
    from typer.testing import CliRunner

    from partyquiz.cli import _register, app

    _register()
    site = copy_site(released, tmp_path)
    course_dir = tmp_path / "course"
    shutil.copytree(released["base"] / "course-essay", course_dir)
    ledger = f"sqlite:///{tmp_path / 'ledger.db'}"
    result = CliRunner().invoke(app, ["grade", released["assignment"], "--course", str(course_dir), "--root", str(site.root),
                                      "--no-collect", "--ledger", ledger, "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "评分汇总" in result.output and "30" in result.output
    assert (tmp_path / "ledger.db").exists()
    again = CliRunner().invoke(app, ["grade", released["assignment"], "--course", str(course_dir), "--root", str(site.root),
                                     "--no-collect", "--lang", "en"])
    assert again.exit_code == 0 and "Unchanged, skipped" in again.output


def test_cli_names_a_missing_assignment(tmp_path):
    from typer.testing import CliRunner

    from partyquiz.cli import _register, app

    _register()
    result = CliRunner().invoke(app, ["grade", "no-such-assignment", "--root", str(tmp_path / "grader"), "--no-collect"])
    assert result.exit_code == 1  # a library error: message and exit 1 (usage errors exit 2)
    assert "no-such-assignment" in result.output


def test_auto_engine_is_fast_only_when_every_graded_cell_is_a_quiz_cell(released):
    from partyquiz.build import test_cell_source
    from partyquiz.grading.batch import _is_quiz_only
    from partyquiz.grading.gradebook import CellInfo, NotebookInfo

    quiz = NotebookInfo("n", "l1")
    quiz.grade_cells["quiz_quiz1_score"] = CellInfo("1", "quiz_quiz1_score", 20.0, "code", False)
    quiz.source_cells["quiz_quiz1_score"] = CellInfo("", "quiz_quiz1_score", None, "code", False, test_cell_source(released["key"]))
    quiz.grade_cells["essay_es-xinde"] = CellInfo("2", "essay_es-xinde", 5.0, "markdown", True)
    quiz.solution_cells["essay_es-xinde"] = CellInfo("2", "essay_es-xinde", None, "markdown", True)
    quiz.source_cells["essay_es-xinde"] = CellInfo("", "essay_es-xinde", None, "markdown", True, "YOUR ANSWER HERE")
    assert _is_quiz_only(quiz)
    quiz.grade_cells["test_sum"] = CellInfo("3", "test_sum", 2.0, "code", False)
    quiz.source_cells["test_sum"] = CellInfo("", "test_sum", None, "code", False, "assert add(1, 2) == 3")
    assert not _is_quiz_only(quiz)  # a code exercise: nbgrader must run it


# --- a lesson's deadline is nbgrader's due date -------------------------------------------------

def _deadline_course(deadline):
    from helpers_grading import SAMPLE
    from partyquiz.authoring import load_course

    course = load_course(SAMPLE)
    course.lessons[0].deadline = deadline
    return course


def test_the_lessons_deadline_marks_work_after_it_late(tmp_path):
    """The deadline 2026-05-01 ends at midnight in Beijing, 16:00 UTC: a submission one second
    before is on time, one second after is late, counted by the fast engine and recorded 逾期 by
    roll-in, each with the full marks its answers earn (no late penalty is configured)."""
    import datetime as dt

    from partyquiz.pipeline import grade_and_roll_in
    from partyquiz.records.ledger import learner_records
    from partyquiz.simulate import make_roster

    course = _deadline_course(dt.date(2026, 5, 1))
    site = GraderSite(root=tmp_path / "grader", exchange=tmp_path / "exchange")
    assignment, key = release(site, course)
    assert gbk.read_assignment(site.gradebook_url, assignment).duedate == dt.datetime(2026, 5, 1, 16, 0)
    on_time, late = make_roster(2)
    for person, stamp in ((on_time, "2026-05-01 15:59:59.000000 UTC"), (late, "2026-05-01 16:00:01.000000 UTC")):
        drawn = grade_quiz(key, person.id, {}).drawn
        submit_direct(site, key, person.id, {q: right_answer(key.questions[q]) for q in drawn}, timestamp=stamp)
    ledger = f"sqlite:///{tmp_path / 'ledger.db'}"
    summary, _ = grade_and_roll_in(site, course, assignment, engine="fast", collect=False, release_feedback=False,
                                   progress=False, ledger_url=ledger, roster=[on_time, late])
    assert summary.graded == 2 and summary.late == 1
    [kept], [marked] = learner_records(ledger, on_time.id), learner_records(ledger, late.id)
    assert (kept.late, marked.late) == (False, True)
    assert kept.score == marked.score == kept.max_score == 20.0


def test_a_changed_deadline_is_followed_and_an_instructors_due_date_kept(tmp_path):
    import datetime as dt

    course = _deadline_course(dt.date(2026, 5, 1))
    site = GraderSite(root=tmp_path / "grader", exchange=tmp_path / "exchange")
    assignment, _ = release(site, course)

    def due():
        return gbk.read_assignment(site.gradebook_url, assignment).duedate

    assert due() == dt.datetime(2026, 5, 1, 16, 0)
    course.lessons[0].deadline = dt.date(2026, 6, 30)  # moved in course.yml, released again
    release(site, course)
    assert due() == dt.datetime(2026, 6, 30, 16, 0)
    course.lessons[0].deadline = None  # removed: no due date any more
    release(site, course)
    assert due() is None
    # a due date the instructor set in formgrader (as nbgrader's own API writes it) is never replaced
    course.lessons[0].deadline = dt.date(2026, 7, 1)
    release(site, course, duedate="2026-07-15 09:30:00")
    assert due() == dt.datetime(2026, 7, 15, 9, 30)
    release(site, course)
    assert due() == dt.datetime(2026, 7, 15, 9, 30)
