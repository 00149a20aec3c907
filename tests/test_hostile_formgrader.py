"""A hostile learner in a notebook with a CODE exercise, graded by real `nbgrader autograde` (issue 13, H5, H6).

Code exercises are graded by running the learner's code, so their cells are not replaced as a
quiz's are. The learner here adds and edits Markdown and raw cells with `<script>`, `onerror=`
and `javascript:` links, makes the grading kernel display HTML, JavaScript and SVG, and writes
the kernel's environment to a file. The instructor's formgrader page (rendered with nbgrader's
own `formgrade` template, as its submission handler does) must show all of it as text, run none
of it, and the kernel must not have seen the instructor's hub token or database passwords.
"""
from __future__ import annotations

import json
import uuid
from html.parser import HTMLParser

import nbformat
import pytest

from helpers_grading import formgrader_html
from partyquiz.grading import gradebook as gbk
from partyquiz.grading.batch import grade_assignment
from partyquiz.grading.site import GraderSite

pytestmark = [pytest.mark.slow]
ASSIGNMENT = "ex1"
SECRETS = {
    "JUPYTERHUB_API_TOKEN": "pq-secret-hub-token",
    "PARTYQUIZ_GRADEBOOK_URL": "postgresql://nbgrader:pq-secret-gradebook-pw@db.example.org/gradebook",
    "PARTYQUIZ_LEDGER_URL": "postgresql://partyquiz:pq-secret-ledger-pw@db.example.org/ledger",
    "OPENAI_API_KEY": "pq-secret-api-key",
    "LANG": "C.UTF-8",
}


def _meta(grade_id: str, **flags) -> dict:
    return {"nbgrader": {"grade_id": grade_id, "schema_version": 3, "solution": False, "grade": False, "locked": False,
                         "task": False, **flags}}


def _source_notebook() -> nbformat.NotebookNode:
    cells = [
        nbformat.v4.new_markdown_cell("# 练习 <b>PQ-INSTRUCTOR-HTML</b>"),  # the instructor's own HTML stays
        nbformat.v4.new_code_cell("def add(a, b):\n    ### BEGIN SOLUTION\n    return a + b\n    ### END SOLUTION",
                                  metadata=_meta("add", solution=True)),
        nbformat.v4.new_code_cell("assert add(1, 2) == 3", metadata=_meta("test_add", grade=True, locked=True, points=1)),
        nbformat.v4.new_markdown_cell("Explain.\n\n=== BEGIN MARK SCHEME ===\nanything\n=== END MARK SCHEME ===",
                                      metadata=_meta("explain", solution=True, grade=True, points=1)),
    ]
    return nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})


def _hostile(nb: nbformat.NotebookNode, env_file) -> None:
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id == "add":
            cell.source = (
                "import os, json\n"
                f"open({str(env_file)!r}, 'w').write(json.dumps(dict(os.environ)))\n"
                "from IPython.display import display, HTML, Javascript, SVG\n"
                "display(HTML('<script>alert(\"PQ-OUT-HTML\")</script><img src=x onerror=\"alert(3)\">'))\n"
                "display(Javascript('alert(\"PQ-OUT-JS\")'))\n"
                "display(SVG('<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(\"PQ-OUT-SVG\")</script></svg>'))\n"
                "def add(a, b):\n    return a + b")
        if grade_id == "explain":
            cell.source = "<script>alert('PQ-EDITED')</script> [click](javascript:alert('PQ-LINK')) $\\href{javascript:alert(1)}{x}$"
    nb.cells.insert(1, nbformat.v4.new_markdown_cell('<img src=x onerror="alert(\'PQ-ADDED\')">PQ-ADDED-TEXT'))
    nb.cells.insert(2, nbformat.v4.new_raw_cell("<script>alert('PQ-RAW')</script>PQ-RAW-TEXT", metadata={"format": "text/html"}))
    nb.cells.insert(3, nbformat.v4.new_markdown_cell("````\n```\n<script>alert('PQ-FENCE')</script>"))


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("hostile-formgrader")
    env_file = base / "kernel-env.json"
    site = GraderSite(root=base / "grader", exchange=base / "exchange")
    site.prepare()
    folder = site.source / ASSIGNMENT
    folder.mkdir(parents=True)
    nbformat.write(_source_notebook(), folder / "ex.ipynb")
    with pytest.MonkeyPatch.context() as mp:
        for name, value in SECRETS.items():
            mp.setenv(name, value)
        site.generate_and_release(ASSIGNMENT)
        submitted = site.root / "submitted" / "mallory" / ASSIGNMENT
        submitted.mkdir(parents=True)
        nb = nbformat.read(site.release_dir(ASSIGNMENT) / "ex.ipynb", as_version=4)
        _hostile(nb, env_file)
        nbformat.write(nb, submitted / "ex.ipynb")
        (submitted / "timestamp.txt").write_text("2026-05-01 10:00:00.000000 UTC")
        (submitted / "submission_secret.txt").write_text(uuid.uuid4().hex)
        summary = grade_assignment(site, None, ASSIGNMENT, engine="nbgrader", collect=False, release_feedback=False, progress=False)
    return {"site": site, "summary": summary, "env_file": env_file,
            "autograded": site.root / "autograded" / "mallory" / ASSIGNMENT / "ex.ipynb"}


