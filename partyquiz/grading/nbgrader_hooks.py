"""Small preprocessors plugged into nbgrader's autograde pipeline through its config.

`DropLearnerAddedCells` runs in `Autograde.sanitize_preprocessors`, before anything executes.
In a notebook whose source has no code for the learner to write (a quiz notebook), every code
cell the learner added or copied is dropped, so no learner code runs in the kernel that
computes the score: a learner cell that registers a `text/plain` formatter would otherwise
turn a score of 0 into full marks (docs/design-notes.md). Notebooks with code exercises
keep nbgrader's own behaviour.

For every notebook, quiz or not, formgrader must never render HTML a learner wrote (issue 13,
H5): its `formgrade` template renders Markdown with a bare `markdown2html`, so `sanitize_html`
does nothing there. `LearnerTextAsText` turns every Markdown or raw cell that is not the
instructor's own unchanged text into a fenced block of plain text before autograded/ is
written, and `SanitizeLearnerOutputs` strips script-capable outputs (JavaScript, SVG, HTML
through bleach) that learner code produced while it was graded.

The grading kernel gets an environment built from an allow-list (`kernel_environment`): the
instructor's hub token, API tokens and database URLs never reach learner code (H6).
"""
from __future__ import annotations

import copy
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook
from nbconvert.preprocessors.sanitize import SanitizeHTML
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from traitlets import Bool, Set, Unicode

from ..answers import answers_path, load_answers
from ..model import QuizKey
from ..scoring import grade_quiz
from ..testcell import essay_question_id, parse_key
from .essays import fill_essay_cells


@dataclass
class _InstructorView:
    """What the instructor made of one notebook, read once for every preprocessor here: nbgrader's
    `Gradebook()` inspects and creates its tables on each open, and the released notebook is
    the same file each time."""

    key: tuple[str, str, str]  # (gradebook, assignment, notebook)
    course_root: str
    sources: dict[str, tuple[str, str]]  # source cell name → (cell type, source)
    solutions: frozenset[str]  # solution cell names
    released: list | None  # the released notebook's cells (None: no course root or no file)
    released_texts: frozenset[str]  # sources of its Markdown and raw cells


def _instructor_view(resources, course_root: str | None) -> _InstructorView:
    """The view of this notebook, made on first use and kept in `resources` (one per notebook).
    `course_root` None: the released notebook is not needed, any view of the notebook will do."""
    info = resources["nbgrader"]
    key = (info["db_url"], info["assignment"], info["notebook"])
    ours = resources.setdefault("partyquiz", {})
    view = ours.get("instructor")
    if view is not None and view.key == key and course_root in (None, view.course_root):
        return view
    with Gradebook(info["db_url"]) as gb:
        source_nb = gb.find_notebook(info["notebook"], info["assignment"])
        sources = {c.name: (c.cell_type, c.source) for c in source_nb.source_cells}
        solutions = frozenset(c.name for c in source_nb.solution_cells)
    path = Path(course_root) / "release" / info["assignment"] / f"{info['notebook']}.ipynb" if course_root else None
    released = nbformat.read(path, as_version=4).cells if path is not None and path.is_file() else None
    texts = frozenset(c.source for c in released or [] if c.cell_type in ("markdown", "raw"))
    ours["instructor"] = view = _InstructorView(key, course_root or "", sources, solutions, released, texts)
    return view


class DropLearnerAddedCells(NbGraderPreprocessor):
    """A quiz notebook is graded as the instructor released it: every cell the learner added,
    copied or edited (code, Markdown, raw) is gone before anything runs or reaches formgrader.

    The learner's answers live in the answers file, so the released notebook's cells replace
    the learner's wholesale; OverwriteCells then puts back the hidden test cell from the
    gradebook. Without the released notebook, cells whose grade id is not the instructor's are
    dropped, of every kind.
    """

    course_root = Unicode("", help="The nbgrader course root (release/ lives there)").tag(config=True)

    def preprocess(self, nb, resources):
        view = _instructor_view(resources, self.course_root)
        if any(view.sources[name][0] == "code" for name in view.solutions & view.sources.keys()):
            return nb, resources  # code exercises: learner code is the point
        if view.released is not None:
            nb.cells = copy.deepcopy(view.released)  # later preprocessors edit these cells
            return nb, resources
        kept, seen = [], set()
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id not in view.sources or grade_id in seen:
                self.log.warning("Dropped a %s cell the learner added (grade_id=%s)", cell.cell_type, grade_id)
                continue
            seen.add(grade_id)
            kept.append(cell)
        nb.cells = kept
        return nb, resources


class IsolatedExecute(Execute):
    """nbgrader's Execute with the kernel started in a scratch folder, not in autograded/.

    The scratch folder is `<tmp>/<student>/<assignment>/` (the hidden test cell names the learner
    by its folder) and holds only this notebook's answers file and the instructor's own files.
    So nothing the learner sent is on the kernel's path: no `ipykernel_launcher.py` that
    `python -m` would run, no `partyquiz/` that would shadow the real package. PYTHONSAFEPATH=1
    and IPython's ignore_cwd keep even the scratch folder off `sys.path`.
    """

    def preprocess(self, nb, resources, km=None):
        folder = Path(resources.get("metadata", {}).get("path") or ".")
        info = resources["nbgrader"]
        base = Path(tempfile.mkdtemp(prefix="pq-kernel-"))
        scratch = base / info["student"] / info["assignment"]
        scratch.mkdir(parents=True)
        _copy_kernel_files(folder, scratch, info["notebook"], Path(self.course_root) / "source" / info["assignment"] if self.course_root else None)
        resources["metadata"]["path"] = str(scratch)
        try:
            return super().preprocess(nb, resources, km=km)
        finally:
            resources["metadata"]["path"] = str(folder)
            shutil.rmtree(base, ignore_errors=True)

    # the kernel's whole environment: nothing of the instructor's but what a kernel needs
    # (both entry points: nbclient's sync wrapper is bound to the base class's coroutine)
    def start_new_kernel(self, **kwargs):
        kwargs.setdefault("env", kernel_environment())
        return super().start_new_kernel(**kwargs)

    async def async_start_new_kernel(self, **kwargs):
        kwargs.setdefault("env", kernel_environment())
        return await super().async_start_new_kernel(**kwargs)

    course_root = Unicode("", help="The nbgrader course root (source/ lives there)").tag(config=True)


