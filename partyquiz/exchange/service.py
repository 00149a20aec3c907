"""`exchange`: a JupyterHub service that moves assignments, submissions and feedback.

Why a service and not a shared folder: in a folder anyone who can write can write as anyone
(issue 13: a learner replaced another's submission with a future-dated one; on Kubernetes all
pods share one uid). Here every call carries the caller's hub token; the hub tells the service
who it belongs to, and that name, never a folder name or a learner's config, is the student id.
Times come from this server's clock. Every attempt is kept. Only members of the hub group
`instructors` may release, collect and return feedback. Uploads are bounded (bytes and files).

REST, under the service prefix (`/services/exchange/`), all JSON or application/zip:

    GET    api/courses/<c>/assignments                         released assignments
    GET    api/courses/<c>/assignments/<a>                     the release as a zip (fetch)
    PUT    api/courses/<c>/assignments/<a>                     release (instructors)
    DELETE api/courses/<c>/assignments/<a>                     unrelease (instructors)
    POST   api/courses/<c>/assignments/<a>/submissions         submit as the caller
    GET    api/courses/<c>/assignments/<a>/submissions         the caller's own attempts
    GET    api/courses/<c>/assignments/<a>/collect             every student's attempts (instructors)
    GET    api/courses/<c>/assignments/<a>/submissions/<s>/<t> one attempt as a zip (instructors)
    PUT    api/courses/<c>/assignments/<a>/feedback/<s>/<t>    feedback for an attempt (instructors)
    GET    api/courses/<c>/assignments/<a>/feedback/<s>/<t>    that feedback (instructors, or s itself)

Run by the hub as a managed service: `python -m partyquiz.exchange.service` (see
partyquiz/hub/jupyterhub_config.py and docs/deploy.md).
"""
from __future__ import annotations

import json
import logging
import time
from urllib.parse import quote, urlparse

from jupyterhub.services.auth import HubAuth, check_scopes
from tornado import httpclient, httpserver, ioloop, web

from .store import Limits, Store, StoreError, check_id

log = logging.getLogger("partyquiz.exchange")
INSTRUCTORS_GROUP = "instructors"
GROUP_CACHE_SECONDS = 30


class Groups:
    """A user's hub groups, asked with the service's own token (scope read:users:groups), cached briefly."""

    def __init__(self, hub_auth: HubAuth):
        self.hub_auth = hub_auth
        self._cache: dict[str, tuple[float, set[str]]] = {}

    async def of(self, name: str) -> set[str]:
        hit = self._cache.get(name)
        if hit and time.monotonic() - hit[0] < GROUP_CACHE_SECONDS:
            return hit[1]
        url = f"{self.hub_auth.api_url.rstrip('/')}/users/{quote(name, safe='')}"
        response = await httpclient.AsyncHTTPClient().fetch(
            url, headers={"Authorization": f"token {self.hub_auth.api_token}"}, raise_error=False)
        groups = set(json.loads(response.body).get("groups", [])) if response.code == 200 else set()
        self._cache[name] = (time.monotonic(), groups)
        return groups


class ApiHandler(web.RequestHandler):
    """Every request: who is calling (from the token alone), and are they an instructor."""

    caller: str = ""

    @property
    def store(self) -> Store:
        return self.settings["store"]

    async def prepare(self):
        hub_auth: HubAuth = self.settings["hub_auth"]
        token = hub_auth.get_token(self, in_cookie=False)
        model = await hub_auth.user_for_token(token, sync=False) if token else None
        if not model or model.get("kind", "user") != "user":
            raise web.HTTPError(403, "a hub user's token is required")
        if hub_auth.access_scopes and not check_scopes(hub_auth.access_scopes, set(model.get("scopes", []))):
            raise web.HTTPError(403, "this token may not use the exchange")
        self.caller = model["name"]

    async def is_instructor(self) -> bool:
        # asked only where it matters: a learner's submit costs the hub one token check, not two calls
        return self.settings["instructors_group"] in await self.settings["groups"].of(self.caller)

    async def require_instructor(self) -> None:
        if not await self.is_instructor():
            raise web.HTTPError(403, "only instructors may do this")

    def write_error(self, status_code, **kwargs):
        exc = kwargs.get("exc_info", (None, None))[1]
        message = getattr(exc, "log_message", None) or self._reason
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(json.dumps({"error": message}, ensure_ascii=False))

    def send_json(self, doc) -> None:
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(doc, ensure_ascii=False))

    def send_zip(self, data: bytes) -> None:
        self.set_header("Content-Type", "application/zip")
        self.set_header("Cache-Control", "no-store")
        self.finish(data)

    def run(self, fn, *args):
        try:
            return fn(*args)
        except StoreError as exc:
            raise web.HTTPError(exc.status, str(exc)) from None


