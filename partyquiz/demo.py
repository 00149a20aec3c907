"""The main job on embedded defaults: course → nbgrader → cohort → grading → training files.

Every step is a library call other stages own; this module only strings them together, so it
doubles as the shortest tour of the pipeline (see docs/architecture.md).
"""
from __future__ import annotations

import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from .authoring import load_course
from .build import build_course, quiz_key
from .grading.site import GraderSite
from .i18n import t
from .model import Course, Learner
from .settings import settings
from .simulate import answer_as_learner, make_roster, simulated_answers

# the demo's own course: online lessons credited by study time, and a stage test drawing from them
DEMO_COURSE_ID = "dangyuan-jiaoyu"


def default_course() -> Path:
    return settings().courses_dir / DEMO_COURSE_ID


@dataclass
class DemoResult:
    roster: list[Learner]
    submitted: list[str]
    files: list[Path] = field(default_factory=list)
    branches: list[dict] = field(default_factory=list)


def publish(site: GraderSite, course: Course) -> list[str]:
    """Build the course into nbgrader source notebooks, generate and release each assignment."""
    names = [b.name for b in build_course(course, site.source)]
    for name in names:
        site.generate_and_release(name)
    return names


def learner_session(site: GraderSite, course: Course, assignment: str, learner_id: str, home: Path, answers: dict[str, Any],
                    study_seconds: float | None = None) -> None:
    """What one learner does: fetch, answer through the answer store, submit. `study_seconds`:
    the active study time the learner app records beside the answers (None: the plain notebook
    widgets, which record none)."""
    lesson = course.lesson_for_assignment(assignment)
    folder = site.fetch(assignment, learner_id, home)
    if lesson.quiz is not None:
        key = quiz_key(course, lesson)
        answer_as_learner(folder, key, learner_id, answers)
        if study_seconds is not None:
            from .answers import AnswerStore

            AnswerStore(folder, key.notebook).update_meta(lambda meta: meta.update(study={"active_seconds": round(study_seconds, 1)}))
    site.submit(assignment, learner_id, home)


def simulate_cohort(site: GraderSite, course: Course, roster: list[Learner], homes: Path, seed: int = 2026, submit_rate: float = 0.9) -> list[str]:
    """Learners of varied ability answer every lesson; about one in ten never submits. Each
    studies a lesson for part or all of its expected minutes (the learner app records the time,
    online hours are credited from it): diligent learners earn the lesson's hours, others less."""
    rng = random.Random(seed)
    submitted = []
    for learner in roster:
        if rng.random() > submit_rate:
            continue
        ability = rng.betavariate(4, 2)  # most learners do fairly well, some struggle
        diligence = rng.betavariate(5, 2)  # share of the expected study time, most read most of it
        home = homes / learner.id
        shutil.rmtree(home, ignore_errors=True)
        for lesson in course.lessons:
            assignment = course.assignment_name(lesson)
            answers = simulated_answers(quiz_key(course, lesson), learner.id, ability, rng) if lesson.quiz else {}
            expected = 60 * (lesson.minutes if lesson.minutes is not None else 60 * lesson.hours)
            studied = expected * min(1.0, diligence * rng.uniform(1.0, 1.5))
            learner_session(site, course, assignment, learner.id, home, answers, study_seconds=studied)
        submitted.append(learner.id)
    return submitted


def run_demo(
    learners: int = 30,
    branches: int = 3,
    out: Path = Path("out"),
    course_dir: Path | None = None,  # default_course()
    site: GraderSite | None = None,
    ledger_url: str | None = None,
    engine: str = "nbgrader",
    seed: int = 2026,
    console: Console | None = None,
) -> DemoResult:
    from .pipeline import grade_and_roll_in  # grading and records load nbgrader and SQLAlchemy: only when the demo runs
    from .publish import write_exports_and_report
    from .exports import branch_summary  # 支部汇总's per-year view (offline hours included)
    from .records.roster import write_roster

    console = console or Console()
    site = site or GraderSite()
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    var = site.root.parent / "var"  # runtime state beside the course root (git-ignored)
    var.mkdir(parents=True, exist_ok=True)
    ledger_url = ledger_url or settings().ledger_url  # the one default ledger (CLI, demo and hub alike)

    course = load_course(course_dir or default_course())
    roster = make_roster(learners, branches, seed)
    # the roster is an input with full ID numbers: it stays with the runtime state, never beside
    # the exports an organisation hands on
    roster_file = var / "roster.xlsx"
    write_roster(roster, roster_file)

    console.rule(f"[bold]{course.title}")
    console.print(f"1. {t('demo.step.build')} / {t('demo.step.release')}")
    assignments = publish(site, course)
    console.print(f"2. {t('demo.step.answer')} / {t('demo.step.submit')} ({len(roster)})")
    submitted = simulate_cohort(site, course, roster, var / "homes", seed)
    console.print(f"3. {t('demo.step.grade')} / {t('demo.step.rollin')}")
    for assignment in assignments:
        summary, _ = grade_and_roll_in(site, course, assignment, engine=engine, ledger_url=ledger_url, roster=roster, progress=True)
        console.print(summary)
    console.print(t("activities.demo.step", year=course.year))  # a year of 三会一课 and training (H3)
    from .records.simulate_activities import simulate_activities

    simulate_activities(ledger_url, roster, course.year, var / "签到表", seed)
    console.print(f"4. {t('demo.step.export')}")
    files = write_exports_and_report(ledger_url, out, courses=[course], year=course.year)  # the activity tables in out/线下活动 too
    branches_rows = branch_summary(ledger_url, course.id, year=course.year, courses=[course])  # the course's year and rule, as the files
    console.print(summary_table(branches_rows))
    console.print(t("cli.files_written"))
    for path in files:
        console.print(f"  {path}")
    console.print(t("demo.done"))
    return DemoResult(roster=roster, submitted=submitted, files=files, branches=branches_rows)


def summary_table(rows: list[dict]) -> Table:
    table = Table(title=t("cli.summary.title"))
    columns = [("branch", "cli.summary.branch"), ("learners", "cli.summary.learners"), ("submitted", "cli.summary.submitted"),
               ("mean_score", "cli.summary.mean"), ("passed", "cli.summary.passed"), ("hours", "cli.summary.hours")]
    for _, label in columns:
        table.add_column(t(label), justify="right")
    for row in rows:
        table.add_row(*[_fmt(row.get(key)) for key, _ in columns])
    return table


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.1f}"
    return "" if value is None else str(value)
