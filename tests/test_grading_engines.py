"""Both engines on the same ≥ 50 submissions (varied, late, hostile) give the same gradebook.

One module-scoped run: the submissions are laid out once, copied into two course roots, graded
by the fast engine in one and by real `nbgrader autograde` (2 worker processes, private scratch
gradebooks) in the other; each test then checks one thing a user would notice.
"""
from __future__ import annotations

import json
import shutil

import pytest

from helpers_grading import cohort, essay_course, release, submit_direct
from partyquiz.answers import Answer
from partyquiz.grading import gradebook as gbk
from partyquiz.grading.batch import grade_assignment
from partyquiz.grading.site import GraderSite
from partyquiz.scoring import auto_score, grade_quiz
from partyquiz.simulate import right_answer, wrong_answer

DUE = "2026-05-01 12:00:00"


def _values(key, student, right: bool) -> dict:
    import random

    rng = random.Random(student)
    result = grade_quiz(key, student, {})
    return {q: (right_answer(key.questions[q]) if right else wrong_answer(key.questions[q], rng)) for q in result.drawn}


def _expected(key, student, values) -> float:
    answers = {q: Answer(value=v, saved_at="2026-05-01T10:00:00+08:00") for q, v in values.items()}
    return auto_score(grade_quiz(key, student, answers))


