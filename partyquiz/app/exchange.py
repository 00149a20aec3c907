"""The learner's side of the exchange: the one nbgrader's configuration selects.

Configuration is loaded the way nbgrader's own Assignment List does it (the learner's
`~/.jupyter/nbgrader_config.py` and one in the home folder), and the exchange is the one
`ExchangeFactory` names, so a deployment that swaps the filesystem exchange for another
implementation (config `ExchangeFactory.fetch_assignment = …`) changes nothing here.

- The hub's exchange service (its classes named, as `use_service_from_env` does): the app calls
  `exchange.learner.ServiceLearner` itself, the code nbgrader's classes for the service wrap,
  with the settings those classes would take from the same config. nbgrader's exchange interface
  is never imported: ≈ 11 MB of every learner's kernel (measured; tests compare both paths).
- Any other exchange: through nbgrader's classes. A class the config names is imported by its
  name, without the factory: the factory module imports nbgrader's folder exchange and with it
  the gradebook (SQLAlchemy's ORM, ≈ 30 MB, measured).
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


def names_service_classes(config) -> bool:
    """Whether the config gives every learner operation to the exchange service's classes."""
    from ..exchange import CLASSES, MODULE

    named = config.ExchangeFactory if "ExchangeFactory" in config else {}
    return all(named.get(trait) == f"{MODULE}.{CLASSES[trait]}" for trait in FACTORY_TRAIT.values())


def _trait(config, name: str, sections: tuple[str, ...], default: Any = None) -> Any:
    """A trait's configured value as traitlets resolves it for a class whose MRO is `sections`
    (most specific first): the most specific section that sets it."""
    for section in sections:
        if section in config and name in config[section]:
            return config[section][name]
    return default


# The service classes' MROs (nbgrader_exchange): where their traits may be configured
_SERVICE = ("ServiceExchange", "Exchange")
_SUBMIT = ("ServiceSubmit", "ServiceExchange", "ExchangeSubmit", "Exchange")


def service_learner(config, home: Path):
    """`ServiceLearner` with what nbgrader's service classes would take from `config`."""
    from ..exchange.archive import DEFAULT_MAX_BYTES
    from ..exchange.client import ExchangeClient
    from ..exchange.learner import NBGRADER_IGNORE, ServiceLearner
    from ..settings import settings

    s = settings()
    client = ExchangeClient(_trait(config, "url", _SERVICE) or s.exchange_url or "",
                            _trait(config, "token", _SERVICE) or s.hub_api_token or "")
    return ServiceLearner(
        client, str(_trait(config, "course_id", ("CourseDirectory",), "") or ""), home,
        path_includes_course=bool(_trait(config, "path_includes_course", _SERVICE, False)),
        max_bytes=int(_trait(config, "max_bytes", _SERVICE) or s.exchange_max_bytes or DEFAULT_MAX_BYTES),
        ignore=tuple(_trait(config, "ignore", ("CourseDirectory",), NBGRADER_IGNORE)))


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
        # the hub's exchange service, without nbgrader's interface; None: through nbgrader's classes
        self.service = service_learner(self.config, self.home) if names_service_classes(self.config) else None

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

    def _guarded(self, what: str, call):
        """One exchange operation, run in the learner's home; a failure becomes an `ExchangeProblem`
        whose message the page shows."""
        from ..exchange.archive import ArchiveError

        if self.service:
            errors: tuple = (OSError, RuntimeError, ArchiveError)  # ServiceError is a RuntimeError
        else:
            from nbgrader.exchange import ExchangeError

            errors = (ExchangeError, OSError, RuntimeError)
        with _cwd(self.home):
            try:
                return call()
            except errors as exc:
                raise ExchangeProblem(f"{what}: {exc}") from exc

    def _run(self, app, what: str):
        return self._guarded(what, app.start)

    # --- what is there ---------------------------------------------------------------------
    def released(self) -> list[dict]:
        """Every released assignment, `status` released / fetched (nbgrader's list)."""
        if self.service:
            return self._guarded("list", self.service.listing_released)
        return self._run(self._app("List"), "list") or []

    def submitted(self) -> list[dict]:
        """This learner's submissions, each assignment with its `submissions` (oldest first)."""
        if self.service:
            return self._guarded("list submitted", self.service.listing_submitted)
        return self._run(self._app("List", ExchangeList__cached=True), "list submitted") or []

    # --- doing -------------------------------------------------------------------------------
    def fetch(self, assignment: str) -> Path:
        """The assignment into the learner's folder; a file the learner deleted comes back."""
        if self.service:
            self._guarded(f"fetch {assignment}", lambda: self.service.fetch(assignment, replace_missing_files=True))
        else:
            app = self._app("FetchAssignment", assignment)
            app.replace_missing_files = True
            self._run(app, f"fetch {assignment}")
        return self.assignment_folder(assignment)

    def submit(self, assignment: str) -> None:
        if self.service:
            strict = bool(_trait(self.config, "strict", _SUBMIT, False))
            self._guarded(f"submit {assignment}", lambda: self.service.submit(assignment, strict=strict))
        else:
            self._run(self._app("Submit", assignment), f"submit {assignment}")

    def fetch_feedback(self, assignment: str) -> Path:
        if self.service:
            self._guarded(f"fetch feedback {assignment}", lambda: self.service.fetch_feedback(assignment))
        else:
            self._run(self._app("FetchFeedback", assignment), f"fetch feedback {assignment}")
        return self.assignment_folder(assignment) / "feedback"

    def assignment_folder(self, assignment: str) -> Path:
        if self.service:
            return self.service.local_assignment(assignment)
        course = str(self.config.CourseDirectory.get("course_id", "") or "")
        if self.config.Exchange.get("path_includes_course", False) and course:
            return self.home / course / assignment
        return self.home / assignment
