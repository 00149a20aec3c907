"""Small preprocessors plugged into nbgrader's autograde pipeline through its config.

`DropLearnerAddedCells` runs in `Autograde.sanitize_preprocessors`, before anything executes.
In a notebook whose source has no code for the learner to write (a quiz notebook), every code
cell the learner added or copied is dropped, so no learner code runs in the kernel that
computes the score: a learner cell that registers a `text/plain` formatter would otherwise
turn a score of 0 into full marks (shared/DESIGN-NOTES.md). Notebooks with code exercises
keep nbgrader's own behaviour.
"""
from __future__ import annotations

from nbgrader.api import Gradebook
from nbgrader.preprocessors import NbGraderPreprocessor

from ..answers import answers_path, load_answers
from ..model import QuizKey
from ..scoring import grade_quiz
from ..testcell import essay_question_id, parse_key
from .essays import fill_essay_cells


class DropLearnerAddedCells(NbGraderPreprocessor):
    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        with Gradebook(info["db_url"]) as gb:
            source_nb = gb.find_notebook(info["notebook"], info["assignment"])
            code_cells = {c.name for c in source_nb.source_cells if c.cell_type == "code"}
            writable_code = {c.name for c in source_nb.solution_cells} & code_cells
        if writable_code:
            return nb, resources  # code exercises: learner code is the point
        kept, seen = [], set()
        for cell in nb.cells:
            if cell.cell_type == "code":
                grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
                if grade_id not in code_cells or grade_id in seen:
                    self.log.warning("Dropped a code cell the learner added (grade_id=%s)", grade_id)
                    continue
                seen.add(grade_id)
            kept.append(cell)
        nb.cells = kept
        return nb, resources


class FillEssayCells(NbGraderPreprocessor):
    """Put each drawn essay answer from the answers file into its `essay_<qid>` cell.

    Runs in `Autograde.sanitize_preprocessors` after OverwriteCells, so nbgrader then sees a
    changed solution cell (needs manual grading) or an untouched one ("No response.", 0), and
    formgrader shows the text to the grader. The draw comes from the key in the source notebook's
    hidden cell (stored in the gradebook) and the student id, never from the learner's files;
    the fast engine fills the cells with the same function, so both give the same notebook.
    """

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        with Gradebook(info["db_url"]) as gb:
            source_nb = gb.find_notebook(info["notebook"], info["assignment"])
            sources = {c.name: c.source for c in source_nb.source_cells}
        keys = [QuizKey.model_validate_json(k) for k in (parse_key(s) for s in sources.values()) if k]
        if not keys:
            return nb, resources
        folder = resources.get("metadata", {}).get("path") or "."
        answers = load_answers(answers_path(folder, info["notebook"])).answers
        # the learner's own edits to an essay cell are not kept: the answer lives in the answers file
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
            if essay_question_id(grade_id) is not None and grade_id in sources:
                cell.source = sources[grade_id]
        for key in keys:
            filled = fill_essay_cells(nb.cells, key, grade_quiz(key, info["student"], answers))
            for cell, new in zip(nb.cells, filled):
                if new is not cell:
                    cell.source = new["source"]
        return nb, resources
