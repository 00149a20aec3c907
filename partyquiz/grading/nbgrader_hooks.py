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
