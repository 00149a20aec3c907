"""The one domain model every stage shares.

course → lessons → quiz → sections → questions (with options and key);
an answer sheet holds a learner's answers to one notebook; a quiz result holds the scores;
a training record is what the ledger keeps per learner and lesson.

The key of a question (which options are right, accepted blanks, numeric value) lives on
the Question itself. `Question.public()` gives the learner-side view without it: the only
form that may reach a released notebook in graded mode.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from .errors import NotFound
from .i18n import t
from .qtypes import QuestionKind, registry
# The building blocks live one layer down, below the kinds, which build and read them;
# they are re-exported here so the whole library imports its model from one place.
from .questiondata import (  # noqa: F401  (re-exported)
    CLOZE_MARKER,
    Alternative,
    ClozeKind,
    ClozePart,
    MatchPair,
    NumericAnswer,
    Option,
    QuestionData,
    ScoringRule,
    StableId,
    _Model,
)

# A question type is a name in the registry of question kinds (`partyquiz.qtypes`, one module
# per type); `QUESTION_TYPES` lists the registered names.
QuestionType = str
QuizMode = Literal["practice", "graded"]


def _type_enum(schema: dict[str, Any]) -> None:
    schema["enum"] = list(registry.names())


def __getattr__(name: str) -> Any:
    # computed on each access: a kind registered later (a plug-in, a test) is listed too
    if name == "QUESTION_TYPES":
        return registry.names()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# A question whose type is a registered kind and whose key fits that kind. (A comment, not a
# docstring: the shipped JSON schemas are generated from the model and carry docstrings.)
class Question(QuestionData):
    type: QuestionType = Field(json_schema_extra=_type_enum)

    @field_validator("type")
    @classmethod
    def _known_type(cls, v: str) -> str:
        if not registry.known(v):
            raise ValueError(t("core.model.unknown_type", type=v, known="、".join(registry.names())))
        return v

    @model_validator(mode="after")
    def _key_fits_type(self) -> "Question":
        ids = [o.id for o in self.options]
        if len(set(ids)) != len(ids):
            raise ValueError(t("core.model.duplicate_options", id=self.id))
        kind = self.kind
        kind.check(self)
        if not kind.scored:
            self.points = 0.0  # a text item: shown, never scored, whatever the bank says
        elif self.points <= 0:
            raise ValueError(t("core.model.points_positive", id=self.id))
        return self

    @classmethod
    def example(cls, qtype: str) -> "Question":
        """The small valid question the kind `qtype` gives as its example (docs, walk test)."""
        return cls(type=qtype, **registry.get(qtype).example())

    @property
    def kind(self) -> QuestionKind:
        """This question's type in the registry (`partyquiz.qtypes`): every layer asks it."""
        return registry.get(self.type)

    def key(self) -> dict[str, Any]:
        """The key alone: what must never reach a learner in graded mode."""
        return self.kind.key(self)

    def public(self, with_key: bool = False) -> dict[str, Any]:
        """Learner-side view. `with_key` only for practice quizzes."""
        view: dict[str, Any] = {
            "id": self.id,
            "type": self.type,
            "stem": self.stem,
            "points": self.points,
        }
        if self.options:
            view["options"] = [o.public() for o in self.options]
        view.update(self.kind.public(self))
        if with_key:
            view["key"] = self.key()
            view["explanation"] = self.explanation
        return view


class Section(_Model):
    """A part of a quiz: draw `draw` questions from `pool`, each worth `points`."""

    title: str = ""
    pool: list[str]
    draw: int | None = None
    points: float | None = None
    # stage tests: the pool is every question of these lessons' quizzes ("all" = every lesson),
    # filled in by Course when course.yml is read (see Course._stage_test_pools)
    from_lessons: list[str] | Literal["all"] | None = None

    @model_validator(mode="after")
    def _draw_fits(self) -> "Section":
        if not self.pool:
            raise ValueError(t("core.model.empty_pool"))
        if len(set(self.pool)) != len(self.pool):
            raise ValueError(t("core.model.duplicate_in_pool"))
        if self.draw is not None and not (1 <= self.draw <= len(self.pool)):
            raise ValueError(t("core.model.draw_out_of_range", draw=self.draw, size=len(self.pool)))
        return self


