"""What a hub user finds in their home folder: pure text builders plus one writer.

Learners: their own `~/.jupyter/nbgrader_config.py` whose `CourseDirectory.student_id` is the hub
user name (nbgrader would otherwise use the unix login, which every demo user shares), the
formgrader switched off, `start.ipynb` and `my_records.ipynb` copied in. The instructor: an
nbgrader config pointing at the course root inside their home (formgrader refuses a course root
outside the server's root), `instructor.ipynb`. Everyone: no JupyterLab news pop-up.
Existing notebooks are never overwritten: they may hold the user's work.
"""
from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..answers import atomic_write_text
from ..settings import settings

NOTEBOOKS = settings().root / "notebooks"
LEARNER_NOTEBOOKS = ("start.ipynb", "my_records.ipynb")
INSTRUCTOR_NOTEBOOKS = ("instructor.ipynb",)
# Learners never see the instructor's tools.
LEARNER_DISABLED_LAB = ["@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment"]
LEARNER_DISABLED_SERVER = ["nbgrader.server_extensions.formgrader"]


@dataclass(frozen=True)
class HomeSpec:
    home: Path
    user: str
    role: str  # "learner" or "instructor"
    course_id: str
    exchange: Path
    ignore: tuple[str, ...]
    grader_root: Path | None = None  # instructor only


def learner_nbgrader_config(spec: HomeSpec) -> str:
    return (
        "# 由 partyquiz serve 生成 / written by partyquiz serve\n"
        "import os\n"
        "c = get_config()  # noqa: F821\n"
        f"c.CourseDirectory.course_id = {spec.course_id!r}\n"
        "# 学员编号 = Hub 用户名（演示中所有人共用一个 unix 用户）/ student id = hub user name\n"
        f'c.CourseDirectory.student_id = os.environ.get("JUPYTERHUB_USER", {spec.user!r})\n'
        f"c.CourseDirectory.ignore = {list(spec.ignore)!r}\n"
        f"c.Exchange.root = {str(spec.exchange)!r}\n"
    )


def instructor_nbgrader_config(spec: HomeSpec) -> str:
    # The same config GraderSite uses for the CLI and the library, so formgrader and batch
    # grading see one course. No student_id here: `collect` would filter by it.
    return (
        "# 由 partyquiz serve 生成 / written by partyquiz serve\n"
        "from partyquiz.grading.site import GraderSite\n"
        "c = get_config()  # noqa: F821\n"
        f"c.merge(GraderSite(root={str(spec.grader_root)!r}, exchange={str(spec.exchange)!r}, course_id={spec.course_id!r}).config())\n"
    )


def files_for(spec: HomeSpec) -> dict[str, str]:
    """Relative path → text, for every config file of this user."""
    news = {"fetchNews": "false", "checkForUpdates": False}
    files = {".jupyter/lab/user-settings/@jupyterlab/apputils-extension/notification.jupyterlab-settings": json.dumps(news)}
    if spec.role == "instructor":
        files[".jupyter/nbgrader_config.py"] = instructor_nbgrader_config(spec)
    else:
        files[".jupyter/nbgrader_config.py"] = learner_nbgrader_config(spec)
        files[".jupyter/labconfig/page_config.json"] = json.dumps({"disabledExtensions": {k: True for k in LEARNER_DISABLED_LAB}})
        files[".jupyter/jupyter_server_config.json"] = json.dumps({"ServerApp": {"jpserver_extensions": {k: False for k in LEARNER_DISABLED_SERVER}}})
    return files


def prepare_home(spec: HomeSpec, notebooks: Path = NOTEBOOKS) -> None:
    spec.home.mkdir(parents=True, exist_ok=True)
    for rel, text in files_for(spec).items():
        atomic_write_text(spec.home / rel, text)  # config is ours: always current
    names = INSTRUCTOR_NOTEBOOKS if spec.role == "instructor" else LEARNER_NOTEBOOKS
    for name in names:
        source, target = notebooks / name, spec.home / name
        if source.exists() and not target.exists():
            shutil.copyfile(source, target)
