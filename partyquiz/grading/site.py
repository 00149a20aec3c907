"""The nbgrader course (`grader/`) and its exchange, driven through nbgrader's public API.

Instructor side goes through `NbGraderAPI` (generate, release, collect, autograde); the learner
side (fetch, submit) through the exchange classes from `ExchangeFactory`, in-process, so that a
simulated cohort does not pay nbgrader's ≈3.5 s start-up per command.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from traitlets.config import Config

from ..errors import PartyquizError
from ..settings import ensure_venv_on_path, settings

COURSE_ID = "partyquiz"

log = logging.getLogger(__name__)

# nbgrader 0.9.6's Gradebook raises SQLAlchemy "not in session" warnings while it autogrades;
# they are harmless (the equivalence tests compare every score) and would bury the progress bar.
warnings.filterwarnings("ignore", message=r".*not in session, add operation along.*")


class NbgraderError(PartyquizError, RuntimeError):
    """nbgrader refused a step; the message holds its error and log."""


@dataclass
class GraderSite:
    root: Path = field(default_factory=lambda: settings().default_grader_root)
    exchange: Path | None = None
    db_url: str | None = None
    course_id: str = COURSE_ID
    extra: dict = field(default_factory=dict)
    # Under the hub: the exchange service (partyquiz/exchange); unset: nbgrader's folder exchange.
    exchange_url: str | None = field(default_factory=lambda: settings().exchange_url)

    def __post_init__(self) -> None:
        self.root = Path(self.root).resolve()
        self.exchange = Path(self.exchange).resolve() if self.exchange else self.root / "exchange"

    @property
    def uses_service(self) -> bool:
        return bool(self.exchange_url or self.extra.get("ServiceExchange", {}).get("url"))

    @property
    def gradebook_url(self) -> str:
        return self.db_url or f"sqlite:///{self.root / 'gradebook.db'}"

    @property
    def source(self) -> Path:
        return self.root / "source"

    def config(self, student_id: str | None = None) -> Config:
        c = Config()
        c.CourseDirectory.root = str(self.root)
        c.CourseDirectory.course_id = self.course_id
        c.CourseDirectory.db_url = self.gradebook_url
        # Lock files and damaged-file backups of the answer store are not course material.
        c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".*.lock", "*.damaged-*"]
        c.Exchange.root = str(self.exchange)
        c.Exchange.cache = str(self.root / ".exchange-cache")
        c.ExchangeCollect.check_owner = False  # one uid in the demo; see docs/deploy.md
        c.ExchangeCollect.update = True  # a newer resubmission replaces the collected one
        # the folder exchange (hub-less demo) collects without following links, with a size cap
        c.ExchangeFactory.collect = "partyquiz.exchange.folder.SafeFolderCollect"
        # Learner-added cells must never run while a quiz is graded (see grading/nbgrader_hooks.py).
        c.Autograde.sanitize_preprocessors = _sanitize_preprocessors()
        c.OverwriteCells.add_missing_cells = True  # a deleted test cell is put back and scored
        # The grading kernel runs on this machine only; its warning about unencrypted local TCP
        # would be printed once per submission into the instructor's terminal.
        c.Execute.extra_arguments = ["--IPKernelApp.log_level=ERROR", "--IPKernelApp.ignore_cwd=True"]
        # The grading kernel starts in a scratch folder holding the answers file and the
        # instructor's files only: nothing a learner sent can run there (grading/nbgrader_hooks.py).
        c.Autograde.autograde_preprocessors = _autograde_preprocessors()
        c.IsolatedExecute.course_root = str(self.root)
        c.DropLearnerAddedCells.course_root = str(self.root)
        c.LearnerTextAsText.course_root = str(self.root)
        # Learner Markdown reaches formgrader as text (LearnerTextAsText): its `formgrade` template
        # ignores sanitize_html. Kept for exports through nbconvert's own templates.
        c.HTMLExporter.sanitize_html = True
        if student_id:
            c.CourseDirectory.student_id = student_id
        if self.exchange_url:  # the service names the student from the hub token, not from student_id
            from ..exchange.hub import use_service

            use_service(c, self.exchange_url)
        for section, values in self.extra.items():
            for name, value in values.items():
                setattr(getattr(c, section), name, value)
        return c

    def prepare(self) -> None:
        ensure_venv_on_path()
        self.root.mkdir(parents=True, exist_ok=True)
        if self.uses_service:  # the exchange service holds the files: no shared folder at all
            return
        self.exchange.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(PermissionError):
            os.chmod(self.exchange, 0o777)  # nbgrader's folder exchange (hub-less demo) must be world-writable

    def api(self):
        # nbgrader's apps take about a second to import: GraderSite is also made where nothing
        # runs nbgrader (settings, hub set-up, nbgrader_config.py), so they load on first use
        from nbgrader.apps import NbGraderAPI
        from nbgrader.coursedir import CourseDirectory

        self.prepare()
        config = self.config()
        return NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)

    # --- instructor side -------------------------------------------------------------
    def generate_and_release(self, assignment: str) -> None:
        api = self.api()
        _check(api.generate_assignment(assignment, force=True), f"generate_assignment {assignment}")
        self.apply_lesson_deadline(assignment)
        with contextlib.suppress(NbgraderError):
            _check(api.unrelease(assignment), f"unrelease {assignment}")
        _check(api.release_assignment(assignment), f"release_assignment {assignment}")

    def apply_lesson_deadline(self, assignment: str) -> dt.datetime | None:
        """Make the lesson's `deadline` nbgrader's due date of `assignment`; returns the due date now set.

        The deadline comes from the generated quiz files (`<notebook>.quiz.json`), read as the
        exchange service reads them: the end of that day in Asia/Shanghai, stored as naive UTC as
        nbgrader stores due dates. Everything that marks work late reads that due date: both
        grading engines, the workbench and roll-in. A due date set some other way (formgrader,
        `nbgrader db assignment add --duedate`) is kept: the one written here last is remembered
        in `.partyquiz/duedates.json`, and only an empty due date or that one is replaced (so a
        changed or removed deadline is followed on the next release).
        """
        from nbgrader.api import Gradebook, MissingEntry

        from ..exchange.store import policy_of
        from ..files import atomic_write_text

        closes = policy_of(self.release_dir(assignment)).closes_at
        wanted = closes.astimezone(dt.timezone.utc).replace(tzinfo=None) if closes else None
        record_path = self.root / ".partyquiz" / "duedates.json"
        try:
            written = json.loads(record_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            written = {}
        with Gradebook(self.gradebook_url, self.course_id) as gb:
            try:
                row = gb.find_assignment(assignment)
            except MissingEntry:
                return None
            ours = written.get(assignment)
            if row.duedate is not None and (ours is None or row.duedate != dt.datetime.fromisoformat(ours)):
                log.info("%s keeps its due date %s (not set from the lesson's deadline)", assignment, row.duedate)
                return row.duedate
            if row.duedate != wanted:
                row.duedate = wanted
                gb.db.commit()
        if written.get(assignment) != (wanted.isoformat() if wanted else None):
            written[assignment] = wanted.isoformat() if wanted else None
            atomic_write_text(record_path, json.dumps(written, indent=0, sort_keys=True))
        return wanted

    def collect(self, assignment: str) -> list[str]:
        """Collect; returns what was skipped (links, devices, oversized submissions), one line each."""
        from ..exchange.archive import SKIPPED  # the log prefix only: no folder collect, no gradebook

        result = self.api().collect(assignment)
        _check(result, f"collect {assignment}")
        return [line.split(SKIPPED, 1)[1].strip() for line in (result.get("log") or "").splitlines() if SKIPPED in line]

    def release_dir(self, assignment: str) -> Path:
        return self.root / "release" / assignment

    # --- learner side ----------------------------------------------------------------
    def _exchange_app(self, kind: str, learner: str, workdir: Path):
        # nbgrader's exchange classes load on first use (see `api`)
        from nbgrader.auth import Authenticator
        from nbgrader.coursedir import CourseDirectory
        from nbgrader.exchange import ExchangeFactory

        self.prepare()
        config = self.config(student_id=learner)
        config.Exchange.assignment_dir = str(workdir)
        config.Exchange.cache = str(workdir / ".nbgrader-cache")
        coursedir = CourseDirectory(config=config)
        factory = ExchangeFactory(config=config)
        cls = getattr(factory, kind)
        return coursedir, cls(coursedir=coursedir, authenticator=Authenticator(config=config), config=config)

    def fetch(self, assignment: str, learner: str, workdir: Path) -> Path:
        """Fetch into `workdir/<assignment>` as the learner's own Jupyter would."""
        coursedir, app = self._exchange_app("FetchAssignment", learner, workdir)
        coursedir.assignment_id = assignment
        app.replace_missing_files = True
        _run_exchange(app, f"fetch {assignment} for {learner}")
        return workdir / assignment

    def fetch_feedback(self, assignment: str, learner: str, workdir: Path) -> Path:
        """Fetch released feedback into `workdir/<assignment>/feedback/<timestamp>/` as a learner would."""
        coursedir, app = self._exchange_app("FetchFeedback", learner, workdir)
        coursedir.assignment_id = assignment
        _run_exchange(app, f"fetch_feedback {assignment} for {learner}")
        return workdir / assignment / "feedback"

    def submit(self, assignment: str, learner: str, workdir: Path) -> None:
        coursedir, app = self._exchange_app("Submit", learner, workdir)
        coursedir.assignment_id = assignment
        _run_exchange(app, f"submit {assignment} for {learner}")


