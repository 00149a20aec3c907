"""The hidden test-cell protocol: how a quiz's key and its essays sit in an nbgrader notebook.

One module owns both directions: `build.py` writes these cells, grading (both engines, the
nbgrader preprocessors, the batch planner) reads them back. Change the format here and both
sides change together.

- The score cell: an autograded code cell whose visible part is a comment and whose hidden part
  (between nbgrader's HIDDEN markers, stripped from release/) calls
  `partyquiz.grading.cell.score_in_notebook(r\"\"\"<QuizKey JSON>\"\"\")`; its value is the quiz
  score as a plain float. One per quiz: with per-learner draws the maximum per question would
  depend on the draw, the quiz total does not (docs/design-notes.md).
- One manually graded Markdown cell per essay question, grade id `essay_<question id>`.
"""
from __future__ import annotations

from .i18n import t
from .model import QuizKey

HIDDEN_BEGIN = "### BEGIN HIDDEN TESTS"  # nbgrader's markers: the part between them never reaches release/
HIDDEN_END = "### END HIDDEN TESTS"
SCORE_CALL = "score_in_notebook("
ESSAY_PREFIX = "essay_"


def test_cell_source(key: QuizKey, lang: str | None = None) -> str:
    # The visible part is only a comment (in the course's language): nbgrader strips the hidden
    # part from release/.
    return (
        f"# {t('core.build.score_cell', lang)}\n"
        f"{HIDDEN_BEGIN}\n"
        "from partyquiz.grading.cell import score_in_notebook\n"
        f'{SCORE_CALL}r"""{key.model_dump_json()}""")\n'
        f"{HIDDEN_END}"
    )


def parse_key(source: str) -> str | None:
    """The QuizKey JSON inside a quiz score cell, or None if the cell is not one."""
    if HIDDEN_BEGIN not in source or SCORE_CALL not in source:
        return None
    start = source.find('r"""', source.index(SCORE_CALL))
    end = source.find('"""', start + 4)
    return source[start + 4:end] if start >= 0 and end > start else None


def essay_grade_id(question_id: str) -> str:
    return ESSAY_PREFIX + question_id


def essay_question_id(grade_id: str) -> str | None:
    """The question id of an essay cell's grade id, or None for any other cell."""
    return grade_id[len(ESSAY_PREFIX):] if grade_id.startswith(ESSAY_PREFIX) else None
