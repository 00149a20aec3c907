"""`partyquiz build`: every shipped course through real `nbgrader generate_assignment`; no key in release/."""
from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest
from typer.testing import CliRunner

from partyquiz.authoring import load_course
from partyquiz.build import build_course, quiz_key
from partyquiz.cli import _register, app
from partyquiz.scoring import auto_max

REPO = Path(__file__).resolve().parents[1]

SHIPPED = sorted(p.parent for p in (REPO / "courses").glob("*/course.yml"))

# JSON keys only the answer key has (the public view has id/type/stem/points/options/n_blanks/lefts/rights)
KEY_FIELDS = re.compile(r'\\?"(correct|fraction|blanks|value|tolerance|range|pairs|right|answer|key|explanation)\\?"\s*:')


def _files(folder: Path) -> dict[Path, str]:
    return {p: p.read_text(encoding="utf-8") for p in folder.rglob("*") if p.is_file() and p.suffix in (".ipynb", ".json")}


def _public_corpus(course) -> str:
    """Everything a learner may legitimately see: lesson texts, stems, option texts, lefts/rights."""
    parts = list(course.lesson_text.values())
    for q in course.questions.values():
        parts += [q.stem, *(o.text for o in q.options), *(p.left for p in q.pairs), *(p.right for p in q.pairs), *q.distractors]
    return "\n".join(parts)


def _secrets(course, lesson) -> list[str]:
    """Key data of a graded quiz that appears nowhere a learner may look: it must never be released."""
    key = quiz_key(course, lesson)
    public = _public_corpus(course)
    secrets = []
    for q in key.questions.values():
        secrets += [alt for blank in q.blanks for alt in blank]
        if q.explanation:
            secrets.append(q.explanation)
        compact = json.dumps(q.key(), ensure_ascii=False, separators=(",", ":"))
        secrets += [compact, compact.replace('"', '\\"')]  # as is, and as inside a notebook's JSON
    return [s for s in secrets if s and s not in public]


def _hidden_key(notebook: Path):
    from partyquiz.model import QuizKey

    nb = nbformat.read(notebook, as_version=4)
    (cell,) = [c for c in nb.cells if c.metadata["nbgrader"]["grade_id"].endswith("_score")]
    return QuizKey.model_validate_json(re.search(r'r"""(.*)"""', cell.source, re.S).group(1))


def test_build_is_repeatable_and_follows_the_cell_contract(tmp_path):
    for folder in SHIPPED:
        course = load_course(folder)
        first = {p: p.read_bytes() for b in build_course(course, tmp_path / "a") for p in b.folder.iterdir()}
        second = {p.relative_to(tmp_path / "b"): p.read_bytes() for b in build_course(course, tmp_path / "b") for p in b.folder.iterdir()}
        again = {p.relative_to(tmp_path / "a"): p.read_bytes() for b in build_course(course, tmp_path / "a") for p in b.folder.iterdir()}
        assert {p.relative_to(tmp_path / "a"): v for p, v in first.items()} == second == again
        for lesson in course.lessons:
            name = f"{course.id}-{lesson.id}"
            nb = nbformat.read(tmp_path / "a" / name / f"{lesson.id}.ipynb", as_version=4)
            meta = {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells}
            key = quiz_key(course, lesson)
            assert f'show_quiz("{lesson.id}.quiz.json")' in meta[f"quiz_{key.quiz.id}_widget"].source
            score = meta[f"quiz_{key.quiz.id}_score"]
            assert score.metadata["nbgrader"]["points"] == auto_max(key) > 0
            essays = [q for q in key.questions.values() if q.type == "essay"]
            assert all(meta[f"essay_{q.id}"].metadata["nbgrader"]["points"] == q.points for q in essays)
            shown = json.loads((tmp_path / "a" / name / f"{lesson.id}.quiz.json").read_text(encoding="utf-8"))
            for section in key.quiz.sections:  # the learner sees the points the grader counts
                assert all(shown["questions"][q]["points"] == (section.points or key.questions[q].points) for q in section.pool)
            assert nb.cells[0].source.startswith("# ")  # the lesson text comes first


def test_every_shipped_course_generates_and_releases_without_key(site):
    built = []
    for folder in SHIPPED:
        course = load_course(folder)
        for assignment in build_course(course, site.source):
            built.append((course, course.lesson_for_assignment(assignment.name), assignment.name))
    assert len(built) >= 8
    checked = 0
    for course, lesson, name in built:
        assert _hidden_key(site.source / name / f"{lesson.id}.ipynb") == quiz_key(course, lesson)
        site.generate_and_release(name)
        released = _files(site.release_dir(name))
        assert any(p.suffix == ".ipynb" for p in released) and any(p.name.endswith(".quiz.json") for p in released)
        text = "\n".join(released.values())
        assert "score_in_notebook" not in text and "BEGIN HIDDEN" not in text, name
        quiz = json.loads(next(v for p, v in released.items() if p.name.endswith(".quiz.json")))
        if lesson.quiz.mode == "practice":  # practice shows right answers at once: the key is meant to be there
            assert all("key" in q for q in quiz["questions"].values()), name
            continue
        secrets = _secrets(course, lesson)
        for secret in secrets:
            assert secret not in text, f"{name}: key data released: {secret[:60]}"
        for path, content in released.items():
            assert not KEY_FIELDS.search(content), f"{name}: key field in {path.name}"
        for qid, view in quiz["questions"].items():
            assert set(view) <= {"id", "type", "stem", "points", "options", "n_blanks", "lefts", "rights"}, qid
            assert all(set(o) == {"id", "text"} for o in view.get("options", []))
        checked += len(secrets)
    assert checked > 100  # the check looked at real key data, not just a marker


def test_cli_build(tmp_path):
    _register()
    result = CliRunner().invoke(app, ["build", str(REPO / "courses" / "party-education-en"), "--root", str(tmp_path / "grader"), "--lang", "en"])
    assert result.exit_code == 0 and "Built party-education-en-l1" in result.output
    assert (tmp_path / "grader" / "source" / "party-education-en-l1" / "l1.quiz.json").exists()


@pytest.mark.parametrize("folder", SHIPPED, ids=[p.name for p in SHIPPED])
def test_lessons_become_several_readable_cells(folder, tmp_path):
    course = load_course(folder)
    for b in build_course(course, tmp_path):
        nb = nbformat.read(b.notebook, as_version=4)
        text_cells = [c for c in nb.cells if c.metadata["nbgrader"]["grade_id"].startswith("lesson_")]
        assert len(text_cells) >= 3, "one cell per section, so a long lesson is easy to follow"
