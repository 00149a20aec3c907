"""What a hub user finds in their home folder: pure text builders plus one writer.

Learners: their own `~/.jupyter/nbgrader_config.py` whose `CourseDirectory.student_id` is the hub
user name (nbgrader would otherwise use the unix login, which every demo user shares), the
formgrader switched off, the learner app `app.ipynb` (their landing page, rendered by Voilà),
`start.ipynb` and `my_records.ipynb` copied in. The instructor: an nbgrader config pointing at
the course root inside their home (formgrader refuses a course root outside the server's root),
the workbench `workbench.ipynb` and `instructor.ipynb`. Everyone: Voilà's settings and JupyterLab
in Chinese, no news pop-up (hub/frame.py). Existing notebooks are never overwritten (they may
hold the user's work), except the app notebooks, which are faces over the library.
"""
from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..files import atomic_write_text
from ..settings import settings
from .frame import APP_NOTEBOOK, APP_NOTEBOOKS, WORKBENCH_NOTEBOOK, lab_settings_files, page_config, server_config

LEARNER_NOTEBOOKS = (APP_NOTEBOOK, "start.ipynb", "my_records.ipynb")
INSTRUCTOR_NOTEBOOKS = (WORKBENCH_NOTEBOOK, "instructor.ipynb")


@dataclass(frozen=True)
class HomeSpec:
    home: Path
    user: str
    role: str  # "learner" or "instructor"
    course_id: str
    exchange: Path
    ignore: tuple[str, ...]
    grader_root: Path | None = None  # instructor only
    lang: str = "zh-CN"  # JupyterLab's locale
    lab_assignments: bool = False  # learners: keep nbgrader's Assignment List / Validate in JupyterLab (frame.server_config)


# Under the hub nbgrader talks to the exchange service (the spawner sets PARTYQUIZ_EXCHANGE_URL):
# the student is whoever the hub token belongs to, whatever this file says (partyquiz/exchange).
EXCHANGE_SERVICE_LINES = (
    "from partyquiz.exchange.hub import use_service_from_env\n"
    "use_service_from_env(c)\n"
)


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
        + EXCHANGE_SERVICE_LINES
    )


def instructor_nbgrader_config(spec: HomeSpec) -> str:
    # The same config GraderSite uses for the CLI and the library, so formgrader and batch
    # grading see one course. No student_id here: `collect` would filter by it.
    return (
        "# 由 partyquiz serve 生成 / written by partyquiz serve\n"
        "from partyquiz.grading.site import GraderSite\n"
        "c = get_config()  # noqa: F821\n"
        f"c.merge(GraderSite(root={str(spec.grader_root)!r}, exchange={str(spec.exchange)!r}, course_id={spec.course_id!r}).config())\n"
        + EXCHANGE_SERVICE_LINES
    )


def files_for(spec: HomeSpec) -> dict[str, str]:
    """Relative path → text, for every config file of this user."""
    files = lab_settings_files(spec.lang)  # JupyterLab in Chinese, no news pop-up
    # Voilà (template, culling, Chinese error text) for everyone; learners without instructor tools
    files[".jupyter/jupyter_server_config.json"] = json.dumps(server_config(spec.role, spec.lang, spec.lab_assignments), ensure_ascii=False)
    if spec.role == "instructor":
        files[".jupyter/nbgrader_config.py"] = instructor_nbgrader_config(spec)
    else:
        files[".jupyter/nbgrader_config.py"] = learner_nbgrader_config(spec)
        files[".jupyter/labconfig/page_config.json"] = json.dumps(page_config(spec.lab_assignments))
    return files


def prepare_home(spec: HomeSpec, notebooks: Path | None = None) -> None:
    notebooks = notebooks or settings().notebooks_dir
    spec.home.mkdir(parents=True, exist_ok=True)
    for rel, text in files_for(spec).items():
        atomic_write_text(spec.home / rel, text)  # config is ours: always current
    names = INSTRUCTOR_NOTEBOOKS if spec.role == "instructor" else LEARNER_NOTEBOOKS
    for name in names:
        source, target = notebooks / name, spec.home / name
        # The app notebooks are faces over the library, never the user's work: always the shipped copy.
        if source.exists() and (name in APP_NOTEBOOKS or not target.exists()):
            shutil.copyfile(source, target)
