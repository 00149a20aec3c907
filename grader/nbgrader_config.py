"""nbgrader configuration of the partyquiz course root (this folder).

The settings come from `partyquiz.grading.site.GraderSite.config()`, the same object the
library uses, so `nbgrader …` on the command line, formgrader and `partyquiz grade` agree.
Override the gradebook with PARTYQUIZ_GRADEBOOK_URL (e.g. postgresql://…) and the exchange with
PARTYQUIZ_EXCHANGE (docs/configuration.md lists every setting).
"""
from pathlib import Path

from partyquiz.grading.site import GraderSite
from partyquiz.settings import settings

c = get_config()  # noqa: F821 (provided by traitlets when nbgrader loads this file)
s = settings()
c.merge(GraderSite(root=Path(__file__).resolve().parent, exchange=s.exchange, db_url=s.gradebook_url).config())
