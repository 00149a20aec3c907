"""`exchange`: a JupyterHub service that moves assignments, submissions and feedback.

Why a service and not a shared folder: in a folder anyone who can write can write as anyone
(issue 13: a learner replaced another's submission with a future-dated one; on Kubernetes all
pods share one uid). Here every call carries the caller's hub token; the hub tells the service
who it belongs to, and that name, never a folder name or a learner's config, is the student id.
Times come from this server's clock. Every attempt is kept. Only members of the hub group
`instructors` may release, collect and return feedback. Uploads are bounded (bytes and files per
upload, bytes per learner, the quiz's attempts and deadline: see store.py).

The caller is known before the body is read (issue 13, H3): handlers stream the body, `prepare()`
checks the token (and, for a submit, whether the caller may submit at all) and only then raises
the body limit from a small default to what that call may send; a stranger's upload is refused
with 403 without being read. Unpacking and writing run in a thread pool, so one learner's upload
never stalls the others' calls. The hub's answer for a token is kept `AUTH_CACHE_SECONDS` (the
length of a long quiz: the submit reuses the lookup made when the learner opened the quiz); a
token revoked at the hub is refused here at the latest that long after.

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

import asyncio
import functools
import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote, urlparse

from jupyterhub.services.auth import HubAuth, check_scopes
from tornado import httpclient, httpserver, ioloop, web

from .archive import skipped_list
from .store import Limits, Store, StoreError

log = logging.getLogger("partyquiz.exchange")
INSTRUCTORS_GROUP = "instructors"
GROUP_CACHE_SECONDS = 30
AUTH_CACHE_SECONDS = 3600  # a revoked token still works here for at most this long
SMALL_BODY = 64 * 1024  # what any call may send before the caller is known
WORKERS = 4  # threads that unpack and write; zlib and file I/O release the GIL
ZIP_OVERHEAD = 1 << 20  # a body may exceed the bytes it unpacks to by the zip's headers (generous)


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


@web.stream_request_body
class ApiHandler(web.RequestHandler):
    """Every request: who is calling (from the token alone, before the body), and are they an instructor."""

    caller: str = ""
    _chunks: list[bytes]
    _cap: int = 0

    @property
    def store(self) -> Store:
        return self.settings["store"]

    def body_cap(self) -> int:
        """Largest body this call may send once the caller is known; 0: none."""
        return 0

    async def prepare(self):
        self._chunks = []
        self.request.connection.set_max_body_size(SMALL_BODY)
        hub_auth: HubAuth = self.settings["hub_auth"]
        token = hub_auth.get_token(self, in_cookie=False)
        model = await hub_auth.user_for_token(token, sync=False) if token else None
        if not model or model.get("kind", "user") != "user":
            raise web.HTTPError(403, "a hub user's token is required")
        if hub_auth.access_scopes and not check_scopes(hub_auth.access_scopes, set(model.get("scopes", []))):
            raise web.HTTPError(403, "this token may not use the exchange")
        self.caller = model["name"]
        await self.before_body()
        self._cap = self.body_cap()
        length = self.request.headers.get("Content-Length")
        if length is not None and not length.strip().isdigit():
            raise web.HTTPError(400, "bad Content-Length")
        if length is not None and int(length) > self._cap:
            raise web.HTTPError(413, "%s", f"the upload is larger than this call takes ({self._cap} bytes)")
        self.request.connection.set_max_body_size(self._cap)

    async def before_body(self) -> None:
        """Checks that need only the caller and the URL (refuse before the body is read)."""

    # no size check here: after prepare() tornado's connection refuses a Content-Length over the
    # cap and stops a chunked or unsized body at it before handing over the chunk
    def data_received(self, chunk: bytes) -> None:
        self._chunks.append(chunk)

    @property
    def body(self) -> bytes:
        return b"".join(self._chunks)

    async def is_instructor(self) -> bool:
        # asked only where it matters: a learner's submit costs the hub one token check, not two calls
        return self.settings["instructors_group"] in await self.settings["groups"].of(self.caller)

    async def require_instructor(self) -> None:
        if not await self.is_instructor():
            raise web.HTTPError(403, "only instructors may do this")

    def write_error(self, status_code, **kwargs):
        exc = kwargs.get("exc_info", (None, None))[1]
        message = (exc.log_message % exc.args) if getattr(exc, "log_message", None) else self._reason
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

    async def run(self, fn, *args):
        """`fn(*args)` on the store, in the thread pool; a StoreError becomes its HTTP status."""
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self.settings["executor"], functools.partial(fn, *args))
        except StoreError as exc:
            raise web.HTTPError(exc.status, "%s", str(exc)) from None


class AssignmentsHandler(ApiHandler):
    async def get(self, course):
        self.send_json({"assignments": await self.run(self.store.released, course)})


class AssignmentHandler(ApiHandler):
    def body_cap(self) -> int:
        return self.store.limits.release_bytes + ZIP_OVERHEAD if self.request.method == "PUT" else 0

    async def before_body(self) -> None:
        if self.request.method in ("PUT", "DELETE"):
            await self.require_instructor()

    async def get(self, course, assignment):
        self.send_zip(await self.run(self.store.released_zip, course, assignment))

    async def put(self, course, assignment):
        files = await self.run(self.store.release, course, assignment, self.body)
        log.info("%s released %s/%s (%d files)", self.caller, course, assignment, len(files))
        self.send_json({"files": files})

    async def delete(self, course, assignment):
        self.send_json({"removed": await self.run(self.store.unrelease, course, assignment)})


class SubmissionsHandler(ApiHandler):
    def body_cap(self) -> int:
        return self.store.limits.max_bytes + ZIP_OVERHEAD if self.request.method == "POST" else 0

    async def before_body(self) -> None:
        if self.request.method == "POST":  # no attempts left, past the deadline: refused unread
            course, assignment = self.path_args
            await self.run(self.store.check_may_submit, course, assignment, self.caller)

    async def post(self, course, assignment):
        # The student is the caller. There is no parameter that could name anyone else.
        skipped = _skipped_header(self.request.headers.get("X-Partyquiz-Skipped", ""))
        meta = await self.run(self.store.submit, course, assignment, self.caller, self.body, skipped)
        log.info("%s submitted %s/%s at %s", self.caller, course, assignment, meta["timestamp"])
        released = next((a["notebooks"] for a in await self.run(self.store.released, course) if a["assignment_id"] == assignment), [])
        self.send_json({**meta, "released_notebooks": released})

    async def get(self, course, assignment):
        attempts = await self.run(self.store.attempts, course, assignment, self.caller)
        policy = await self.run(self.store.policy, course, assignment)
        self.send_json({"student": self.caller, "attempts": attempts, "rules": policy.as_json()})


class CollectHandler(ApiHandler):
    async def before_body(self) -> None:
        await self.require_instructor()

    async def get(self, course, assignment):
        self.send_json({"students": await self.run(self.store.every_attempt, course, assignment)})


class AttemptHandler(ApiHandler):
    async def before_body(self) -> None:
        await self.require_instructor()

    async def get(self, course, assignment, student, attempt):
        self.send_zip(await self.run(self.store.attempt_zip, course, assignment, student, attempt))


class FeedbackHandler(ApiHandler):
    def body_cap(self) -> int:
        return self.store.limits.max_bytes + ZIP_OVERHEAD if self.request.method == "PUT" else 0

    async def before_body(self) -> None:
        if self.request.method == "PUT" or self.path_args[2] != self.caller:
            if not await self.is_instructor():
                raise web.HTTPError(403, "feedback of another learner" if self.request.method == "GET" else "only instructors may do this")

    async def put(self, course, assignment, student, attempt):
        self.send_json({"files": await self.run(self.store.release_feedback, course, assignment, student, attempt, self.body)})

    async def get(self, course, assignment, student, attempt):
        self.send_zip(await self.run(self.store.feedback_zip, course, assignment, student, attempt))


def _skipped_header(text: str) -> list:
    """What the learner's side says it left out: kept as the learner's own note, made printable
    (no newlines that would forge lines in the instructor's collect log), at most 100 entries."""
    try:
        return skipped_list(json.loads(text) if text else [])
    except (ValueError, TypeError):
        return []


def make_app(store: Store, prefix: str, hub_auth: HubAuth, instructors_group: str = INSTRUCTORS_GROUP,
             workers: int = WORKERS) -> web.Application:
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
                           instructors_group=instructors_group,
                           executor=ThreadPoolExecutor(max_workers=workers, thread_name_prefix="exchange-store"))


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
    if swept := store.sweep_staging():
        log.info("removed %d unfinished upload(s) left from before the restart", swept)
    hub_auth = HubAuth(cache_max_age=AUTH_CACHE_SECONDS)
    app = make_app(store, prefix, hub_auth, s.instructors_group or INSTRUCTORS_GROUP)
    # the default is small: a handler raises it for its own call once the caller is known
    server = httpserver.HTTPServer(app, max_body_size=SMALL_BODY)
    server.listen(url.port, _bind_address(url.hostname))
    log.info("exchange service on %s, data in %s", url.geturl(), store.root)
    ioloop.IOLoop.current().start()


if __name__ == "__main__":
    main()