# What a grading kernel inherits from the grader's environment; everything else is dropped.
KERNEL_ENV_ALLOWED = frozenset({
    "PATH", "HOME", "USER", "LOGNAME", "SHELL", "TERM", "LANG", "LANGUAGE", "TZ", "TMPDIR", "TEMP", "TMP",
    "PYTHONPATH", "PYTHONIOENCODING", "PYTHONUTF8", "PYTHONHASHSEED", "VIRTUAL_ENV", "CONDA_PREFIX",
    "CONDA_DEFAULT_ENV", "SYSTEMROOT", "MPLBACKEND", "MPLCONFIGDIR", "IPYTHONDIR", "JUPYTER_PATH",
    "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "MALLOC_ARENA_MAX", "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "PARTYQUIZ_LANG",
})
_SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSW|CREDENTIAL|API_?KEY|PRIVATE", re.I)
_URL_WITH_CREDENTIALS = re.compile(r"[a-z][a-z0-9+.-]*://[^/@\s]*:[^/@\s]*@", re.I)


def kernel_environment(environ: dict[str, str] | None = None) -> dict[str, str]:
    """The grading kernel's environment: the allow-list (and LC_*) from `environ`, minus anything
    that names or holds a secret, plus PYTHONSAFEPATH=1 (no script folder on sys.path)."""
    environ = os.environ if environ is None else environ
    env = {k: v for k, v in environ.items()
           if (k in KERNEL_ENV_ALLOWED or k.startswith("LC_")) and not _SECRET_NAME.search(k) and not _URL_WITH_CREDENTIALS.search(v)}
    env["PYTHONSAFEPATH"] = "1"
    return env


def _copy_kernel_files(folder: Path, scratch: Path, notebook: str, source: Path | None) -> None:
    """The answers file and the instructor's non-notebook files (from source/), nothing else."""
    answers = answers_path(folder, notebook)
    if answers.is_file() and not answers.is_symlink():
        shutil.copyfile(answers, answers_path(scratch, notebook))
    if source is None or not source.is_dir():
        return
    for path in source.rglob("*"):
        rel = path.relative_to(source)
        if path.is_file() and not path.is_symlink() and path.suffix != ".ipynb" and not any(p.startswith(".") for p in rel.parts):
            (scratch / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, scratch / rel)


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
        sources = {name: source for name, (_type, source) in _instructor_view(resources, None).sources.items()}
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


def as_plain_text(source: str) -> str:
    """Markdown that shows `source` verbatim: a fenced block longer than any backtick run in it,
    so no HTML, link, image or formula in the learner's text is ever rendered."""
    longest = max((len(run) for run in re.findall(r"`+", source)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{source}\n{fence}"


class LearnerTextAsText(NbGraderPreprocessor):
    """Every Markdown or raw cell that is not the instructor's own unchanged text becomes plain text.

    The instructor's text: a cell whose source is its grade cell's source in the gradebook, or
    (cells without a grade id) the source of a Markdown/raw cell of the released notebook. A raw
    cell becomes a Markdown cell holding its text (formgrader would paste a raw cell's source into
    the page as HTML). Runs in `Autograde.sanitize_preprocessors` after OverwriteCells (which puts
    back locked cells) and before FillEssayCells (whose essay text is escaped by essays.py).
    """

    course_root = Unicode("", help="The nbgrader course root (release/ lives there)").tag(config=True)

    def preprocess(self, nb, resources):
        view = _instructor_view(resources, self.course_root)
        graded = {name: source for name, (_type, source) in view.sources.items()}
        known = view.released_texts
        for cell in nb.cells:
            if cell.cell_type not in ("markdown", "raw"):
                continue
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if (cell.source == graded[grade_id]) if grade_id in graded else (cell.source in known):
                continue
            self.log.info("Learner %s cell shown as text (grade_id=%s)", cell.cell_type, grade_id)
            if cell.cell_type == "raw":
                cell.cell_type = "markdown"
                cell.metadata.pop("raw_mimetype", None)
                cell.metadata.pop("format", None)
                cell.pop("outputs", None)
                cell.pop("execution_count", None)
            cell.source = as_plain_text(cell.source)
        return nb, resources


class SanitizeLearnerOutputs(SanitizeHTML):
    """Outputs produced while grading (learner code ran): no JavaScript, no SVG, HTML bleached.

    Only code cells' outputs: Markdown is handled by LearnerTextAsText, which keeps the
    instructor's own text as written. Runs in `Autograde.autograde_preprocessors` after the kernel.
    """

    enabled = Bool(True, help="nbconvert's preprocessors are off unless enabled").tag(config=True)
    sanitized_output_types = Set({"text/html"}, help="Output types bleached").tag(config=True)

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type == "code":
            cell.outputs = self.sanitize_code_outputs(cell.get("outputs", []))
        return cell, resources
