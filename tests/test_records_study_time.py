"""Study time the learner app records credits online hours on every roll-in path (grade + roll-in,
`partyquiz rollin`, roll_in_and_publish), and an answers file without a study block (the plain
notebook widgets) falls back to `online.missing_study_time` instead of 0. End to end: release →
fetch → answer → the app's study block → submit → collect → grade → roll-in → ledger.

The lesson below is online (在线), 2 学时 nominal, 90 minutes expected. Shipped rules: per_hour,
60 minutes = 1 学时, rounded down to 0.25; passing required; no study time → the lesson's minutes.
  u1 studied 45 min  → 45/60 = 0.75
  u2 studied 20 min  → 0.333 → 0.25
  u3 (plain widgets, no study block) → 90 expected minutes → 1.5
  u4 studied 200 min but answered nothing → failed → 0
  u5 studied 150 min → 2.5, capped at the lesson's 2
"""
from __future__ import annotations

import random
import shutil

import pytest
import yaml
from typer.testing import CliRunner

from helpers_grading import SAMPLE
from helpers_records import empty_gradebook, sqlite_url
from partyquiz.answers import AnswerStore
from partyquiz.authoring import load_course
from partyquiz.build import build_course, quiz_key
from partyquiz.model import Learner
from partyquiz.simulate import answer_as_learner, simulated_answers

STUDIED = {"u1": 45 * 60, "u2": 20 * 60, "u3": None, "u4": 200 * 60, "u5": 150 * 60}
EXPECTED = {"u1": 0.75, "u2": 0.25, "u3": 1.5, "u4": 0.0, "u5": 2.0}
ROSTER = [Learner(id=i, name=f"学员{i}", branch="一支部") for i in STUDIED]


def online_course(tmp):
    folder = tmp / "online-course"
    shutil.copytree(SAMPLE, folder)
    data = yaml.safe_load((folder / "course.yml").read_text(encoding="utf-8"))
    lesson = data["lessons"][0]
    lesson.update(hours=2, minutes=90)
    data.update(form="在线", lessons=[lesson])
    (folder / "course.yml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return folder, load_course(folder)


@pytest.fixture
def graded(site, tmp_path):
    """Every learner has submitted; u1, u2, u4, u5 through the learner app (a study block)."""
    folder, course = online_course(tmp_path)
    lesson = course.lessons[0]
    assignment = course.assignment_name(lesson)
    build_course(course, site.source)
    site.generate_and_release(assignment)
    key = quiz_key(course, lesson)
    for learner, seconds in STUDIED.items():
        home = tmp_path / "homes" / learner
        fetched = site.fetch(assignment, learner, home)
        if learner != "u4":  # everything right
            answer_as_learner(fetched, key, learner, simulated_answers(key, learner, 1.0, random.Random(1), blank_rate=0))
        store = AnswerStore(fetched, key.notebook, meta={"learner": learner, "assignment": assignment})
        if seconds is not None:  # what app/pages.py writes as the learner studies
            store.update_meta(lambda meta, s=seconds: meta.update(study={"active_seconds": s}))
        else:
            store.update_meta(lambda meta: meta.pop("study", None))
        site.submit(assignment, learner, home)
    return folder, course, assignment


def _hours(ledger):
    from partyquiz.records.ledger import learner_records

    return {p.id: sum(r.hours for r in learner_records(ledger, p.id)) for p in ROSTER}


@pytest.mark.slow
def test_every_roll_in_path_credits_the_recorded_study_time(site, graded, tmp_path):
    from partyquiz.cli import _register, app
    from partyquiz.pipeline import grade_and_roll_in, roll_in_and_publish
    from partyquiz.records.rollin import roll_in

    folder, course, assignment = graded
    ledger = sqlite_url(tmp_path / "ledger.db")
    summary, rolled = grade_and_roll_in(site, course, assignment, engine="fast", ledger_url=ledger, roster=ROSTER, progress=False)
    assert summary.graded == 5 and rolled.added == 5, summary.problems
    assert _hours(ledger) == EXPECTED

    # a ledger rolled in by an older path that knew no study time: everyone has the fallback
    stale = sqlite_url(tmp_path / "stale.db")
    roll_in(stale, site.gradebook_url, [course], roster=ROSTER, study_minutes={})
    assert _hours(stale) == {"u1": 1.5, "u2": 1.5, "u3": 1.5, "u4": 0.0, "u5": 1.5}
    # `partyquiz rollin` reads the collected answers beside the gradebook and corrects it
    _register()
    out = CliRunner().invoke(app, ["rollin", "--ledger", stale, "--gradebook", site.gradebook_url, "--course", str(folder)])
    assert out.exit_code == 0, out.output
    assert _hours(stale) == EXPECTED
    # the same command again changes nothing: the study time is read again, not the fallback
    again = CliRunner().invoke(app, ["rollin", "--ledger", stale, "--gradebook", site.gradebook_url, "--course", str(folder)])
    assert again.exit_code == 0 and _hours(stale) == EXPECTED

    # roll_in_and_publish finds the answers beside the gradebook too
    published = sqlite_url(tmp_path / "published.db")
    rolled, files = roll_in_and_publish(published, site.gradebook_url, [course], tmp_path / "out", roster=ROSTER)
    assert rolled.added == 5 and files
    assert _hours(published) == EXPECTED


def test_answers_without_a_study_block_fall_back_not_to_zero(tmp_path):
    """study_minutes_in gives no entry for a file without `study`, so the rule's fallback applies."""
    from partyquiz.records.rollin import study_minutes_in

    AnswerStore(tmp_path / "u1" / "c-l1", "l1").update_meta(lambda m: m.update(study={"active_seconds": 600}))
    AnswerStore(tmp_path / "u2" / "c-l1", "l1").save("q1", ["A"])  # the notebook widgets: answers, no study
    AnswerStore(tmp_path / "u3" / "c-l1", "l1").update_meta(lambda m: m.update(study={"active_seconds": 0}))
    assert study_minutes_in(tmp_path) == {("u1", "c-l1"): 10.0, ("u3", "c-l1"): 0.0}  # u3 recorded 0: that counts


def test_submitted_folder_is_found_beside_a_sqlite_gradebook(tmp_path):
    from partyquiz.records.rollin import submitted_folder

    url = empty_gradebook(tmp_path / "course" / "gradebook.db")
    assert submitted_folder(url) is None  # nothing collected yet
    (tmp_path / "course" / "submitted").mkdir()
    assert submitted_folder(url) == (tmp_path / "course" / "submitted").resolve()
    assert submitted_folder("postgresql://localhost/test") is None
