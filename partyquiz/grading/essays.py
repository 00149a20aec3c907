"""Essay answers shown in the autograded notebook, so formgrader can grade them by hand.

Both engines call `filled_essay_source` (the nbgrader engine from an autograde preprocessor,
the fast engine directly), so an essay cell reads the same whichever engine graded it. The
learner's text is escaped: formgrader renders Markdown and HTML, and a learner must not be able
to inject either into the instructor's page.
"""
from __future__ import annotations

import html
import json
import re
from typing import Any

from ..model import QuizKey, QuizResult
from ..scoring import is_answered
from ..testcell import essay_question_id

MAX_ESSAY_CHARS = 20_000  # a longer answer is cut in the notebook (the answers file keeps it all)
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def essay_text(value: Any) -> str | None:
    """The learner's essay as text, or None when there is no answer."""
    if not is_answered(value):
        return None
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def escape_markdown(text: str) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


def filled_essay_source(question_id: str, stem: str, text: str) -> str:
    """The essay cell as the grader sees it: the question (from the key) and the escaped answer.

    Built from the key, not from the cell: nbgrader's ClearSolutions replaces a Markdown
    solution cell's text with "YOUR ANSWER HERE" when it generates the assignment.
    """
    if len(text) > MAX_ESSAY_CHARS:
        text = text[:MAX_ESSAY_CHARS] + " …（已截断 / truncated）"
    quoted = "\n".join("> " + escape_markdown(line) if line.strip() else ">" for line in text.splitlines())
    return f"**简答题 / Essay {question_id}**：{escape_markdown(stem)}\n\n---\n\n**学员作答 / Learner's answer：**\n\n{quoted}"


def essays_drawn(result: QuizResult) -> dict[str, str | None]:
    """Essay question id → the learner's text (None when blank), drawn essays only."""
    return {s.question_id: essay_text(s.value) for s in result.scores if s.needs_manual}


def fill_essay_cells(cells: list, key: QuizKey, result: QuizResult) -> list:
    """Cells with each drawn, answered essay written into its `essay_<qid>` cell (new dicts)."""
    essays = essays_drawn(result)
    out = []
    for cell in cells:
        qid = essay_question_id(cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", ""))
        if qid is not None and essays.get(qid):
            cell = {**cell, "source": filled_essay_source(qid, key.questions[qid].stem, essays[qid])}
        out.append(cell)
    return out
