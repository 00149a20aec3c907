"""Hostile submissions against BOTH grading engines (issue 13), from the corpus in tests/fixtures/hostile/.

Each case lays out a submission as collect leaves it, adds what a hostile learner could send
(a `partyquiz/` package shadowing the hidden cell's import, an `ipykernel_launcher.py`,
`sitecustomize.py`, added code/Markdown/raw cells with scripts, links to /dev/zero and `..`,
forged or non-date time stamps) and grades it with the fast engine and with real `nbgrader
autograde`. Each must fail safe: the score is what the answers earn, no learner code ran (the
marker file never appears), none of it reaches autograded/, and both engines agree.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from helpers_grading import formgrader_html, release, submit_direct
from partyquiz.authoring import load_course
from partyquiz.grading import gradebook as gbk
from partyquiz.grading.batch import grade_assignment
from partyquiz.grading.site import GraderSite
from partyquiz.model import Answer
from partyquiz.scoring import auto_score, grade_quiz
from partyquiz.simulate import right_answer, wrong_answer

pytestmark = [pytest.mark.slow]
CORPUS = Path(__file__).parent / "fixtures" / "hostile"
REPO = Path(__file__).resolve().parents[1]
ENGINES = ("fast", "nbgrader")


def _values(key, student: str, right: bool) -> dict:
    import random

    rng = random.Random(student)
    return {q: (right_answer(key.questions[q]) if right else wrong_answer(key.questions[q], rng)) for q in grade_quiz(key, student, {}).drawn}


def _plant_files(folder: Path, marker: Path) -> None:
    for path in (CORPUS / "files").rglob("*"):
        if path.is_file():
            target = folder / path.relative_to(CORPUS / "files")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(path.read_text(encoding="utf-8").replace("{marker}", str(marker)), encoding="utf-8")


def _add_cells(marker: Path):
    cells = json.loads((CORPUS / "cells.json").read_text(encoding="utf-8"))

    def edit(nb: dict) -> None:
        for cell in cells:
            nb["cells"].insert(1, json.loads(json.dumps(cell).replace("{marker}", str(marker))))
    return edit


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("hostile-grading")
    marker = base / "LEARNER-CODE-RAN"
    course = load_course(REPO / "courses" / "jiaoyu-guanli")
    sites = {e: GraderSite(root=base / e / "grader", exchange=base / e / "exchange") for e in ENGINES}
    stamps = json.loads((CORPUS / "stamps.json").read_text(encoding="utf-8"))
    expected = {}
    for engine, site in sites.items():
        site.prepare()
        assignment, key = release(site, course)
        cases = {
            "honest": dict(values=_values(key, "honest", True)),
            "files": dict(values=_values(key, "files", False)),
            "cells": dict(values=_values(key, "cells", False), edit_notebook=_add_cells(marker)),
            "links": dict(values=_values(key, "links", True)),
            **{f"stamp-{name}": dict(values=_values(key, f"stamp-{name}", True), timestamp=text) for name, text in stamps.items()},
        }
        for student, kw in cases.items():
            folder = submit_direct(site, key, student, **kw)
            if student == "files":
                _plant_files(folder, marker)
            if student == "links":
                (folder / "zero").symlink_to("/dev/zero")
                (folder / "loop").symlink_to("..")
                (folder / "passwd").symlink_to("/etc/passwd")
            expected[student] = auto_score(grade_quiz(key, student, {q: Answer(value=v, saved_at="2026-05-01T10:00:00+08:00") for q, v in kw["values"].items()}))
        summary = grade_assignment(site, course, assignment, engine=engine, collect=False, release_feedback=False, progress=False)
        assert summary.engine == engine
        sites[engine] = (site, summary)
    return {"sites": sites, "expected": expected, "marker": marker, "assignment": assignment, "students": list(cases)}


def _rows(graded, engine):
    site, _ = graded["sites"][engine]
    return gbk.read_rows(site.gradebook_url, graded["assignment"], graded["students"])


def _total(rows, student) -> float:
    return sum(v or 0.0 for nb in rows[student].notebooks.values() for v in nb.auto_scores.values())


@pytest.mark.parametrize("engine", ENGINES)
def test_nothing_fails_and_every_score_is_what_the_answers_earn(graded, engine):
    _, summary = graded["sites"][engine]
    assert summary.failed == [] and summary.graded == len(graded["students"])
    rows = _rows(graded, engine)
    for student in graded["students"]:
        assert _total(rows, student) == pytest.approx(graded["expected"][student]), (engine, student)


def test_no_learner_code_ran_as_the_grader(graded):
    assert not graded["marker"].exists(), graded["marker"].read_text() if graded["marker"].exists() else ""


@pytest.mark.parametrize("engine", ENGINES)
def test_learner_files_and_links_never_reach_autograded(graded, engine):
    site, _ = graded["sites"][engine]
    for student in ("files", "links"):
        folder = site.root / "autograded" / student / graded["assignment"]
        names = {str(p.relative_to(folder)) for p in folder.rglob("*")}
        assert not {"partyquiz", "ipykernel_launcher.py", "sitecustomize.py", "usercustomize.py", "zero", "loop", "passwd"} & names, names
        assert not any(p.is_symlink() for p in folder.rglob("*"))
        assert "l1.answers.json" in names and "l1.ipynb" in names


@pytest.mark.parametrize("engine", ENGINES)
def test_learner_added_cells_of_every_kind_are_gone(graded, engine):
    site, _ = graded["sites"][engine]
    nb = json.loads((site.root / "autograded" / "cells" / graded["assignment"] / "l1.ipynb").read_text(encoding="utf-8"))
    text = json.dumps(nb["cells"])
    for needle in ("PQ-HOSTILE-MD", "PQ-HOSTILE-IMG", "PQ-HOSTILE-RAW", "LEARNER-CODE-RAN", "formatters"):
        assert needle not in text, (engine, needle)


@pytest.mark.parametrize("engine", ENGINES)
def test_formgrader_page_of_the_hostile_cells_submission_runs_nothing(graded, engine):
    """The page formgrader serves for it (nbgrader's own `formgrade` template, not JupyterLab's)."""
    site, _ = graded["sites"][engine]
    html = formgrader_html(site, site.root / "autograded" / "cells" / graded["assignment"] / "l1.ipynb", "cells")
    for needle in ("<script>fetch", "<script>alert(1)", "onerror=\"alert", "PQ-HOSTILE"):
        assert needle not in html, (engine, needle)


def test_both_engines_agree_on_every_time_stamp(graded):
    fast, slow = _rows(graded, "fast"), _rows(graded, "nbgrader")
    for student in graded["students"]:
        assert fast[student].timestamp == slow[student].timestamp, student
    assert fast["stamp-not_a_date"].timestamp is None and fast["stamp-garbage"].timestamp is None
