"""Helpers for the grading tests and benchmark: a released assignment and simulated submissions.

`submit_direct` lays out `submitted/<student>/<assignment>/` exactly as `nbgrader collect` does
(the released notebook, the quiz file, the answers file written by the answer store,
`timestamp.txt`, `submission_secret.txt`) without paying nbgrader's exchange per learner.
"""
from __future__ import annotations

import datetime as dt
import json
import random
import shutil
import uuid
from pathlib import Path
from typing import Any, Callable

from partyquiz.answers import AnswerStore, answers_path
from partyquiz.authoring import load_course
from partyquiz.build import build_course, quiz_key
from partyquiz.grading.site import GraderSite
from partyquiz.model import Answer, Course, QuizKey, now_iso
from partyquiz.simulate import make_roster, simulated_answers

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "courses" / "jiaoyu-guanli"
ESSAY = {"id": "es-xinde", "type": "essay", "stem": "结合本课谈谈你对“三会一课”的认识。", "points": 5,
         "explanation": "言之有理即可，重点是联系本支部实际。"}


def essay_course(tmp: Path) -> Course:
    """The sample course plus one essay section (essays are graded by hand in formgrader)."""
    import yaml

    folder = tmp / "course-essay"
    shutil.copytree(SAMPLE, folder)
    bank = folder / "banks" / "questions.yml"
    data = yaml.safe_load(bank.read_text(encoding="utf-8"))
    data["questions"].append(ESSAY)
    bank.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    course = yaml.safe_load((folder / "course.yml").read_text(encoding="utf-8"))
    course["lessons"][0]["quiz"]["sections"].append({"title": "简答题", "pool": [ESSAY["id"]], "points": 5})
    (folder / "course.yml").write_text(yaml.safe_dump(course, allow_unicode=True), encoding="utf-8")
    return load_course(folder)


def release(site: GraderSite, course: Course, duedate: str | None = None) -> tuple[str, QuizKey]:
    build_course(course, site.source)
    lesson = course.lessons[0]
    assignment = course.assignment_name(lesson)
    if duedate:
        from nbgrader.api import Gradebook

        site.prepare()
        with Gradebook(site.gradebook_url) as gb:
            gb.update_or_create_assignment(assignment, duedate=duedate)
    site.generate_and_release(assignment)
    return assignment, quiz_key(course, lesson)


def submit_direct(site: GraderSite, key: QuizKey, student: str, values: dict[str, Any] | None = None, *,
                  raw_answers: str | bytes | None = None, timestamp: str = "2026-05-01 10:00:00.000000 UTC",
                  edit_notebook: Callable[[dict], None] | None = None, notebook_name: str | None = None) -> Path:
    folder = site.root / "submitted" / student / key.assignment
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(site.release_dir(key.assignment), folder)
    if values:
        # one save of all answers, as the store merges them (answer_as_learner saves one by one)
        store = AnswerStore(folder, key.notebook, meta={"learner": student, "assignment": key.assignment})
        store.save_many({q: Answer(value=v, saved_at=now_iso()) for q, v in values.items()})
    if raw_answers is not None:
        path = answers_path(folder, key.notebook)
        path.write_bytes(raw_answers if isinstance(raw_answers, bytes) else raw_answers.encode("utf-8"))
    notebook = folder / f"{key.notebook}.ipynb"
    if edit_notebook is not None:
        nb = json.loads(notebook.read_text(encoding="utf-8"))
        edit_notebook(nb)
        notebook.write_text(json.dumps(nb, ensure_ascii=False), encoding="utf-8")
    if notebook_name:
        notebook.rename(folder / f"{notebook_name}.ipynb")
    (folder / "timestamp.txt").write_text(timestamp, encoding="utf-8")
    (folder / "submission_secret.txt").write_text(uuid.uuid4().hex, encoding="utf-8")
    return folder


def cohort(site: GraderSite, key: QuizKey, n: int, seed: int = 7) -> list[str]:
    """n simulated learners of mixed ability, submitted directly."""
    rng = random.Random(seed)
    roster = make_roster(n)
    for learner in roster:
        submit_direct(site, key, learner.id, simulated_answers(key, learner.id, rng.random(), rng))
    return [learner.id for learner in roster]


def utc(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S")


def formgrader_html(site: GraderSite, notebook: Path, student: str) -> str:
    """The page formgrader's submission handler serves for an autograded notebook: nbgrader's own
    `formgrade` template and exporter settings (FormgradeExtension.build_extra_config) over the
    course config, with the resources the handler passes."""
    from nbconvert.exporters import HTMLExporter
    from nbgrader.server_extensions.formgrader import handlers

    config = site.config()
    config.HTMLExporter.template_name = "formgrade"
    config.HTMLExporter.extra_template_basedirs = [handlers.template_path]
    resources = {"assignment_id": notebook.parent.name, "notebook_id": notebook.stem, "submission_id": "x", "index": 0,
                 "total": 1, "base_url": "", "student": student, "last_name": None, "first_name": None,
                 "notebook_path": str(notebook)}
    html, _ = HTMLExporter(config=config).from_filename(str(notebook), resources=resources)
    return html