class Quiz(_Model):
    id: StableId
    title: str = ""
    mode: QuizMode = "graded"
    rule: ScoringRule = "strict"
    sections: list[Section]
    shuffle_questions: bool = True
    shuffle_options: bool = True
    time_limit_minutes: float | None = None
    # show the right answers in learner feedback after grading
    reveal_answers: bool = True
    # 补考: how many times a learner may submit, and which submission is the result
    attempts: int = Field(default=1, ge=1, le=20)
    counts: Literal["highest", "last"] = "highest"
    # when the time limit runs out: "submit" = 交卷 at once; "late" = answering goes on, marked 逾期
    time_up: Literal["submit", "late"] = "submit"


class Lesson(_Model):
    id: StableId
    title: str
    file: str
    hours: float = Field(ge=0)
    minutes: float | None = None  # expected study time, for hour rules by duration
    quiz: Quiz | None = None
    pass_mark: float | None = None  # percent; falls back to the course's
    required: bool = True  # 必修 (False: 选修)
    deadline: dt.date | None = None  # 截止日期, shown in the course centre
    # 逾期提交 after the deadline: "late" = taken and marked late (nbgrader's rule); "closed" = refused
    after_deadline: Literal["late", "closed"] = "late"
    # a stage test or final exam (阶段测试 / 结业考试): its own assignment, pass mark and time limit
    # (quiz.time_limit_minutes), and `weight` in the course result (CourseResult)
    kind: Literal["lesson", "test"] = "lesson"
    weight: float | None = Field(default=None, ge=0)


class CourseResult(_Model):
    """How the course result combines lessons and stage tests (course.yml `result`).

    weighted: percent = (lessons_weight × mean lesson percent + Σ test.weight × test percent) /
    (lessons_weight + Σ test.weight); passed when it reaches `pass_mark` (the course's when
    unset) and, with `require_tests`, every test passed. all_pass: every lesson and test passed."""

    rule: Literal["weighted", "all_pass"] = "weighted"
    lessons_weight: float = Field(default=1.0, ge=0)
    pass_mark: float | None = None
    require_tests: bool = True


class Course(_Model):
    id: StableId
    title: str
    language: Literal["zh-CN", "en"] = "zh-CN"
    organiser: str = ""  # 主办单位
    institution: str = ""  # 培训机构
    form: Literal["在线", "脱产", "境外", "online", "full-time", "abroad"] = "在线"
    year: int
    pass_mark: float = 60.0  # percent of the maximum
    lessons: list[Lesson]
    banks: list[str] = []
    description: str = ""
    # filled by the loader, not written in course.yml
    questions: dict[str, Question] = Field(default_factory=dict, exclude=True)
    lesson_text: dict[str, str] = Field(default_factory=dict, exclude=True)
    folder: str = Field(default="", exclude=True)  # the course folder (its media/ holds bank images)
    result: CourseResult = Field(default_factory=CourseResult)

    @model_validator(mode="before")
    @classmethod
    def _stage_test_pools(cls, data: Any) -> Any:
        """A section with `from_lessons` pools every question of those lessons' quizzes."""
        if not isinstance(data, dict) or not isinstance(data.get("lessons"), list):
            return data
        lessons = [l for l in data["lessons"] if isinstance(l, dict)]
        pools = {l.get("id"): [q for sec in ((l.get("quiz") or {}).get("sections") or []) for q in (sec.get("pool") or [])]
                 for l in lessons if l.get("kind", "lesson") == "lesson"}
        for lesson in lessons:
            for section in (lesson.get("quiz") or {}).get("sections") or []:
                wanted = section.get("from_lessons") if isinstance(section, dict) else None
                if not wanted or section.get("pool"):
                    continue
                ids = list(pools) if wanted == "all" else list(wanted)
                unknown = [i for i in ids if i not in pools]
                if unknown:
                    raise ValueError(t("core.model.no_such_lessons", lessons=", ".join(map(str, unknown))))
                section["pool"] = list(dict.fromkeys(q for i in ids for q in pools[i]))
        return data

    def lesson(self, lesson_id: str) -> Lesson:
        for lesson in self.lessons:
            if lesson.id == lesson_id:
                return lesson
        raise NotFound(lesson_id)

    def assignment_name(self, lesson: Lesson) -> str:
        """nbgrader assignment name: one assignment per lesson."""
        return f"{self.id}-{lesson.id}"

    def lesson_for_assignment(self, assignment: str) -> Lesson:
        for lesson in self.lessons:
            if self.assignment_name(lesson) == assignment:
                return lesson
        raise NotFound(assignment)

    def pass_mark_for(self, lesson: Lesson) -> float:
        return lesson.pass_mark if lesson.pass_mark is not None else self.pass_mark


