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
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

QuestionType = Literal["single", "multiple", "truefalse", "fill", "numeric", "matching", "essay"]
QUESTION_TYPES: tuple[str, ...] = ("single", "multiple", "truefalse", "fill", "numeric", "matching", "essay")
AUTO_GRADED_TYPES = frozenset({"single", "multiple", "truefalse", "fill", "numeric", "matching"})

# all_or_nothing: a question scores full points or 0 (every blank must be right).
# strict: choice questions all-or-nothing; blanks earn their share each.
# partial: each right pick earns points/#right, each wrong pick costs as much, floor 0.
# fraction: Moodle-style weights on the options, summed and clamped to [0, 1].
ScoringRule = Literal["all_or_nothing", "strict", "partial", "fraction"]
QuizMode = Literal["practice", "graded"]

StableId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=80)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


class Option(_Model):
    id: StableId
    text: str
    correct: bool = False
    # Moodle-style weight in [-1, 1]; None means "derived from `correct`".
    fraction: float | None = None
    feedback: str = ""

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "text": self.text}


class MatchPair(_Model):
    """One row of a matching question: `left` is shown, `right` must be chosen for it."""

    id: StableId
    left: str
    right: str


class Question(_Model):
    id: StableId
    type: QuestionType
    stem: str
    options: list[Option] = []
    # truefalse key
    answer: bool | None = None
    # fill key: one list of accepted alternatives per blank
    blanks: list[list[str]] = []
    case_sensitive: bool = False
    # numeric key: value ± tolerance, or an inclusive range [low, high]
    value: float | None = None
    tolerance: float = 0.0
    range: tuple[float, float] | None = None
    # matching key: each left item with its right answer (extra distractors in `distractors`)
    pairs: list[MatchPair] = []
    distractors: list[str] = []
    points: float = 1.0
    explanation: str = ""
    difficulty: str = ""
    topic: str = ""
    source: str = ""

    @field_validator("stem")
    @classmethod
    def _stem_not_empty(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("题干为空 / empty stem")
        return v

    @model_validator(mode="after")
    def _key_fits_type(self) -> "Question":
        ids = [o.id for o in self.options]
        if len(set(ids)) != len(ids):
            raise ValueError(f"选项 id 重复 / duplicate option ids in {self.id}")
        if self.type in ("single", "multiple"):
            if len(self.options) < 2:
                raise ValueError(f"{self.id}: 选择题至少需要两个选项 / needs at least two options")
            right = [o for o in self.options if o.correct]
            if not right:
                raise ValueError(f"{self.id}: 没有正确选项 / no correct option")
            if self.type == "single" and len(right) != 1:
                raise ValueError(f"{self.id}: 单选题只能有一个正确选项 / single choice needs exactly one")
        elif self.type == "truefalse":
            if self.answer is None:
                raise ValueError(f"{self.id}: 判断题缺少答案 / true/false without answer")
        elif self.type == "fill":
            if not self.blanks or any(not alts for alts in self.blanks):
                raise ValueError(f"{self.id}: 填空题缺少答案 / blank without accepted answer")
        elif self.type == "numeric":
            if self.value is None and self.range is None:
                raise ValueError(f"{self.id}: 数值题缺少答案 / numeric without value or range")
        elif self.type == "matching":
            if len(self.pairs) < 2:
                raise ValueError(f"{self.id}: 匹配题至少需要两组 / matching needs at least two pairs")
        if self.points <= 0:
            raise ValueError(f"{self.id}: 分值必须为正 / points must be positive")
        return self

    @property
    def correct_ids(self) -> list[str]:
        return [o.id for o in self.options if o.correct]

    def key(self) -> dict[str, Any]:
        """The key alone: what must never reach a learner in graded mode."""
        if self.type in ("single", "multiple"):
            return {"options": self.correct_ids}
        if self.type == "truefalse":
            return {"answer": self.answer}
        if self.type == "fill":
            return {"blanks": self.blanks, "case_sensitive": self.case_sensitive}
        if self.type == "numeric":
            return {"value": self.value, "tolerance": self.tolerance, "range": self.range}
        if self.type == "matching":
            return {"pairs": {p.id: p.right for p in self.pairs}}
        return {}

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
        if self.type == "fill":
            view["n_blanks"] = len(self.blanks)
        if self.type == "matching":
            # rights sorted so their order gives nothing away; the widget shuffles per learner
            view["lefts"] = [{"id": p.id, "text": p.left} for p in self.pairs]
            view["rights"] = sorted({p.right for p in self.pairs} | set(self.distractors))
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

    @model_validator(mode="after")
    def _draw_fits(self) -> "Section":
        if not self.pool:
            raise ValueError("题目池为空 / empty pool")
        if len(set(self.pool)) != len(self.pool):
            raise ValueError("题目池中有重复题目 / duplicate question in pool")
        if self.draw is not None and not (1 <= self.draw <= len(self.pool)):
            raise ValueError(f"抽题数 {self.draw} 超出题目池大小 {len(self.pool)} / draw out of range")
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


class Lesson(_Model):
    id: StableId
    title: str
    file: str
    hours: float = Field(ge=0)
    minutes: float | None = None  # expected study time, for hour rules by duration
    quiz: Quiz | None = None
    pass_mark: float | None = None  # percent; falls back to the course's


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

    def lesson(self, lesson_id: str) -> Lesson:
        for lesson in self.lessons:
            if lesson.id == lesson_id:
                return lesson
        raise KeyError(lesson_id)

    def assignment_name(self, lesson: Lesson) -> str:
        """nbgrader assignment name: one assignment per lesson."""
        return f"{self.id}-{lesson.id}"

    def lesson_for_assignment(self, assignment: str) -> Lesson:
        for lesson in self.lessons:
            if self.assignment_name(lesson) == assignment:
                return lesson
        raise KeyError(assignment)

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
            n = section.draw or len(section.pool)
            if section.points is not None:
                total += n * section.points
            else:
                # validated uniform when drawing; otherwise the sum of the pool
                pts = [self.questions[q].points for q in section.pool]
                total += pts[0] * n if section.draw else sum(pts)
        return round(total, 6)


class Answer(_Model):
    """One saved answer: value shape depends on the question type.

    single: [option_id]; multiple: [option_id, ...]; truefalse: bool; fill: [str per blank];
    numeric: float or str as typed; matching: {pair_id: right text}; essay: str.
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


PersonCategory = Literal["党员", "预备党员", "发展对象", "入党积极分子", "干部", "书记和班子成员", "群众"]


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
