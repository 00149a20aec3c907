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
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

QuestionType = Literal["single", "multiple", "truefalse", "fill", "numeric", "matching", "essay", "description", "cloze"]
QUESTION_TYPES: tuple[str, ...] = ("single", "multiple", "truefalse", "fill", "numeric", "matching", "essay", "description", "cloze")
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


class Alternative(_Model):
    """One accepted text for a blank or a short-answer part, weighted as in Moodle.

    A blank may list plain strings (each worth full credit) or alternatives; the first one that
    matches the learner's text (in authored order, as Moodle's short-answer does) gives its
    `fraction` (0..1) and its `feedback`.
    """

    text: str
    fraction: float = Field(default=1.0, ge=0.0, le=1.0)
    feedback: str = ""


class NumericAnswer(_Model):
    """One accepted number: value ± tolerance, or an inclusive range [low, high], with a weight."""

    value: float | None = None
    tolerance: float = Field(default=0.0, ge=0.0)
    range: tuple[float, float] | None = None
    fraction: float = Field(default=1.0, ge=0.0, le=1.0)
    feedback: str = ""

    @model_validator(mode="after")
    def _has_target(self) -> "NumericAnswer":
        if self.value is None and self.range is None:
            raise ValueError("数值答案缺少数值或范围 / numeric answer without value or range")
        if self.range is not None and self.range[0] > self.range[1]:
            raise ValueError("数值范围下限大于上限 / range low above high")
        return self


ClozeKind = Literal["shortanswer", "numerical", "multichoice"]


class ClozePart(_Model):
    """One typed blank inside a cloze stem, written `{{<id>}}` where it stands (Moodle's embedded answers).

    shortanswer: `alternatives` (+ `case_sensitive`); numerical: `numeric_answers`;
    multichoice: `options` (weights from `fraction`, else `correct`), shown as `display`.
    `points` is the part's weight within the question (Moodle's `{2:…}`).
    """

    id: StableId
    kind: ClozeKind
    points: float = Field(default=1.0, gt=0)
    alternatives: list[Alternative] = []
    case_sensitive: bool = False
    numeric_answers: list[NumericAnswer] = []
    options: list[Option] = []
    display: Literal["dropdown", "vertical", "horizontal"] = "dropdown"
    shuffle: bool = False


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
    # truefalse key, and the feedback shown when the learner answered true / false
    answer: bool | None = None
    feedback_true: str = ""
    feedback_false: str = ""
    # fill key: one list of accepted alternatives per blank (a plain string = full credit)
    blanks: list[list[str | Alternative]] = []
    case_sensitive: bool = False
    # numeric key: value ± tolerance, or an inclusive range [low, high] (full credit), then
    # further accepted answers with their own weight and feedback; the first match counts
    value: float | None = None
    tolerance: float = 0.0
    range: tuple[float, float] | None = None
    numeric_answers: list[NumericAnswer] = []
    # cloze: the typed blanks written `{{<part id>}}` in the stem
    parts: list[ClozePart] = []
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
            if self.value is None and self.range is None and not self.numeric_answers:
                raise ValueError(f"{self.id}: 数值题缺少答案 / numeric without value or range")
        elif self.type == "description":
            self.points = 0.0  # a text item: shown, never scored
            return self
        elif self.type == "cloze":
            _check_cloze(self)
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


CLOZE_MARKER = re.compile(r"\{\{([A-Za-z0-9][A-Za-z0-9_.-]*)\}\}")


def _full_credit(weights: list[float]) -> bool:
    return any(abs(w - 1.0) < 1e-9 for w in weights)


def _check_cloze(q: "Question") -> None:
    ids = [p.id for p in q.parts]
    if not ids:
        raise ValueError(f"{q.id}: 完形填空题没有空 / cloze without parts")
    if len(set(ids)) != len(ids):
        raise ValueError(f"{q.id}: 空的 id 重复 / duplicate part ids")
    markers = CLOZE_MARKER.findall(q.stem)
    for pid in ids:
        if markers.count(pid) != 1:
            raise ValueError(f"{q.id}: 题干中空 {{{{{pid}}}}} 应恰好出现一次 / marker {{{{{pid}}}}} must appear once in the stem")
    unknown = sorted(set(markers) - set(ids))
    if unknown:
        raise ValueError(f"{q.id}: 题干中有未定义的空 / stem marks undefined parts: {', '.join(unknown)}")
    for part in q.parts:
        where = f"{q.id}.{part.id}"
        if part.kind == "shortanswer" and not _full_credit([a.fraction for a in part.alternatives]):
            raise ValueError(f"{where}: 简答空需要一个满分答案 / short-answer part needs a 100% alternative")
        if part.kind == "numerical" and not _full_credit([a.fraction for a in part.numeric_answers]):
            raise ValueError(f"{where}: 数值空需要一个满分答案 / numerical part needs a 100% answer")
        if part.kind == "multichoice":
            if len(part.options) < 2 or len({o.id for o in part.options}) != len(part.options):
                raise ValueError(f"{where}: 选择空至少需要两个不同的选项 / multichoice part needs two distinct options")
            weights = [o.fraction if o.fraction is not None else float(o.correct) for o in part.options]
            if not _full_credit(weights):
                raise ValueError(f"{where}: 选择空需要一个满分选项 / multichoice part needs a 100% option")


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
