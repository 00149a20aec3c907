"""The two grading engines, one submission at a time, behind one signature.

`grade_one(plan, student)` runs in a worker (a local process or a Dask worker): it writes the
`autograded/` folder and the learner feedback, and returns the gradebook rows and the quiz
results; the parent writes the rows, so a SQLite gradebook only ever has one writer.

- fast: for notebooks whose graded cells are all partyquiz quiz cells. Reads the answers file
  and the key (from the instructor's source notebook), recomputes the draw from the student
  id, never executes anything the learner wrote.
- nbgrader: `nbgrader autograde` through NbGraderAPI, for notebooks with code exercises; the
  rows nbgrader wrote are read back. With a private gradebook (`plan.scratch_db`), several
  workers can autograde at once without contending for the SQLite writer lock.
"""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from ..answers import answers_path, load_answers
from ..files import place, walk_files
from ..i18n import t
from ..model import QuizKey, QuizResult
from ..scoring import auto_score, grade_quiz
from ..settings import settings
from ..testcell import essay_grade_id, essay_question_id
from .essays import essays_drawn, fill_essay_cells
from .feedback import render_feedback, write_feedback
from .gradebook import NO_RESPONSE, NotebookRows, SubmissionRows, read_rows
from .site import GraderSite


@dataclass
class NotebookPlan:
    name: str
    key_json: str | None  # the QuizKey from the hidden part of the quiz score cell
    score_cell: str | None  # grade id of that cell
    grade_cells: dict[str, float]  # grade id → max score
    solution_cells: list[str]
    essay_sources: dict[str, str]  # essay grade id → the cell's source text
    template: dict  # the autograded notebook before this learner's essays and score

    _key: QuizKey | None = field(default=None, repr=False, compare=False)
    _json: tuple[str, list[str]] | None = field(default=None, repr=False, compare=False)

    def template_json(self) -> tuple[str, list[str]]:
        """The template's metadata and each cell as JSON text, made once per process."""
        if self._json is None:
            head = json.dumps({k: v for k, v in self.template.items() if k != "cells"}, ensure_ascii=False)
            self._json = (head[1:-1], [json.dumps(c, ensure_ascii=False) for c in self.template["cells"]])
        return self._json

    @property
    def key(self) -> QuizKey | None:
        if self._key is None and self.key_json:
            self._key = QuizKey.model_validate_json(self.key_json)
        return self._key

    def __getstate__(self):  # the parsed key is rebuilt in the worker, not pickled
        state = dict(self.__dict__)
        state["_key"] = None
        state["_json"] = None
        return state


@dataclass
class Plan:
    root: str
    assignment: str
    engine: str  # "fast" | "nbgrader"
    notebooks: list[NotebookPlan]
    source_files: list[str]  # instructor's non-notebook files, relative to source/<assignment>
    ignore: list[str]
    db_url: str
    lang: str = "zh-CN"
    scratch_db: str | None = None  # template gradebook copied per nbgrader autograde (parallel runs)
    config_extra: dict = field(default_factory=dict)


