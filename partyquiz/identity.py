"""Who the learner is, inside their own Jupyter server."""
from __future__ import annotations

import getpass
import os


def current_learner() -> str:
    """PARTYQUIZ_LEARNER, else the hub user, else the unix login.

    The same order as the learner's nbgrader config (`CourseDirectory.student_id`), so the draw
    the widget shows is the draw the grader recomputes from the submission's student id.
    """
    for var in ("PARTYQUIZ_LEARNER", "JUPYTERHUB_USER"):
        value = os.environ.get(var)
        if value:
            return value
    return getpass.getuser()