def _sanitize_preprocessors() -> list:
    # config() runs in every process that makes a course config; nbgrader's converters and our
    # preprocessors (which import nbgrader.preprocessors) load only when the config is built
    from nbgrader.converters.autograde import Autograde

    from .nbgrader_hooks import DropLearnerAddedCells, FillEssayCells, LearnerTextAsText

    default = list(Autograde.class_traits()["sanitize_preprocessors"].default())
    # drop learner code first; learner Markdown becomes text once OverwriteCells has put back the
    # instructor's cells; then fill essays (escaped by essays.py)
    at = default.index(next(p for p in default if p.__name__ == "OverwriteCells")) + 1
    return [default[0], DropLearnerAddedCells, *default[1:at], LearnerTextAsText, FillEssayCells, *default[at:]]


def _autograde_preprocessors() -> list:
    # as in _sanitize_preprocessors: nbgrader's converters load when the config is built
    from nbgrader.converters.autograde import Autograde

    from .nbgrader_hooks import IsolatedExecute, SanitizeLearnerOutputs

    default = list(Autograde.class_traits()["autograde_preprocessors"].default())
    out = []
    for p in default:
        out += [IsolatedExecute, SanitizeLearnerOutputs] if p.__name__ == "Execute" else [p]
    return out


def _check(result: dict, what: str) -> None:
    if not result.get("success", False):
        raise NbgraderError(f"nbgrader {what} failed:\n{result.get('error') or ''}\n{result.get('log') or ''}")


def _run_exchange(app, what: str) -> None:
    from nbgrader.exchange import ExchangeError  # already loaded by _exchange_app; kept beside its use

    with _quiet(app):
        try:
            app.start()
        except ExchangeError as exc:
            raise NbgraderError(f"nbgrader {what} failed: {exc}") from exc


@contextlib.contextmanager
def _quiet(app) -> Iterator[None]:
    level = app.log.level
    app.log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        app.log.setLevel(level)
