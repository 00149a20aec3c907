"""The learner's side of the exchange, only through nbgrader's exchange interface.

Configuration is loaded the way nbgrader's own Assignment List does it (the learner's
`~/.jupyter/nbgrader_config.py` and one in the home folder), and every class is the one
`ExchangeFactory` names, so a deployment that swaps the filesystem exchange for another
implementation (config `ExchangeFactory.fetch_assignment = …`, as the hub's exchange service does)
changes nothing here. A class the config names is imported by its name, without the factory: the
factory module imports nbgrader's folder exchange and with it the gradebook (SQLAlchemy's ORM),
≈ 30 MB of every learner's kernel that the service's classes never use (measured).
"""
from __future__ import annotations

import contextlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator


class ExchangeProblem(RuntimeError):
    """An exchange operation failed; the message is for the learner's page."""


@contextlib.contextmanager
def _cwd(folder: Path) -> Iterator[None]:
    old = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(old)


def load_learner_config(home: Path):
    """nbgrader's configuration as its Assignment List loads it: `nbgrader_config.py` / `.json` from
    `home` (the folder it runs in) first, then Jupyter's config path. Read with traitlets directly:
    nbgrader's own `NbGrader` app would import every nbgrader app (nbconvert, the gradebook …),
    ~40 MB of each learner's app kernel, for a config file (tests compare both readers)."""
    from jupyter_core.paths import jupyter_config_path
    from traitlets.config import Application

    reader = Application()
    with _cwd(home):
        reader.load_config_file("nbgrader_config", path=[str(home), *jupyter_config_path()])
    config = reader.config
    config.Exchange.assignment_dir = str(home)
    return config


FACTORY_TRAIT = {"List": "list", "FetchAssignment": "fetch_assignment", "Submit": "submit", "FetchFeedback": "fetch_feedback"}


def exchange_class(config, kind: str):
    """The class `ExchangeFactory` would give for `kind` ("List", "FetchAssignment", …)."""
    named = config.ExchangeFactory.get(FACTORY_TRAIT[kind]) if "ExchangeFactory" in config else None
    if named:
        from traitlets.utils.importstring import import_item

        return import_item(named) if isinstance(named, str) else named
    from nbgrader.exchange import ExchangeFactory  # nbgrader's own folder exchange

    return getattr(ExchangeFactory(config=config), FACTORY_TRAIT[kind])


@dataclass
class LearnerExchange:
    home: Path

    def __post_init__(self) -> None:
        self.home = Path(self.home).resolve()
        self.config = load_learner_config(self.home)

    @property
    def student_id(self) -> str:
        return str(self.config.CourseDirectory.get("student_id", "") or "")

    def _app(self, kind: str, assignment: str | None = None, **traits: Any):
        from nbgrader.auth import Authenticator
        from nbgrader.coursedir import CourseDirectory

        config = self.config.copy()
        for name, value in traits.items():
            section, trait = name.split("__")
            setattr(getattr(config, section), trait, value)
        coursedir = CourseDirectory(config=config)
        if assignment:
            coursedir.assignment_id = assignment
        cls = exchange_class(config, kind)
        app = cls(coursedir=coursedir, authenticator=Authenticator(config=config), config=config)
        app.log.setLevel(logging.ERROR)
        return app

    def _run(self, app, what: str):
        from nbgrader.exchange import ExchangeError

        with _cwd(self.home):
            try:
                return app.start()
            except ExchangeError as exc:
                raise ExchangeProblem(f"{what}: {exc}") from exc
            except (OSError, RuntimeError) as exc:
                raise ExchangeProblem(f"{what}: {exc}") from exc

    # --- what is there ---------------------------------------------------------------------
    def released(self) -> list[dict]:
        """Every released assignment, `status` released / fetched (nbgrader's list)."""
        return self._run(self._app("List"), "list") or []

    def submitted(self) -> list[dict]:
        """This learner's submissions, each assignment with its `submissions` (oldest first)."""
        return self._run(self._app("List", ExchangeList__cached=True), "list submitted") or []

    # --- doing -------------------------------------------------------------------------------
    def fetch(self, assignment: str) -> Path:
        app = self._app("FetchAssignment", assignment)
        app.replace_missing_files = True
        self._run(app, f"fetch {assignment}")
        return self.assignment_folder(assignment)

    def submit(self, assignment: str) -> None:
        self._run(self._app("Submit", assignment), f"submit {assignment}")

    def fetch_feedback(self, assignment: str) -> Path:
        self._run(self._app("FetchFeedback", assignment), f"fetch feedback {assignment}")
        return self.assignment_folder(assignment) / "feedback"

    def assignment_folder(self, assignment: str) -> Path:
        course = str(self.config.CourseDirectory.get("course_id", "") or "")
        if self.config.Exchange.get("path_includes_course", False) and course:
            return self.home / course / assignment
        return self.home / assignment
