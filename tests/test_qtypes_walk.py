"""Every registered question kind walks through every layer: author → build (nbgrader release
holds no key) → widget (the control takes an answer, the store saves it) → score (right,
wrong, blank; fast engine and the hidden test cell alike) → feedback text → every bank format
and back (or the format says it cannot hold the kind).

The kinds come from the registry, so a new module in partyquiz/qtypes/ is walked without
editing this file; a layer that does not know it fails here.
"""
from __future__ import annotations

import json
import random
import re
import shutil
from html import escape
from pathlib import Path

import pytest

from partyquiz import i18n
from partyquiz.answers import AnswerStore, answers_path
from partyquiz.banks import FORMATS, parse_bank, write_bank
from partyquiz.build import build_course, public_quiz, quiz_key
from partyquiz.errors import InputError
from partyquiz.grading.cell import score_in_notebook
from partyquiz.grading.feedback import render_feedback
from partyquiz.grading.site import GraderSite
from partyquiz.model import Answer, Course, Lesson, Question, Quiz, Section, now_iso
from partyquiz.qtypes import registry
from partyquiz.scoring import auto_max, auto_score, grade_quiz, score_question
from partyquiz.widgets import QuizView

KINDS = [kind.name for kind in registry.kinds()]
LEARNER = "u0001"


def _example(name: str) -> Question:
    return Question.example(name)


def walk_course() -> Course:
    """One lesson whose graded quiz holds every kind's example, one section each."""
    questions = [_example(name) for name in KINDS]
    quiz = Quiz(id="walk", title="题型全览", mode="graded", rule="strict",
                sections=[Section(title=q.type, pool=[q.id]) for q in questions])
    course = Course(id="walk", title="题型全览课程", year=2026,
                    lessons=[Lesson(id="l1", title="题型", file="lessons/l1.md", hours=1, quiz=quiz)])
    course.questions = {q.id: q for q in questions}
    course.lesson_text = {"l1": "# 题型\n\n每种题型一题。\n"}
    return course


@pytest.fixture(scope="module")
def released(tmp_path_factory) -> tuple[GraderSite, Course, Path]:
    """The walk course built and released by nbgrader (generate_assignment + release)."""
    root = tmp_path_factory.mktemp("walk")
    site = GraderSite(root=root / "grader", exchange=root / "exchange")
    site.prepare()
    course = walk_course()
    build_course(course, site.source)
    assignment = course.assignment_name(course.lessons[0])
    site.generate_and_release(assignment)
    return site, course, site.release_dir(assignment)


def _leaves(data) -> set[str]:
    if isinstance(data, dict):
        return set().union(*(_leaves(v) for v in data.values())) if data else set()
    if isinstance(data, (list, tuple)):
        return set().union(*(_leaves(v) for v in data)) if data else set()
    if isinstance(data, str) and len(data) > 1:
        return {data}
    return set()


def test_kinds_are_discovered_and_complete():
    assert set(KINDS) >= {"single", "multiple", "truefalse", "fill", "numeric", "matching", "essay", "description", "cloze"}
    for name in KINDS:
        kind = registry.get(name)
        assert kind.control.qtype == name
        for lang in i18n.LANGUAGES:
            assert i18n.t(kind.label_key, lang) != kind.label_key


def test_a_kind_missing_a_piece_fails_when_registered():
    from partyquiz.qtypes.base import QuestionKind
    from partyquiz.qtypes.registry import IncompleteKind, register
    from partyquiz.qtypes.single import Single

    class NoFeedbackText(QuestionKind):  # everything but answer_text / key_text
        name = "broken"
        control = Single.control
        check = key = public = from_public = fraction = right_answer = wrong_answer = example = lambda self, *a: None

    with pytest.raises(TypeError, match="answer_text"):
        register(NoFeedbackText)

    class WrongControl(Single):
        name = "broken"

    with pytest.raises(IncompleteKind, match="control"):
        register(WrongControl)
    assert "broken" not in registry.names()


def test_a_kind_whose_control_misses_clear_fails_when_registered():
    # without `clear` the control would pass import and the walk (which never clears) and
    # break only when a learner taps 清空: the registry refuses it at import instead
    from partyquiz.qtypes.base import Control
    from partyquiz.qtypes.registry import IncompleteKind, register
    from partyquiz.qtypes.single import Single

    class NoClear(Control):
        qtype = "noclear"

        def _build(self, saved):
            return Single.control._build(self, saved)

        @property
        def value(self):
            return None

        def fill(self, value):
            return None

    class NoClearKind(Single):
        name = "noclear"
        control = NoClear

    with pytest.raises(IncompleteKind, match="NoClear does not implement clear"):
        register(NoClearKind)
    assert "noclear" not in registry.names()


def test_example_questions_are_built_by_the_model():
    # the kinds sit below the model: they give fields, model.Question builds and checks them
    for name in KINDS:
        fields = registry.get(name).example()
        assert isinstance(fields, dict) and "type" not in fields
        question = Question.example(name)
        assert question.type == name and question.kind is registry.get(name)