class QuizKey(_Model):
    """Everything the grader needs for one quiz notebook, from the instructor's side only.

    It is embedded in the hidden test cell of the source notebook and read by the fast engine,
    so that both engines score from the very same data.
    """

    course_id: str
    assignment: str
    notebook: str
    quiz: Quiz
    questions: dict[str, Question]

    @property
    def max_score(self) -> float:
        total = 0.0
        for section in self.quiz.sections:
            # text items (descriptions) have no points: they never count in the maximum
            scored = [q for q in section.pool if self.questions[q].kind.scored]
            if not scored:
                continue
            if section.draw:  # validated uniform when drawing (and drawn pools hold no text items)
                total += section.draw * (section.points if section.points is not None else self.questions[scored[0]].points)
            else:
                total += sum(section.points if section.points is not None else self.questions[q].points for q in scored)
        return round(total, 6)


class Answer(_Model):
    """One saved answer: value shape depends on the question type.

    single: [option_id]; multiple: [option_id, ...]; truefalse: bool; fill: [str per blank];
    numeric: float or str as typed; matching: {pair_id: right text}; essay: str;
    cloze: {part_id: str as typed, or option id}; description: none (nothing is asked).
    """

    value: Any = None
    saved_at: str
    late: bool = False


class QuestionScore(_Model):
    question_id: str
    score: float
    max_score: float
    answered: bool
    needs_manual: bool = False
    value: Any = None  # the learner's answer, for option counts in item analysis


class QuizResult(_Model):
    learner_id: str
    assignment: str
    notebook: str
    drawn: list[str]
    scores: list[QuestionScore]
    late: bool = False

    @property
    def score(self) -> float:
        return round(sum(s.score for s in self.scores), 4)

    @property
    def max_score(self) -> float:
        return round(sum(s.max_score for s in self.scores), 4)


class TrainingRecord(_Model):
    """One row of the ledger: a learner's result for one lesson from one grading batch."""

    learner_id: str
    course_id: str
    lesson_id: str
    assignment: str
    score: float
    max_score: float
    passed: bool
    hours: float
    completed_at: dt.datetime | None
    batch_id: str
    late: bool = False


def now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).astimezone().isoformat(timespec="milliseconds")


class Learner(_Model):
    """A person on the roster. `id` (工号) is also the nbgrader student id and hub user name."""

    id: StableId
    name: str  # 姓名
    branch: str = ""  # 支部
    unit: str = ""  # 单位
    position: str = ""  # 职务
    category: str = "党员"  # 人员类别
    rank: str = ""  # 职级 (乡科级, 县处级 …)
    id_number: str = ""  # 身份证号: personal data, masked unless an organisation turns it on
    joined_on: dt.date | None = None  # 入党日期 (政治生日); new-member rules count from it
    role: str = ""  # 支部书记 / 支部副书记 / 支部委员 …: branch secretaries and committee members

    @field_validator("joined_on", mode="before")
    @classmethod
    def _date_as_rosters_write_it(cls, value: Any) -> Any:
        # 2010年7月1日, 2010/7/1, 2010.7.1, an Excel date cell read as text ("2010-07-01 00:00:00")
        if isinstance(value, str):
            found = re.search(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})", value)
            if not value.strip():
                return None
            if found:
                return dt.date(*(int(g) for g in found.groups()))
        return value