class AssignmentsHandler(ApiHandler):
    def get(self, course):
        self.send_json({"assignments": self.run(self.store.released, course)})


class AssignmentHandler(ApiHandler):
    def get(self, course, assignment):
        self.send_zip(self.run(self.store.released_zip, course, assignment))

    async def put(self, course, assignment):
        await self.require_instructor()
        files = self.run(self.store.release, course, assignment, self.request.body)
        log.info("%s released %s/%s (%d files)", self.caller, course, assignment, len(files))
        self.send_json({"files": files})

    async def delete(self, course, assignment):
        await self.require_instructor()
        self.send_json({"removed": self.run(self.store.unrelease, course, assignment)})


class SubmissionsHandler(ApiHandler):
    def post(self, course, assignment):
        # The student is the caller. There is no parameter that could name anyone else.
        skipped = _skipped_header(self.request.headers.get("X-Partyquiz-Skipped", ""))
        meta = self.run(self.store.submit, course, assignment, self.caller, self.request.body, skipped)
        log.info("%s submitted %s/%s at %s", self.caller, course, assignment, meta["timestamp"])
        released = next((a["notebooks"] for a in self.store.released(course) if a["assignment_id"] == assignment), [])
        self.send_json({**meta, "released_notebooks": released})

    def get(self, course, assignment):
        self.send_json({"student": self.caller, "attempts": self.run(self.store.attempts, course, assignment, self.caller)})


class CollectHandler(ApiHandler):
    async def get(self, course, assignment):
        await self.require_instructor()
        students = self.run(self.store.students, course, assignment)
        self.send_json({"students": {s: self.run(self.store.attempts, course, assignment, s) for s in students}})


class AttemptHandler(ApiHandler):
    async def get(self, course, assignment, student, attempt):
        await self.require_instructor()
        self.send_zip(self.run(self.store.attempt_zip, course, assignment, student, attempt))


class FeedbackHandler(ApiHandler):
    async def put(self, course, assignment, student, attempt):
        await self.require_instructor()
        self.send_json({"files": self.run(self.store.release_feedback, course, assignment, student, attempt, self.request.body)})

    async def get(self, course, assignment, student, attempt):
        if student != self.caller and not await self.is_instructor():
            raise web.HTTPError(403, "feedback of another learner")
        self.send_zip(self.run(self.store.feedback_zip, course, assignment, student, attempt))


def _skipped_header(text: str) -> list:
    try:
        value = json.loads(text) if text else []
        return [[str(a)[:200], str(b)[:50]] for a, b in value][:100]
    except (ValueError, TypeError):
        return []


def make_app(store: Store, prefix: str, hub_auth: HubAuth, instructors_group: str = INSTRUCTORS_GROUP) -> web.Application:
    seg = r"([^/]+)"
    base = prefix.rstrip("/") + "/api/courses/" + seg + "/assignments"
    routes = [
        (base, AssignmentsHandler),
        (base + "/" + seg, AssignmentHandler),
        (base + "/" + seg + "/submissions", SubmissionsHandler),
        (base + "/" + seg + "/collect", CollectHandler),
        (base + "/" + seg + "/submissions/" + seg + "/" + seg, AttemptHandler),
        (base + "/" + seg + "/feedback/" + seg + "/" + seg, FeedbackHandler),
    ]
    return web.Application(routes, store=store, hub_auth=hub_auth, groups=Groups(hub_auth),
                           instructors_group=instructors_group)


def _bind_address(host: str | None) -> str:
    """An IP address is bound as given; a name (`hub` in Kubernetes) means every interface of this pod."""
    import ipaddress

    try:
        ipaddress.ip_address(host or "")
        return host
    except ValueError:
        return "localhost" if host == "localhost" else ""


def main() -> None:
    from ..settings import settings

    s = settings()
    logging.basicConfig(level=logging.INFO, format="[exchange %(asctime)s] %(message)s")
    if s.exchange_data is None:
        raise SystemExit("PARTYQUIZ_EXCHANGE_DATA is not set: where should the exchange keep its files?")
    prefix = s.service_prefix or "/services/exchange/"
    url = urlparse(s.service_url or "http://127.0.0.1:10102")
    limits = Limits(max_bytes=s.exchange_max_bytes or Limits.max_bytes)
    store = Store(s.exchange_data, limits)
    hub_auth = HubAuth(cache_max_age=300)  # the hub's answer for a token is kept 5 minutes
    app = make_app(store, prefix, hub_auth, s.instructors_group or INSTRUCTORS_GROUP)
    server = httpserver.HTTPServer(app, max_body_size=limits.max_bytes + (1 << 20))
    server.listen(url.port, _bind_address(url.hostname))
    log.info("exchange service on %s, data in %s", url.geturl(), store.root)
    ioloop.IOLoop.current().start()


if __name__ == "__main__":
    main()
