"""What the hidden test cell of a quiz notebook calls under `nbgrader autograde`.

The learner id comes from the folder nbgrader grades in (`autograded/<student>/<assignment>/`),
never from the learner's files; the answers come from the answers file beside the notebook;
the key comes from the hidden cell itself. The result is a plain float.
"""
from __future__ import annotations

from pathlib import Path

from ..answers import answers_path, load_answers
from ..model import QuizKey
from ..scoring import auto_score, grade_quiz


def learner_from_cwd(cwd: Path) -> str:
    # nbgrader executes in <root>/autograded/<student>/<assignment>
    return cwd.parent.name


def _reset_display_formatter() -> None:
    """Undo any text/plain formatter a learner cell may have registered before this cell."""
    try:
        # optional: the cell runs in a kernel; the fast engine and tests call it without IPython's shell
        from IPython import get_ipython
        from IPython.core.formatters import PlainTextFormatter
    except ImportError:  # not in a kernel
        return
    shell = get_ipython()
    if shell is not None:
        shell.display_formatter.formatters["text/plain"] = PlainTextFormatter(parent=shell.display_formatter)


def score_in_notebook(key_json: str, cwd: Path | None = None) -> float:
    key = QuizKey.model_validate_json(key_json)
    folder = Path.cwd() if cwd is None else cwd
    answers = load_answers(answers_path(folder, key.notebook)).answers
    result = grade_quiz(key, learner_from_cwd(folder.resolve()), answers)
    _reset_display_formatter()
    return auto_score(result)
