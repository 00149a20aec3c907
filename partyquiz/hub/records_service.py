"""`records`: a JupyterHub service that answers "my records" for whoever asks, and no one else.

Why a service: a learner's 我的学习档案 must show only their own rows. If the learner's kernel
read the ledger itself it would need the ledger's credentials, and could read everyone's. Here
only the service (run by the hub) holds `PARTYQUIZ_LEDGER_URL`; the learner's server calls
`GET /services/records/me` with its own hub token (granted `access:services!service=records`),
the hub tells the service who the token belongs to, and the service returns that user's rows.
There is no parameter that names a learner.

Beside the rows and the roster entry (without the ID number) it answers with the learner's
standing (hours this year against their requirement, offline activities included, only the forms
the requirement counts) and their 积分, computed as the exports compute them, all from one read
of the ledger (`partyquiz.app.records.standing_for`).

Run by the hub as a managed service: `python -m partyquiz.hub.records_service` (see
partyquiz/hub/jupyterhub_config.py and deploy/unix/jupyterhub_config.py).
"""
from __future__ import annotations

import json
from urllib.parse import urlparse

from jupyterhub.services.auth import HubAuthenticated
from jupyterhub.utils import url_path_join
from tornado import ioloop, web

from ..app.records import standing_for
from ..settings import settings


class MyRecordsHandler(HubAuthenticated, web.RequestHandler):
    @web.authenticated
    def get(self):
        learner = self.current_user["name"]
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        url = self.settings["ledger_url"]
        # one read of the ledger for the rows, the roster entry, the hours and the points
        self.write(json.dumps({"learner": learner, "records": [], "person": None, **standing_for(url, learner)},
                              ensure_ascii=False, default=str))


def make_app(ledger_url: str, prefix: str) -> web.Application:
    return web.Application([(url_path_join(prefix, "me"), MyRecordsHandler)], ledger_url=ledger_url)


def main() -> None:
    s = settings()  # the hub gives this service PARTYQUIZ_LEDGER_URL and the JUPYTERHUB_SERVICE_* values
    url = urlparse(s.service_url or "http://127.0.0.1:10101")
    app = make_app(s.ledger_url, s.service_prefix or "/services/records/")
    app.listen(url.port, url.hostname)
    ioloop.IOLoop.current().start()


if __name__ == "__main__":
    main()