@dataclass
class Outcome:
    student: str
    rows: SubmissionRows | None = None
    results: list[QuizResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    error: str | None = None
    fingerprint: str = ""
    seconds: float = 0.0
    feedback: bool = False


# --- helpers shared by both engines -------------------------------------------------------

def read_timestamp(folder: Path):
    from nbgrader.utils import parse_utc  # nbgrader.utils pulls in much of nbgrader: only workers need it

    path = folder / "timestamp.txt"
    try:
        text = path.read_text(encoding="utf-8").strip()
        return parse_utc(text) if text else None
    except (OSError, ValueError):
        return None


def score_notebook(nb: NotebookPlan, student: str, folder: Path) -> tuple[NotebookRows, QuizResult | None, list[str]]:
    """The rows nbgrader would write for this notebook, computed without running anything."""
    problems: list[str] = []
    scores: dict[str, float | None] = {name: 0.0 for name in nb.grade_cells}
    comments: dict[str, str | None] = {name: NO_RESPONSE for name in nb.solution_cells}
    key = nb.key
    if key is None:
        return NotebookRows(scores, comments), None, problems
    loaded = load_answers(answers_path(folder, nb.name))
    problems.extend(loaded.problems)
    result = grade_quiz(key, student, loaded.answers)
    if nb.score_cell:
        scores[nb.score_cell] = auto_score(result)
    for qid, text in essays_drawn(result).items():
        cell = essay_grade_id(qid)
        if cell in scores and text is not None:
            scores[cell] = None
            comments[cell] = None
    return NotebookRows(scores, comments), result, problems


def autograded_notebook(nb: NotebookPlan, result: QuizResult | None) -> dict:
    cells = []
    template = fill_essay_cells(nb.template["cells"], nb.key, result) if result is not None else nb.template["cells"]
    for cell in template:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")
        if grade_id == nb.score_cell and result is not None:
            score = auto_score(result)
            cell = {**cell, "execution_count": 1, "outputs": [
                {"output_type": "execute_result", "execution_count": 1, "metadata": {}, "data": {"text/plain": repr(score)}}]}
        cells.append(cell)
    return {**nb.template, "cells": cells}


def autograded_text(nb: NotebookPlan, result: QuizResult | None) -> str:
    """`autograded_notebook` serialised, re-encoding only the cells this learner changed."""
    head, cells = nb.template_json()
    new = autograded_notebook(nb, result)["cells"]
    parts = [text if cell is old else json.dumps(cell, ensure_ascii=False) for text, cell, old in zip(cells, new, nb.template["cells"])]
    return '{"cells": [\n' + ",\n".join(parts) + "\n], " + head + "}\n"


def quiz_only(plan: Plan) -> bool:
    """Every notebook is a partyquiz quiz (score cell, essays at most): the learner's notebook
    and answers file are all a grade may depend on."""
    return all(nb.key is not None and all(essay_question_id(s) is not None for s in nb.solution_cells) for nb in plan.notebooks)


def learner_file_kept(plan: Plan, rel: str) -> bool:
    """Does this non-notebook file of a submission go on to grading? For a quiz only the answers files."""
    if not quiz_only(plan):
        return True
    return rel in {answers_path(Path(), nb.name).name for nb in plan.notebooks}


def copy_files(plan: Plan, submitted: Path, dest: Path) -> None:
    """As nbgrader autograde: the learner's non-notebook files, then the instructor's over them.

    For a quiz only the answers files are the learner's (both engines: see `learner_file_kept`)."""
    source = Path(plan.root) / "source" / plan.assignment
    instructor = set(plan.source_files)
    made = {""}
    for rel, entry in walk_files(submitted, plan.ignore):
        if rel.endswith(".ipynb") or rel in instructor or not learner_file_kept(plan, rel):
            continue
        _parent(dest, rel, made)
        place(Path(entry.path), dest / rel)
    for rel in plan.source_files:
        _parent(dest, rel, made)
        place(source / rel, dest / rel)


def _parent(dest: Path, rel: str, made: set[str]) -> None:
    parent = rel.rpartition("/")[0]
    if parent not in made:
        (dest / parent).mkdir(parents=True, exist_ok=True)
        made.add(parent)


def _missing(plan: Plan, submitted: Path) -> list[str]:
    return [nb.name for nb in plan.notebooks if not (submitted / f"{nb.name}.ipynb").exists()]


def _zero_rows(nb: NotebookPlan) -> NotebookRows:
    # nbgrader's rule for a notebook missing from a submission: every grade cell scores 0
    return NotebookRows({name: 0.0 for name in nb.grade_cells}, {name: None for name in nb.solution_cells})


# --- the engines -----------------------------------------------------------------------------

def grade_fast(plan: Plan, student: str) -> Outcome:
    root = Path(plan.root)
    submitted = root / "submitted" / student / plan.assignment
    dest = root / "autograded" / student / plan.assignment
    outcome = Outcome(student)
    missing = set(_missing(plan, submitted))
    try:
        dest.mkdir(parents=True)
    except FileExistsError:
        shutil.rmtree(dest)
        dest.mkdir()
    copy_files(plan, submitted, dest)
    rows: dict[str, NotebookRows] = {}
    for nb in plan.notebooks:
        if nb.name in missing:
            rows[nb.name] = _zero_rows(nb)
            outcome.problems.append(t("grading.error.notebook_missing", plan.lang, path=submitted / (nb.name + ".ipynb")))
            continue
        nb_rows, result, problems = score_notebook(nb, student, submitted)
        rows[nb.name] = nb_rows
        outcome.problems.extend(problems)
        if result is not None:
            outcome.results.append(result)
        (dest / f"{nb.name}.ipynb").write_text(autograded_text(nb, result), encoding="utf-8")
    outcome.rows = SubmissionRows(student, read_timestamp(submitted), rows)
    return outcome


_API_CACHE: dict[tuple, object] = {}


# nbgrader autogrades a checked copy of each submission (links to the same files), not submitted/
GRADED_COPY = ".partyquiz/graded-submissions"


def graded_copy(plan: Plan, student: str, submitted: Path) -> Path:
    """What nbgrader autograde gets for one submission: no links or special files, for a quiz only
    the notebooks and answers files, and `timestamp.txt` only if it is a date (else undated, as
    the fast engine reads it). Hard links: no bytes copied."""
    dest = Path(plan.root) / GRADED_COPY / student / plan.assignment
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    made = {""}
    for rel, entry in walk_files(submitted, plan.ignore):
        if rel == "timestamp.txt" or not (rel.endswith(".ipynb") and "/" not in rel or learner_file_kept(plan, rel)):
            continue
        _parent(dest, rel, made)
        place(Path(entry.path), dest / rel)
    stamp = read_timestamp(submitted)
    if stamp is not None:
        (dest / "timestamp.txt").write_text(stamp.strftime("%Y-%m-%d %H:%M:%S.%f UTC"), encoding="utf-8")
    return dest


def _nbgrader_api(plan: Plan, db_url: str):
    cache_key = (plan.root, db_url)
    if cache_key not in _API_CACHE:
        extra = {**plan.config_extra, "CourseDirectory": {**plan.config_extra.get("CourseDirectory", {}), "submitted_directory": GRADED_COPY}}
        site = GraderSite(root=Path(plan.root), db_url=db_url, extra=extra)
        _API_CACHE.clear()
        _API_CACHE[cache_key] = site.api()
    return _API_CACHE[cache_key]


def grade_nbgrader(plan: Plan, student: str) -> Outcome:
    root = Path(plan.root)
    submitted = root / "submitted" / student / plan.assignment
    outcome = Outcome(student)
    missing = _missing(plan, submitted)
    if len(missing) == len(plan.notebooks):
        # nbgrader refuses ("No notebooks found") and writes nothing useful: give its own
        # missing-notebook rule, 0 everywhere, as the fast engine does.
        outcome.problems.extend(t("grading.error.notebook_missing", plan.lang, path=submitted / (m + ".ipynb")) for m in missing)
        outcome.rows = SubmissionRows(student, read_timestamp(submitted), {nb.name: _zero_rows(nb) for nb in plan.notebooks})
        dest = root / "autograded" / student / plan.assignment
        if dest.exists():
            shutil.rmtree(dest)
        dest.mkdir(parents=True)
        copy_files(plan, submitted, dest)
        return outcome
    db_url = plan.db_url
    if plan.scratch_db:
        # one private gradebook per worker process, reset from the template for each student:
        # the path stays the same, so the NbGraderAPI (≈0.3 s to make) is made once per worker
        scratch = Path(tempfile.gettempdir()) / f"pq-gradebook-{os.getpid()}-{abs(hash(plan.scratch_db)) % 10**8}.db"
        _copy_sqlite(plan.scratch_db, scratch)
        db_url = f"sqlite:///{scratch}"
    graded_copy(plan, student, submitted)
    result = _nbgrader_api(plan, db_url).autograde(plan.assignment, student, force=True, create=True)
    if not result.get("success"):
        outcome.error = _short_error(result)
        return outcome
    outcome.rows = read_rows(db_url, plan.assignment, [student]).get(student)
    if outcome.rows is not None:
        outcome.rows.notebooks.update({m: _zero_rows(nb) for nb in plan.notebooks for m in missing if nb.name == m})
    for nb in plan.notebooks:
        if nb.key is not None and nb.name not in missing:
            loaded = load_answers(answers_path(submitted, nb.name))
            outcome.problems.extend(loaded.problems)
            outcome.results.append(grade_quiz(nb.key, student, loaded.answers))
    return outcome


def _copy_sqlite(src: str, dest: Path) -> None:
    with sqlite3.connect(src) as a, sqlite3.connect(dest) as b:
        a.backup(b)


def _short_error(result: dict) -> str:
    text = (result.get("error") or result.get("log") or "autograde failed").strip().splitlines()
    return " / ".join(line.strip() for line in text[-3:])


def grade_one(plan: Plan, student: str) -> Outcome:
    """Grade one submission with the plan's engine, then write its feedback. Never raises."""
    started = time.perf_counter()
    try:
        outcome = (grade_fast if plan.engine == "fast" else grade_nbgrader)(plan, student)
        if outcome.error is None and outcome.results:
            pages = {r.notebook: render_feedback(_key_for(plan, r.notebook), r, plan.lang) for r in outcome.results}
            submitted = Path(plan.root) / "submitted" / student / plan.assignment
            outcome.feedback = write_feedback(Path(plan.root), student, plan.assignment, pages, submitted) is not None
    except Exception as exc:  # one broken submission never stops the batch
        outcome = Outcome(student, error=f"{type(exc).__name__}: {exc}")
        if settings().debug:
            outcome.error += "\n" + traceback.format_exc()
    outcome.seconds = time.perf_counter() - started
    return outcome


def _key_for(plan: Plan, notebook: str) -> QuizKey:
    return next(nb.key for nb in plan.notebooks if nb.name == notebook)


def grade_chunk(plan: Plan, students: list[str]) -> list[Outcome]:
    return [grade_one(plan, s) for s in students]
