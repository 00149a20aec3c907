"""What the hub notebooks show: thin functions over the library, the notebooks only call them.

`instructor.ipynb` grades every released assignment (collect → grade → feedback → roll-in, with
a progress bar), shows the analytics and writes the exports. `my_records.ipynb` shows the
learner their own records only: the learner id is the hub user, never a parameter the page
takes from elsewhere: inside the hub the rows come from the `records` service
(records_service.py), which answers for the caller's token only, so learners never hold the
ledger's URL. (In the one-uid demo the ledger file is still readable on disk; docs/deploy.md.)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from pathlib import Path

from ..i18n import t
from ..identity import current_learner
from ..settings import settings


@dataclass
class Instructor:
    grader_root: Path
    exchange: Path
    ledger_url: str
    roster_file: Path | None
    courses_dir: Path = field(default_factory=lambda: settings().courses_dir)

    @classmethod
    def from_env(cls) -> "Instructor":
        """Inside the hub: paths come from the environment `partyquiz serve` gives the instructor."""
        home, s = Path.home(), settings()
        return cls(
            grader_root=s.grader_root or home / "grader",
            exchange=s.exchange or home / "exchange",
            ledger_url=s.ledger_url,
            roster_file=s.roster,
        )

    def site(self):
        from ..grading.site import GraderSite

        return GraderSite(root=self.grader_root, exchange=self.exchange)

    def courses(self) -> list:
        from ..authoring import load_course

        return [load_course(p.parent) for p in sorted(self.courses_dir.glob("*/course.yml"))]

    def roster(self) -> list | None:
        if self.roster_file is None or not self.roster_file.exists():
            return None
        from ..records.roster import load_roster

        return load_roster(self.roster_file)


def formgrader_link(user: str | None = None) -> str:
    """A link that opens formgrader in its own tab: under JupyterHub ≥ 4.1 its iframe is blank."""
    prefix = settings().service_prefix or f"/user/{user or current_learner()}/"
    return f'<a href="{escape(prefix)}formgrader" target="_blank" rel="noopener" class="pq-formgrader">{escape(t("hub.dash_formgrader"))}</a>'


def released_assignments(site) -> set[str]:
    from nbgrader.api import Gradebook

    with Gradebook(site.gradebook_url) as gb:
        return {a.name for a in gb.assignments}


def grade_all(ins: Instructor, progress: bool = True, engine: str = "auto") -> list:
    """Grade every lesson of every course that learners have submitted; returns BatchSummary list."""
    from ..pipeline import grade_and_roll_in

    site, roster, summaries = ins.site(), ins.roster(), []
    released = released_assignments(site)
    for course in ins.courses():
        for lesson in course.lessons:
            if course.assignment_name(lesson) not in released:
                continue  # a course added after the hub started has nothing to grade yet
            summary, _ = grade_and_roll_in(site, course, course.assignment_name(lesson), engine=engine,
                                           ledger_url=ins.ledger_url, roster=roster, progress=progress)
            summaries.append(summary)
    return summaries


def analytics(ins: Instructor):
    """Per-branch summary from the ledger, as a table."""
    import pandas as pd

    from ..exports import branch_summary  # 支部汇总's per-year view (offline hours included)

    return pd.DataFrame(branch_summary(ins.ledger_url, courses=ins.courses()))  # each course's result rule, as publish


def write_exports(ins: Instructor, out: Path | None = None) -> list[Path]:
    from ..publish import write_exports_and_report

    return write_exports_and_report(ins.ledger_url, out or Path.home() / "exports", courses=ins.courses())


def file_link(path: Path, label: str) -> str:
    """A link that opens a file of the user's home in a new browser tab."""
    prefix = settings().service_prefix or "/"
    try:
        rel = Path(path).resolve().relative_to(Path.home().resolve())
    except ValueError:
        return escape(str(path))
    return f'<a href="{escape(prefix)}files/{escape(rel.as_posix())}" target="_blank" rel="noopener">{escape(label)}</a>'


def fetch_own_records(service_url: str, token: str) -> list[dict]:
    """Ask the hub's `records` service; it answers for the token's owner only."""
    import httpx

    response = httpx.get(service_url, headers={"Authorization": f"token {token}"}, timeout=30)
    response.raise_for_status()
    return response.json()["records"]


def _own_rows(ledger_url: str | None, learner: str) -> list[dict]:
    service, token = settings().records_url, settings().hub_api_token
    if ledger_url is None and service and token:
        return fetch_own_records(service, token)  # inside the hub: no ledger access needed
    from ..records.ledger import learner_records

    url = ledger_url or settings().ledger_url
    try:
        return [r.model_dump() for r in learner_records(url, learner)]
    except Exception:  # no ledger yet: nothing has been graded
        return []


def my_records(ledger_url: str | None = None, learner: str | None = None):
    """The current learner's own records as a table (empty table when there are none)."""
    import pandas as pd

    learner = learner or current_learner()
    columns = {"course_id": "课程 / course", "lesson_id": "课次 / lesson", "score": "得分 / score", "max_score": "满分 / max",
               "passed": "合格 / passed", "hours": "学时 / hours", "completed_at": "完成时间 / completed"}
    frame = pd.DataFrame(_own_rows(ledger_url, learner), columns=list(columns) + ["learner_id"])
    return frame[list(columns) + ["learner_id"]].rename(columns=columns)


def show_my_records(ledger_url: str | None = None) -> None:
    from IPython.display import HTML, display

    learner = current_learner()
    frame = my_records(ledger_url, learner)
    head = f"<h2 class='pq-records-title'>{escape(t('hub.records_title'))} · {escape(learner)}</h2>"
    if frame.empty:
        display(HTML(head + f"<p class='pq-records-none'>{escape(t('hub.records_none'))}</p>"))
        return
    total = frame.iloc[:, 5].sum()
    display(HTML(head + frame.to_html(index=False, classes="pq-records") + f"<p class='pq-records-total'>{escape(t('hub.records_total', hours=f'{total:g}'))}</p>"))
