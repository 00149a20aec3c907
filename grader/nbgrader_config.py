"""nbgrader configuration of the partyquiz course root (this folder).

The settings come from `partyquiz.grading.site.GraderSite.config()`, the same object the
library uses, so `nbgrader …` on the command line, formgrader and `partyquiz grade` agree.
Override the gradebook with PARTYQUIZ_DB_URL (e.g. postgresql://…) and the exchange with
PARTYQUIZ_EXCHANGE.
"""
import os
from pathlib import Path

from partyquiz.grading.site import GraderSite

c = get_config()  # noqa: F821 (provided by traitlets when nbgrader loads this file)
c.merge(
    GraderSite(
        root=Path(__file__).resolve().parent,
        exchange=os.environ.get("PARTYQUIZ_EXCHANGE") or None,
        db_url=os.environ.get("PARTYQUIZ_DB_URL") or None,
    ).config()
)