def test_the_exercise_is_graded_and_the_learner_code_ran(graded):
    assert graded["summary"].failed == [] and graded["summary"].graded == 1
    rows = gbk.read_rows(graded["site"].gradebook_url, ASSIGNMENT, ["mallory"])["mallory"]
    assert rows.notebooks["ex"].auto_scores["test_add"] == 1.0
    assert graded["env_file"].is_file()  # a code exercise runs learner code: that is the point


def test_the_grading_kernel_never_sees_the_instructors_secrets(graded):
    env = json.loads(graded["env_file"].read_text(encoding="utf-8"))
    text = json.dumps(env)
    for name, value in SECRETS.items():
        if name != "LANG":
            assert name not in env and value not in text, name
    assert env.get("LANG") == "C.UTF-8" and env.get("PATH") and env.get("PYTHONSAFEPATH") == "1"


def test_formgrader_shows_learner_html_as_text_and_runs_none_of_it(graded):
    html = formgrader_html(graded["site"], graded["autograded"], "mallory")
    for needle in ("PQ-ADDED-TEXT", "PQ-RAW-TEXT", "PQ-EDITED", "PQ-LINK", "PQ-FENCE"):
        assert needle in html, needle  # the instructor still reads what the learner wrote
    page = _Elements()
    page.feed(html)
    learner_handlers = [h for h in page.handlers if not h[2].startswith("toggle_name(")]  # formgrader's own nav
    assert not learner_handlers, learner_handlers  # no onerror=, onclick=, … from the learner
    assert not page.script_urls, page.script_urls  # no javascript: link or source
    assert not [s for s in page.scripts if "alert" in s or "PQ-" in s]  # formgrader's own scripts only
    assert "svg" not in page.tags
    assert "<b>PQ-INSTRUCTOR-HTML</b>" in html  # the instructor's own Markdown renders as written


class _Elements(HTMLParser):
    """The elements a browser would build from the page: event handlers, script bodies, URLs."""

    def __init__(self):
        super().__init__()
        self.handlers, self.script_urls, self.scripts, self.tags = [], [], [], set()
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self._in_script = tag == "script"
        for name, value in attrs:
            if name.startswith("on"):
                self.handlers.append((tag, name, value))
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith(("javascript:", "data:text/html")):
                self.script_urls.append((tag, name, value))

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts.append(data)


def test_the_autograded_notebook_holds_learner_markdown_only_as_text(graded):
    nb = nbformat.read(graded["autograded"], as_version=4)
    assert all(c.cell_type != "raw" for c in nb.cells)
    learner = [c for c in nb.cells if c.cell_type == "markdown" and "PQ-" in c.source and "INSTRUCTOR" not in c.source]
    assert len(learner) == 4 and all(c.source.startswith("```") for c in learner)
    kinds = {k for c in nb.cells if c.cell_type == "code" for o in c.outputs for k in o.get("data", {})}
    assert "text/html" in kinds and not kinds & {"application/javascript", "image/svg+xml"}, kinds
    shown = [o["data"]["text/html"] for c in nb.cells if c.cell_type == "code" for o in c.outputs if "text/html" in o.get("data", {})]
    assert all("<script" not in h and "onerror" not in h.split("&lt;")[0] for h in shown), shown
