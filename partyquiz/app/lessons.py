"""Pure core of the learner app: what each lesson's state is, hours against the requirement,
the receipt text and what to do next. No widgets, no files: values in, values out.

States, in the words the learner reads (i18n keys `app.state.<name>`):
`not_started` 未开始 · `studying` 学习中 · `submitted` 已交卷 · `marking` 待批阅 · `passed` 合格 ·
`failed` 不合格 · `retake` 可补考.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

STATES = ("not_started", "studying", "submitted", "marking", "passed", "failed", "retake")
ACTION_FOR = {"not_started": "start", "studying": "continue", "submitted": "result", "marking": "result",
              "passed": "result", "failed": "result", "retake": "retake"}


@dataclass(frozen=True)
class Outcome:
    """One graded submission, read from its feedback page or the ledger."""

    score: float
    max_score: float
    pending: int = 0  # questions waiting for the instructor (essays)

    @property
    def percent(self) -> float:
        return 100.0 * self.score / self.max_score if self.max_score else 0.0


@dataclass
class Submission:
    attempt: int
    submitted_at: str  # ISO, with offset
    answered: int = 0
    total: int = 0
    auto: bool = False  # submitted by the countdown
    timestamp: str = ""  # the exchange's own time stamp of this submission
    outcome: Outcome | None = None


@dataclass
class LessonEntry:
    """Everything the course centre knows about one lesson of one learner."""

    course_id: str
    course_title: str
    assignment: str
    notebook: str
    title: str
    hours: float = 0.0
    required: bool = True
    deadline: dt.date | None = None
    pass_mark: float = 60.0
    attempts_allowed: int = 1
    counts: str = "highest"
    time_limit: float | None = None
    time_up: str = "submit"
    mode: str = "graded"
    n_questions: int = 0
    max_score: float = 0.0
    fetched: bool = False
    folder: str | None = None
    attempt: int = 1  # the attempt being answered now (or the last one)
    answered: int = 0
    started: bool = False
    current_submitted: bool = False
    submissions: list[Submission] = field(default_factory=list)
    record: dict[str, Any] | None = None  # the ledger's current row, if rolled in
    study_seconds: float = 0.0

    @property
    def attempts_used(self) -> int:
        return len(self.submissions)

    @property
    def attempts_left(self) -> int:
        return max(0, self.attempts_allowed - self.attempts_used)


def counting_outcome(entry: LessonEntry) -> Outcome | None:
    """The submission that counts: the best one (`highest`) or the latest (`last`)."""
    graded = [s.outcome for s in entry.submissions if s.outcome is not None and not s.outcome.pending]
    if not graded:
        return None
    return max(graded, key=lambda o: o.percent) if entry.counts == "highest" else graded[-1]


def is_passed(entry: LessonEntry) -> bool | None:
    """True / False once a result is known, None before. The ledger's word wins when it says 合格."""
    if entry.record is not None and entry.record.get("passed"):
        return True
    outcome = counting_outcome(entry)
    if outcome is not None:
        return outcome.percent >= entry.pass_mark - 1e-9
    if entry.record is not None:
        return bool(entry.record.get("passed"))
    return None


def lesson_state(entry: LessonEntry) -> str:
    if not entry.current_submitted:
        if entry.submissions or entry.started or entry.answered:
            return "studying"
        return "not_started"
    latest = entry.submissions[-1] if entry.submissions else None
    passed = is_passed(entry)
    if passed:
        return "passed"
    if latest is not None and latest.outcome is not None and latest.outcome.pending:
        return "marking"
    if passed is None:
        return "submitted"
    return "retake" if entry.attempts_left > 0 else "failed"


def action_for(entry: LessonEntry) -> str:
    """Which big button the lesson gets: start / continue / result / retake."""
    return ACTION_FOR[lesson_state(entry)]


# --- feedback pages -----------------------------------------------------------------------------
_TOTAL = re.compile(r"<p class=\"total\"([^>]*)>")
_ATTR = re.compile(r"data-(score|max|pending)=\"([0-9.eE+-]+)\"")


def outcome_from_feedback(page: str) -> Outcome | None:
    """The figures the feedback page carries on its total line (grading/feedback.py)."""
    match = _TOTAL.search(page or "")
    if not match:
        return None
    values = dict(_ATTR.findall(match.group(1)))
    if "score" not in values or "max" not in values:
        return None
    return Outcome(float(values["score"]), float(values["max"]), int(float(values.get("pending", 0))))


# --- time ---------------------------------------------------------------------------------------
NBGRADER_TIMESTAMP = "%Y-%m-%d %H:%M:%S.%f %Z"


