"""The HTTP side of the exchange classes: one small client over urllib (no extra dependency).

The token is the caller's own hub token (`JUPYTERHUB_API_TOKEN` in every single-user server and
its kernels); the service learns the caller's name from it. Errors carry the service's own
message. This module never imports nbgrader (the learner app's kernel uses it without nbgrader,
`learner.py`): errors are `ServiceError` here, and nbgrader's own `ExchangeError` in the client
the nbgrader classes use (`nbgrader_exchange.NbgraderClient`), so the Assignment List and
nbgrader's commands show what went wrong.
"""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from urllib.parse import quote


class ServiceError(RuntimeError):
    """The exchange service refused a request or could not be reached; the message says which."""


class ExchangeClient:
    error: type[Exception] = ServiceError  # what every failure raises

    def __init__(self, url: str, token: str, timeout: float = 60):
        # checked on the first request, where the caller reports failures (a page that opens
        # without a token must say so where the exchange's answer would be, not fail to open)
        self.base = url.rstrip("/") + "/api/courses/" if url else ""
        self.token = token
        self.timeout = timeout

    def _url(self, course: str, *parts: str) -> str:
        if not self.base:
            raise self.error("no exchange service URL (PARTYQUIZ_EXCHANGE_URL / ServiceExchange.url)")
        if not self.token:
            raise self.error("no hub token (JUPYTERHUB_API_TOKEN): the exchange needs to know who is calling")
        return self.base + quote(course, safe="") + "/assignments" + "".join("/" + quote(p, safe="") for p in parts)

    def request(self, method: str, course: str, *parts: str, body: bytes | None = None, headers: dict | None = None) -> bytes:
        req = urllib.request.Request(self._url(course, *parts), data=body, method=method)
        req.add_header("Authorization", f"token {self.token}")
        if body is not None:
            req.add_header("Content-Type", "application/zip")
        for name, value in (headers or {}).items():
            req.add_header(name, value)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as response:
                return response.read()
        except urllib.error.HTTPError as exc:
            raise self.error(f"exchange service: {exc.code} {_message(exc)}") from None
        except urllib.error.URLError as exc:
            raise self.error(f"exchange service unreachable at {self.base}: {exc.reason}") from None

    def json(self, method: str, course: str, *parts: str, **kwargs) -> dict:
        return json.loads(self.request(method, course, *parts, **kwargs))


def _message(exc: urllib.error.HTTPError) -> str:
    try:
        return json.loads(exc.read()).get("error") or exc.reason
    except Exception:
        return str(exc.reason)
