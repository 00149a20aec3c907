"""The demo spawner: every hub user is a folder under var/hub/home/, all on one unix uid.

SimpleLocalProcessSpawner gives no isolation between users (see docs/deploy.md for production).
Before each start the user's home is (re)prepared: nbgrader config with their student id,
notebooks copied in, Voilà configured; learners land on the learner app, instructors on the
workbench (hub/frame.py).
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from jupyterhub.spawner import SimpleLocalProcessSpawner
from traitlets import Unicode

from .frame import landing_path, server_env
from .home import HomeSpec, prepare_home


class PartyquizSpawner(SimpleLocalProcessSpawner):
    settings_file = Unicode(config=True, help="hub.json written by partyquiz serve")

    def _settings(self) -> dict:
        return json.loads(Path(self.settings_file).read_text(encoding="utf-8"))

    def _role(self, settings: dict) -> str:
        return "instructor" if self.user.name in settings["instructors"] else "learner"

    async def start(self):
        settings = self._settings()
        role = self._role(settings)
        spec = HomeSpec(
            home=Path(self.home_dir),
            user=self.user.name,
            role=role,
            course_id=settings["course_id"],
            exchange=Path(settings["exchange"]),
            ignore=tuple(settings["ignore"]),
            grader_root=Path(settings["grader_root"]) if role == "instructor" else None,
            lang=settings.get("lang", "zh-CN"),
            # The demo hub keeps JupyterLab's Assignment List for learners unless hub.json says
            # otherwise: its end-to-end tests still drive that older path. Production role configs
            # (frame.write_role_configs) leave it off: the learner app does its work.
            lab_assignments=bool(settings.get("learner_lab_assignments", True)),
        )
        prepare_home(spec, Path(settings["notebooks"]))
        self.default_url = landing_path(role)  # the learner app or the workbench, rendered by Voilà
        return await super().start()

    def get_env(self):
        env = super().get_env()
        settings = self._settings()
        bindir = str(Path(sys.executable).parent)
        # nbgrader calls `alembic` from PATH; kernels must import this very partyquiz.
        env["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "/usr/bin:/bin")
        env["PARTYQUIZ_LANG"] = settings["lang"]
        env.update(server_env(env.get("JUPYTER_PATH")))  # our Voilà template; fewer malloc arenas
        # Learners get the records service, never the ledger itself.
        env["PARTYQUIZ_RECORDS_URL"] = f"http://127.0.0.1:{settings['records_port']}/services/records/me"
        # Everyone's nbgrader (Assignment List, learner app, grading) talks to the exchange service.
        env["PARTYQUIZ_EXCHANGE_URL"] = f"http://127.0.0.1:{settings['exchange_port']}/services/exchange/"
        if self._role(settings) == "instructor":
            env["PARTYQUIZ_LEDGER_URL"] = settings["ledger_url"]
            env["PARTYQUIZ_GRADER_ROOT"] = settings["grader_root"]
            env["PARTYQUIZ_EXCHANGE"] = settings["exchange"]
            env["PARTYQUIZ_ROSTER"] = settings["roster_file"]
            if settings.get("courses_dir"):  # the workbench lists and publishes the hub's courses
                env["PARTYQUIZ_COURSES"] = settings["courses_dir"]
        return env