def parse_time(text: str | None) -> dt.datetime | None:
    """ISO stamps and nbgrader's `2026-12-01 11:30:05.123456 UTC`; naive means UTC."""
    if not text:
        return None
    text = text.strip()
    try:
        when = dt.datetime.fromisoformat(text.replace(" UTC", "+00:00"))
    except ValueError:
        try:
            when = dt.datetime.strptime(text, NBGRADER_TIMESTAMP)
        except ValueError:
            return None
    return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)


def local_time(when: dt.datetime | str | None, zone: str = "Asia/Shanghai") -> dt.datetime | None:
    if isinstance(when, str) or when is None:
        when = parse_time(when)
    return when.astimezone(ZoneInfo(zone)) if when is not None else None


WEEKDAYS = "一二三四五六日"


def chinese_datetime(when: dt.datetime | str | None, zone: str = "Asia/Shanghai", seconds: bool = True) -> str:
    """`2026年12月1日 星期二 19:30:05` in the given zone (no microseconds, no UTC)."""
    local = local_time(when, zone)
    if local is None:
        return ""
    clock = local.strftime("%H:%M:%S" if seconds else "%H:%M")
    return f"{local.year}年{local.month}月{local.day}日 星期{WEEKDAYS[local.weekday()]} {clock}"


def chinese_date(when: dt.date | dt.datetime | str | None, zone: str = "Asia/Shanghai") -> str:
    if isinstance(when, dt.datetime) or isinstance(when, str):
        local = local_time(when, zone)
        if local is None:
            return ""
        when = local.date()
    if when is None:
        return ""
    return f"{when.year}年{when.month}月{when.day}日"


def zone_label(zone: str) -> str:
    return "北京时间" if zone in ("Asia/Shanghai", "Asia/Chongqing", "Asia/Harbin", "PRC") else zone


# --- hours ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class HoursSummary:
    """This counting year's hours against the learner's requirement, as the exports count them
    (records.standing_for): `earned` holds only the training forms the requirement counts;
    `all_hours` every hour credited this year, offline activities included."""

    year: int
    earned: float
    required: float | None
    period_years: int = 1
    requirement: str = ""
    all_hours: float = 0.0
    counts: tuple[str, ...] | None = None
    missing_parts: str = ""  # parts still missing ("集中培训0/1次"), from Rules.assess

    @property
    def fraction(self) -> float:
        if not self.required:
            return 1.0 if self.earned else 0.0
        return min(1.0, self.earned / self.required)

    @property
    def missing(self) -> float:
        return max(0.0, (self.required or 0.0) - self.earned)

    @property
    def only_some_forms(self) -> bool:
        """Some hours this year do not count toward the requirement (e.g. online self-study for 党员)."""
        return self.counts is not None and self.all_hours - self.earned > 1e-9


def hours_summary(standing: dict[str, Any] | None, year: int) -> HoursSummary:
    """The summary from the standing the records service (or the ledger) gave; none: 0, no requirement claimed."""
    if not standing:
        return HoursSummary(year, 0.0, None)
    required = float(standing.get("required") or 0) or None
    counts = standing.get("counts")
    return HoursSummary(int(standing.get("year") or year), float(standing.get("earned") or 0), required,
                        int(standing.get("period_years") or 1), str(standing.get("requirement") or ""),
                        float(standing.get("this_year") or 0), tuple(counts) if counts else None,
                        str(standing.get("missing") or ""))


def hours_by_year(standing: dict[str, Any] | None) -> dict[int, float]:
    """Every hour credited per counting year (all forms, offline too), newest first."""
    years = {int(y): float(h) for y, h in ((standing or {}).get("by_year") or {}).items()}
    return dict(sorted(years.items(), reverse=True))


# --- receipt and next steps ---------------------------------------------------------------------
def receipt_text(entry: LessonEntry, submission: Submission, zone: str, t) -> str:
    """The receipt after 交卷, in local time and in words (`t` is the i18n function)."""
    return t("app.receipt", lesson=entry.title, when=chinese_datetime(submission.submitted_at, zone), zone=zone_label(zone),
             attempt=submission.attempt, allowed=entry.attempts_allowed, answered=submission.answered, total=submission.total)


def next_steps(entries: list[LessonEntry], today: dt.date) -> list[tuple[str, LessonEntry]]:
    """What the learner should do next, most urgent first: retakes, then unfinished required
    lessons by deadline, then electives."""
    steps: list[tuple[int, dt.date, str, LessonEntry]] = []
    far = dt.date.max
    for entry in entries:
        state = lesson_state(entry)
        if state == "retake":
            steps.append((0, entry.deadline or far, "retake", entry))
        elif state in ("not_started", "studying"):
            kind = "continue" if state == "studying" else "start"
            overdue = entry.deadline is not None and entry.deadline < today
            steps.append((1 if entry.required else 2, entry.deadline or far, "overdue" if overdue else kind, entry))
    steps.sort(key=lambda s: (s[0], s[1]))
    return [(kind, entry) for _rank, _deadline, kind, entry in steps]