def _score_cell(nb: dict) -> dict:
    return next(c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id", "").endswith("_score"))


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("equiv")
    course = essay_course(base)
    fast = GraderSite(root=base / "fast" / "grader", exchange=base / "fast" / "exchange")
    fast.prepare()
    assignment, key = release(fast, course, duedate=DUE)
    students = cohort(fast, key, 40)
    cases: dict[str, tuple[str, float]] = {}  # case → (student, the honest score for what it answered)

    def case(name, values=None, **kw):
        student = f"x-{name}"
        submit_direct(fast, key, student, values, **kw)
        cases[name] = (student, _expected(key, student, values or {}))

    case("right", _values(key, "x-right", True))
    case("wrong", _values(key, "x-wrong", False))
    case("blank")
    case("late", _values(key, "x-late", True), timestamp="2026-05-03 09:00:00.000000 UTC")

    def formatter(nb):
        nb["cells"].insert(0, {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source":
                               "get_ipython().display_formatter.formatters['text/plain'].for_type(float, lambda x, p, c: p.text('20.0'))"})

    def edit_test(nb):
        cell = _score_cell(nb)
        cell["source"] = "20.0"
        cell["metadata"]["nbgrader"]["points"] = 100

    def delete_test(nb):
        nb["cells"].remove(_score_cell(nb))

    def copy_test(nb):  # a learner-made code cell claiming to be the test cell
        nb["cells"].append({**_score_cell(nb), "source": "20.0"})

    wrong = _values(key, "x-formatter", False)
    case("formatter", wrong, edit_notebook=formatter)
    case("edited_test", _values(key, "x-edited_test", False), edit_notebook=edit_test)
    case("deleted_test", _values(key, "x-deleted_test", False), edit_notebook=delete_test)
    case("duplicate_test", _values(key, "x-duplicate_test", False), edit_notebook=copy_test)
    case("renamed", _values(key, "x-renamed", True), notebook_name="l1-mine")
    big = {"schema": 1, "answers": {q: {"value": v, "saved_at": "2026"} for q, v in _values(key, "x-huge", True).items()}, "pad": "x" * 3_000_000}
    case("huge", raw_answers=json.dumps(big))
    case("malformed", raw_answers='{"answers": {"sc-zhiwei": {"value": ["zhiwei"], "saved_at": ')
    case("not_utf8", raw_answers=b"\xff\xfe\x00garbage")
    # right answers to every question of the pool, wrong ones to the questions actually drawn
    pool_right = {q: right_answer(key.questions[q]) for q in key.questions}
    student = "x-undrawn"
    drawn_wrong = _values(key, student, False)
    case("undrawn", {**pool_right, **drawn_wrong})
    cases["undrawn"] = (student, _expected(key, student, drawn_wrong))

    shutil.copytree(base / "fast", base / "nbg")
    nbg = GraderSite(root=base / "nbg" / "grader", exchange=base / "nbg" / "exchange")
    summaries = {
        "fast": grade_assignment(fast, course, assignment, engine="fast", collect=False, progress=False),
        "nbgrader": grade_assignment(nbg, course, assignment, engine="nbgrader", workers=2, collect=False, progress=False),
    }
    sites = {"fast": fast, "nbgrader": nbg}
    return {"sites": sites, "summaries": summaries, "assignment": assignment, "key": key, "cases": cases,
            "students": students + [s for s, _ in cases.values()]}


def _score(graded, engine, student) -> float | None:
    rows = gbk.read_rows(graded["sites"][engine].gradebook_url, graded["assignment"], [student])[student]
    return rows.notebooks["l1"].auto_scores["quiz_quiz1_score"]


def test_at_least_fifty_submissions_all_graded_by_both(graded):
    assert len(graded["students"]) >= 50
    for summary in graded["summaries"].values():
        assert summary.failed == []
        assert summary.graded == len(graded["students"])


def test_identical_per_cell_scores_and_comments(graded):
    a = gbk.read_rows(graded["sites"]["fast"].gradebook_url, graded["assignment"])
    b = gbk.read_rows(graded["sites"]["nbgrader"].gradebook_url, graded["assignment"])
    assert set(a) == set(b) == set(graded["students"])
    for student in graded["students"]:
        assert a[student] == b[student], student
    # the scores really vary: right, wrong and partial answers were all present
    assert len({round(r.notebooks["l1"].auto_scores["quiz_quiz1_score"], 4) for r in a.values()}) >= 5


def test_needs_manual_grade_identical_and_set_for_answered_essays(graded):
    fast = gbk.needs_manual(graded["sites"]["fast"].gradebook_url, graded["assignment"])
    assert fast == gbk.needs_manual(graded["sites"]["nbgrader"].gradebook_url, graded["assignment"])
    right, _ = graded["cases"]["right"]
    blank, _ = graded["cases"]["blank"]
    assert fast[(right, "essay_es-xinde")] is True and fast[(right, "quiz_quiz1_score")] is False
    assert fast[(blank, "essay_es-xinde")] is False


def test_autograded_essay_cells_identical_for_formgrader(graded):
    right, _ = graded["cases"]["right"]

    def essays(engine):
        path = graded["sites"][engine].root / "autograded" / right / graded["assignment"] / "l1.ipynb"
        nb = json.loads(path.read_text(encoding="utf-8"))
        cells = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id", "").startswith("essay_")]
        return ["".join(c["source"]) for c in cells]  # nbformat may store a source as a list of lines

    assert essays("fast") == essays("nbgrader")
    import nbformat

    for student in graded["students"][:5]:  # formgrader opens the fast engine's notebooks as any other
        path = graded["sites"]["fast"].root / "autograded" / student / graded["assignment"] / "l1.ipynb"
        nbformat.validate(nbformat.read(path, as_version=4))
    assert "学员作答" in essays("fast")[0] and "党员教育管理" in essays("fast")[0]


def test_late_submission_counted_by_both(graded):
    for summary in graded["summaries"].values():
        assert summary.late == 1


def test_right_and_wrong_scores(graded):
    for engine in ("fast", "nbgrader"):
        assert _score(graded, engine, graded["cases"]["right"][0]) == 20.0
        assert _score(graded, engine, graded["cases"]["blank"][0]) == 0.0


@pytest.mark.parametrize("engine", ["fast", "nbgrader"])
@pytest.mark.parametrize("name", ["formatter", "edited_test", "deleted_test", "duplicate_test", "undrawn"])
def test_hostile_notebook_cannot_raise_its_score(graded, engine, name):
    student, honest = graded["cases"][name]
    assert honest < 20.0
    assert _score(graded, engine, student) == honest


@pytest.mark.parametrize("engine", ["fast", "nbgrader"])
@pytest.mark.parametrize("name", ["huge", "malformed", "not_utf8", "renamed"])
def test_unreadable_submission_scores_zero_and_is_reported(graded, engine, name):
    student, _ = graded["cases"][name]
    assert _score(graded, engine, student) == 0.0
    assert any(s == student for s, _ in graded["summaries"][engine].problems)
