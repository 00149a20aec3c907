"""A local JupyterHub for the whole loop on one machine: `partyquiz serve`.

`prepare_hub` lays out var/hub/ (homes, the instructor's nbgrader course, the exchange, hub.json,
generated passwords), builds every course under courses/ and releases it through the exchange.
`start_hub` runs JupyterHub with the project's own configurable-http-proxy; `serve` does both,
prints the passwords and waits for Ctrl-C, after which no process it started remains.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..files import atomic_write_text
from ..i18n import t
from ..settings import settings

# .auth (JupyterHub's Authenticator) and .process load where they are used: the instructor's
# workbench imports this package (dashboard) in a fresh Voilà kernel on every page open.

def default_hub_dir() -> Path:
    return settings().var_dir / "hub"


def default_proxy() -> Path:
    """The configurable-http-proxy `make` installs inside the project (npm)."""
    return settings().root / "node_modules" / ".bin" / "configurable-http-proxy"


CONFIG_FILE = Path(__file__).with_name("jupyterhub_config.py")
INSTRUCTOR = "instructor"


@dataclass
class HubSetup:
    """Where everything lives; every path under `hub_dir` (git-ignored var/)."""

    hub_dir: Path = field(default_factory=default_hub_dir)  # settings are read when a setup is made, not at import
    port: int = 8000
    learners: int = 5
    roster_file: Path | None = None
    courses: list[Path] = field(default_factory=lambda: settings().course_folders())
    ledger_url: str | None = None
    lang: str = "zh-CN"
    instructor: str = INSTRUCTOR
    # more instructors (group `instructors`): they share the first one's course root, gradebook
    # and ledger, and mark the same essay queue (first save wins); formgrader is the first's
    co_instructors: tuple[str, ...] = ()
    proxy: Path = field(default_factory=default_proxy)
    notebooks: Path = field(default_factory=lambda: settings().notebooks_dir)

    def __post_init__(self) -> None:
        self.hub_dir = Path(self.hub_dir).resolve()

    @property
    def home(self) -> Path:
        return self.hub_dir / "home"

    @property
    def instructors(self) -> list[str]:
        return [self.instructor, *self.co_instructors]

    @property
    def grader_root(self) -> Path:
        # Inside the instructor's home: formgrader refuses a course root outside the server root.
        return self.home / self.instructor / "grader"

    @property
    def exchange(self) -> Path:
        return self.hub_dir / "exchange"

    @property
    def settings_file(self) -> Path:
        return self.hub_dir / "hub.json"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def ledger(self) -> str:
        return self.ledger_url or settings().ledger_url  # the one default ledger (CLI, demo and hub alike)

    def site(self):
        from ..grading.site import GraderSite

        return GraderSite(root=self.grader_root, exchange=self.exchange)


@dataclass
class PreparedHub:
    setup: HubSetup
    passwords: dict[str, str]
    learners: list  # model.Learner
    assignments: list[str]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load_learners(setup: HubSetup) -> list:
    """The roster file when given (issue 7's reader), else a simulated roster."""
    if setup.roster_file is not None:
        from ..records.roster import load_roster

        return list(load_roster(setup.roster_file))
    from ..simulate import make_roster

    return make_roster(setup.learners)


def release_courses(setup: HubSetup, say: Callable[[str], None] = print) -> list[str]:
    """Build every course into the instructor's nbgrader source folder and release it."""
    from ..authoring import load_course
    from ..build import build_course

    site = setup.site()
    site.prepare()
    released = []
    for folder in setup.courses:
        course = load_course(folder)
        for built in build_course(course, site.source):
            site.generate_and_release(built.name)
            released.append(built.name)
            say(t("hub.released", assignment=built.name))
    return released


def _courses_dir(courses: list[Path]) -> Path:
    """The one folder holding the released courses (the workbench's courses/); the project's when they differ."""
    parents = {Path(c).resolve().parent for c in courses}
    return parents.pop() if len(parents) == 1 else settings().courses_dir


def prepare_hub(setup: HubSetup, say: Callable[[str], None] = print) -> PreparedHub:
    for folder in (setup.hub_dir, setup.home, setup.exchange):
        folder.mkdir(parents=True, exist_ok=True)
    learners = load_learners(setup)
    ids = [p.id.lower() for p in learners]  # hub names are lower-case
    for name in setup.instructors:
        if name in ids:
            raise ValueError(t("hub.instructor_clash", name=name))
    assignments = release_courses(setup, say)
    from ..exchange.hub import publish_releases

    publish_releases(setup.site(), setup.hub_dir / "exchange-service", assignments)  # learners fetch from the service
    from ..records.roster import sync_to_gradebook, write_roster

    sync_to_gradebook(learners, setup.site().gradebook_url)  # names in formgrader, not just ids
    roster_file = setup.hub_dir / "roster.csv"
    write_roster(learners, roster_file, include_id_numbers=False)  # the hub never needs ID numbers
    site = setup.site()
    settings = {
        "hub_dir": str(setup.hub_dir),
        "port": setup.port,
        "hub_port": free_port(),
        "api_port": free_port(),
        "records_port": free_port(),
        "exchange_port": free_port(),
        "exchange_data": str(setup.hub_dir / "exchange-service"),
        "proxy": str(setup.proxy),
        "instructors": setup.instructors,
        "learners": ids,
        "course_id": site.course_id,
        "exchange": str(setup.exchange),
        "ignore": list(site.config().CourseDirectory.ignore),
        "grader_root": str(setup.grader_root),
        "ledger_url": setup.ledger(),
        "roster_file": str(roster_file),
        "notebooks": str(setup.notebooks),
        # the folder the workbench lists courses from: where the released courses live
        "courses_dir": str(_courses_dir(setup.courses)),
        "lang": setup.lang,
    }
    atomic_write_text(setup.settings_file, json.dumps(settings, ensure_ascii=False, indent=1))
    secret = setup.hub_dir / "jupyterhub_cookie_secret"
    if not secret.exists():
        fd = os.open(secret, os.O_WRONLY | os.O_CREAT, 0o600)
        os.write(fd, os.urandom(32).hex().encode())
        os.close(fd)
    os.chmod(secret, 0o600)  # JupyterHub refuses a secret others can read
    from .auth import generate_passwords, write_password_file

    passwords = generate_passwords([*setup.instructors, *ids])
    write_password_file(setup.hub_dir / "passwords.json", passwords)
    return PreparedHub(setup, passwords, learners, assignments)


def start_hub(setup: HubSetup):
    from .process import HubProcess

    if not setup.proxy.exists():
        raise FileNotFoundError(t("hub.no_proxy", path=setup.proxy))
    bindir = Path(sys.executable).parent
    env = dict(os.environ)
    env["PATH"] = f"{bindir}{os.pathsep}{env.get('PATH', '')}"
    env["PARTYQUIZ_HUB_SETTINGS"] = str(setup.settings_file)
    argv = [str(bindir / "jupyterhub"), "-f", str(CONFIG_FILE)]
    hub = HubProcess(argv, env, setup.hub_dir, setup.hub_dir / "jupyterhub.log", setup.url)
    hub.start()
    try:
        hub.wait_ready()
    except BaseException:
        hub.stop(grace=10)
        raise
    return hub


def print_passwords(prepared: PreparedHub) -> None:
    from rich.console import Console
    from rich.table import Table

    names = {p.id.lower(): p.name for p in prepared.learners}
    table = Table(title=t("hub.passwords_title"))
    for column in ("hub.col_user", "hub.col_name", "hub.col_role", "hub.col_password"):
        table.add_column(t(column))
    for user, password in prepared.passwords.items():
        role = t("hub.role_instructor") if user in prepared.setup.instructors else t("hub.role_learner")
        table.add_row(user, names.get(user, ""), role, password)
    Console().print(table)


def serve(setup: HubSetup, wait: bool = True) -> None:
    """Prepare, start, print how to log in, then run until Ctrl-C (or SIGTERM)."""
    prepared = prepare_hub(setup)
    hub = start_hub(setup)

    def _terminate(signum, frame):  # SIGTERM behaves like Ctrl-C
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        print_passwords(prepared)
        print(t("hub.ready", url=setup.url, log=setup.hub_dir / "jupyterhub.log"), flush=True)
        print(t("hub.hint"), flush=True)
        while wait and hub.proc.poll() is None:
            hub.remember_children()  # keep the list of processes to clean up current
            try:
                hub.proc.wait(2)
            except Exception:  # subprocess.TimeoutExpired: poll again
                pass
    except KeyboardInterrupt:
        pass
    finally:
        print(t("hub.stopping"), flush=True)
        hub.stop()
        signal.signal(signal.SIGTERM, previous)
        print(t("hub.stopped"), flush=True)