@pytest.mark.parametrize("name", KINDS)
def test_author(name: str):
    q = _example(name)
    assert q.type == name
    # what a YAML bank or course.yml holds comes back the same
    assert Question.model_validate(json.loads(q.model_dump_json())) == q
    assert Question.model_validate(q.model_dump(mode="json", exclude_defaults=True)) == q


@pytest.mark.parametrize("name", KINDS)
def test_build_and_release_hold_no_key(name: str, released):
    site, course, release_dir = released
    q = course.questions[_example(name).id]
    spec = json.loads((release_dir / "l1.quiz.json").read_text(encoding="utf-8"))
    view = spec["questions"][q.id]
    assert "key" not in view and "explanation" not in view
    assert view == public_quiz(course, course.lessons[0])["questions"][q.id]
    # no key text that the learner view does not already show may appear in anything released
    shown = json.dumps(spec, ensure_ascii=False)
    secrets = {s for s in _leaves(q.key()) if s not in shown}
    secrets |= {q.explanation} if q.explanation else set()
    for path in release_dir.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            assert not [s for s in secrets if s in text], f"{name}: key data in {path.name}"
            assert "score_in_notebook" not in text and '"correct": true' not in text


def _fresh_folder(release_dir: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "learner"
    shutil.copytree(release_dir, folder)
    return folder


@pytest.mark.parametrize("name", KINDS)
def test_widget_takes_the_answer_and_the_store_saves_it(name: str, released, tmp_path: Path):
    site, course, release_dir = released
    folder = _fresh_folder(release_dir, tmp_path)
    q = course.questions[_example(name).id]
    kind = registry.get(name)
    view = QuizView("l1.quiz.json", folder, LEARNER)
    (question_view,) = [v for v in view.views if v.qid == q.id]
    assert f"pq-control-{name}" in question_view.control.widget._dom_classes
    answerable = [k for k in KINDS if registry.get(k).answerable]
    assert f"0 / {len(answerable)}" in view.progress.value
    right = kind.right_answer(q)
    question_view.control.fill(right)
    stored = {qid: a.value for qid, a in AnswerStore(folder, "l1").load().items()}
    if not kind.answerable:
        assert q.id not in stored and question_view.control.value is None
        assert f"0 / {len(answerable)}" in view.progress.value  # neither answered nor unanswered
        return
    assert stored[q.id] == question_view.control.value
    assert f"1 / {len(answerable)}" in view.progress.value
    # the saved answer is what grading reads, and it is worth the right answer's score
    key = quiz_key(course, course.lessons[0])
    result = grade_quiz(key, LEARNER, {q.id: Answer(value=stored[q.id], saved_at=now_iso())})
    (score,) = [s for s in result.scores if s.question_id == q.id]
    assert score.answered
    assert score.score == (0.0 if kind.manual else score.max_score)
    # a reload shows the saved answer in the control again
    again = [v for v in QuizView("l1.quiz.json", folder, LEARNER).views if v.qid == q.id][0]
    assert again.control.value == stored[q.id]


def _hidden_key_json(site: GraderSite, course: Course) -> str:
    notebook = site.source / course.assignment_name(course.lessons[0]) / "l1.ipynb"
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    source = next("".join(c["source"]) for c in cells if "score_in_notebook(" in "".join(c["source"]))
    return re.search(r'score_in_notebook\(r"""(.*)"""\)', source, re.S).group(1)


def _cell_score(site: GraderSite, course: Course, tmp_path: Path, values: dict) -> float:
    """The hidden test cell's function, run where nbgrader runs it: autograded/<student>/<assignment>."""
    folder = tmp_path / "autograded" / LEARNER / course.assignment_name(course.lessons[0])
    folder.mkdir(parents=True, exist_ok=True)
    answers_path(folder, "l1").unlink(missing_ok=True)
    AnswerStore(folder, "l1").save_many({q: Answer(value=v, saved_at=now_iso()) for q, v in values.items()})
    return score_in_notebook(_hidden_key_json(site, course), cwd=folder)


@pytest.mark.parametrize("name", KINDS)
def test_score_right_wrong_blank_in_both_engines(name: str, released, tmp_path: Path):
    site, course, _release = released
    q = course.questions[_example(name).id]
    kind = registry.get(name)
    key = quiz_key(course, course.lessons[0])
    answers = {"right": kind.right_answer(q), "wrong": kind.wrong_answer(q, random.Random(7)), "blank": None}
    for case, value in answers.items():
        values = {} if value is None else {q.id: value}
        result = grade_quiz(key, LEARNER, {qid: Answer(value=v, saved_at=now_iso()) for qid, v in values.items()})
        assert _cell_score(site, course, tmp_path, values) == auto_score(result), (name, case)
        scores = [s for s in result.scores if s.question_id == q.id]
        if not kind.scored:
            assert scores == [] and auto_score(result) == 0.0  # never scored, not in the maximum
            continue
        (score,) = scores
        assert score.max_score == q.points and score.needs_manual == kind.manual
        if kind.manual or case == "blank":
            assert score.score == 0.0
        elif case == "right":
            assert score.score == q.points
        else:
            assert score.score < q.points
    total = sum(p.points for p in course.questions.values() if registry.get(p.type).scored and not registry.get(p.type).manual)
    assert auto_max(key) == pytest.approx(total)


@pytest.mark.parametrize("name", KINDS)
def test_feedback_texts(name: str, released):
    _site, course, _release = released
    q = course.questions[_example(name).id]
    kind = registry.get(name)
    key = quiz_key(course, course.lessons[0])
    right = kind.right_answer(q)
    for lang in i18n.LANGUAGES:
        answer_text, key_text = kind.answer_text(q, right, lang), kind.key_text(q, lang)
        assert answer_text.strip() and key_text.strip(), name
        if not isinstance(right, (str, int, float)):
            assert answer_text not in (str(right), repr(right)), f"{name}: answer text falls back to str(value)"
        if kind.scored:
            result = grade_quiz(key, LEARNER, {q.id: Answer(value=right, saved_at=now_iso())})
            page = render_feedback(key, result, lang)
            assert escape(answer_text) in page and "{{" not in page
            if not kind.manual:
                assert escape(key_text) in page
            for note in kind.answer_feedback(q, right):  # the bank's feedback on this answer
                assert escape(note) in page


@pytest.mark.parametrize("fmt", list(FORMATS))
@pytest.mark.parametrize("name", KINDS)
def test_every_bank_format_carries_the_kind_or_says_it_cannot(name: str, fmt: str, tmp_path: Path):
    q = _example(name)
    path = tmp_path / f"bank{FORMATS[fmt]}"
    try:
        warnings = write_bank([q], path, fmt)
    except InputError as exc:
        assert q.id in str(exc), f"{fmt} refused {name} without naming the question"
        assert not path.exists()
        return
    back = parse_bank(path)
    assert back.problems == [], f"{fmt} wrote {name} but cannot read it back: {back.problems}"
    assert len(back.questions) == 1, f"{fmt} dropped {name}"
    if fmt == "yaml":
        assert back.questions[0] == q  # the project's own format is lossless
        return
    differences = meaning_differences(q, back.questions[0])
    if differences:
        named = " ".join(str(w) for w in (warnings or []))
        assert q.id in named, f"{fmt} changed {name} without a warning: {differences}"


RULES = ("all_or_nothing", "strict", "partial", "fraction")


def meaning_differences(a: Question, b: Question) -> list[str]:
    """What a learner or an instructor would notice between two forms of one question: texts,
    points, the key as shown, the score and feedback of the same answers under every rule.
    (A format may spell a weight or a number differently; that is not a loss.)"""
    kind = registry.get(a.type)
    found = [f for f in ("id", "type", "stem", "points", "explanation") if getattr(a, f) != getattr(b, f)]
    if found:
        return found
    for lang in i18n.LANGUAGES:
        if kind.key_text(a, lang) != kind.key_text(b, lang):
            found.append(f"key text ({lang}): {kind.key_text(a, lang)!r} → {kind.key_text(b, lang)!r}")
    rng = random.Random(3)
    probes = [kind.right_answer(a)] + [kind.wrong_answer(a, rng) for _ in range(3)]
    for value in probes:
        for rule in RULES:
            if score_question(a, value, rule) != score_question(b, value, rule):
                found.append(f"score of {value!r} under {rule}: {score_question(a, value, rule)} → {score_question(b, value, rule)}")
        if kind.answer_feedback(a, value) != kind.answer_feedback(b, value):
            found.append(f"feedback for {value!r}: {kind.answer_feedback(a, value)} → {kind.answer_feedback(b, value)}")
    return found


def test_importing_a_kind_module_whose_control_misses_fill_fails(tmp_path):
    # what a new file in partyquiz/qtypes/ goes through: @register runs when the module is imported
    import importlib.util

    from partyquiz.qtypes.registry import IncompleteKind

    source = tmp_path / "nofill.py"
    source.write_text(
        "from partyquiz.qtypes.base import Control\n"
        "from partyquiz.qtypes.registry import register\n"
        "from partyquiz.qtypes.single import Single\n"
        "class NoFillControl(Control):\n"
        "    qtype = 'nofill'\n"
        "    def _build(self, saved):\n"
        "        return Single.control._build(self, saved)\n"
        "    @property\n"
        "    def value(self):\n"
        "        return None\n"
        "    def clear(self):\n"
        "        return None\n"
        "@register\n"
        "class NoFill(Single):\n"
        "    name = 'nofill'\n"
        "    control = NoFillControl\n", encoding="utf-8")
    spec = importlib.util.spec_from_file_location("nofill", source)
    with pytest.raises(IncompleteKind, match="NoFillControl does not implement fill"):
        spec.loader.exec_module(importlib.util.module_from_spec(spec))
    assert "nofill" not in registry.names()
