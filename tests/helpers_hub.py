"""A hub user driven over HTTP: log in with the form, spawn, get a token, call the server's REST API.

Shared by the hub tests and benchmarks/bench_hub.py (plain httpx; no browser).
"""
from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field

import httpx


@dataclass
class HubUser:
    base: str  # http://127.0.0.1:port
    name: str
    password: str
    client: httpx.Client = field(init=False)
    token: str | None = None

    def __post_init__(self) -> None:
        self.client = httpx.Client(base_url=self.base, timeout=60, follow_redirects=False)

    def _xsrf(self) -> str:
        return self.client.cookies.get("_xsrf", path="/hub/") or self.client.cookies.get("_xsrf") or ""

    def login(self) -> bool:
        self.client.get("/hub/login")
        r = self.client.post("/hub/login", data={"username": self.name, "password": self.password, "_xsrf": self._xsrf()})
        return r.status_code == 302 and "/hub/login" not in r.headers.get("location", "")

    def make_token(self) -> str:
        r = self.client.post(f"/hub/api/users/{self.name}/tokens", headers={"X-XSRFToken": self._xsrf()}, json={"note": "test"})
        r.raise_for_status()
        self.token = r.json()["token"]
        return self.token

    @property
    def auth(self) -> dict:
        return {"Authorization": f"token {self.token}"}

    def spawn(self, timeout: float = 120) -> float:
        """Start the user's server; returns seconds until the hub reports it ready."""
        t0 = time.monotonic()
        r = self.client.post(f"/hub/api/users/{self.name}/server", headers=self.auth)
        if r.status_code not in (201, 202, 400):  # 400: already running
            raise RuntimeError(f"spawn {self.name}: {r.status_code} {r.text}")
        while time.monotonic() - t0 < timeout:
            info = self.client.get(f"/hub/api/users/{self.name}", headers=self.auth).json()
            server = info.get("servers", {}).get("", {})
            if server.get("ready"):
                return time.monotonic() - t0
            time.sleep(0.25)
        raise TimeoutError(f"{self.name}: server not ready after {timeout} s")

    def stop(self) -> None:
        self.client.delete(f"/hub/api/users/{self.name}/server", headers=self.auth)

    # --- the user's own Jupyter server -----------------------------------------------------
    def url(self, path: str) -> str:
        return f"/user/{self.name}/{path.lstrip('/')}"

    def nbgrader(self, action: str, assignment: str, course_id: str = "partyquiz") -> object:
        """The assignment-list extension's REST endpoints: fetch, submit, fetch_feedback."""
        r = self.client.post(self.url(f"assignments/{action}"), headers=self.auth, data={"assignment_id": assignment, "course_id": course_id})
        r.raise_for_status()
        return r.json()

    def assignments(self, course_id: str = "partyquiz") -> list:
        r = self.client.get(self.url("assignments"), headers=self.auth, params={"course_id": course_id})
        r.raise_for_status()
        return r.json()["value"]

    def start_kernel(self, cwd: str = "") -> str:
        r = self.client.post(self.url("api/kernels"), headers=self.auth, json={"name": "python3", "path": cwd})
        r.raise_for_status()
        return r.json()["id"]

    def kernel_ws(self, kernel_id: str, timeout: float = 120):
        import websocket

        ws_url = self.base.replace("http", "ws", 1) + self.url(f"api/kernels/{kernel_id}/channels")
        ws = websocket.create_connection(ws_url, header=[f"Authorization: token {self.token}"], timeout=timeout)
        self._wait_iopub(ws)
        return ws

    def _wait_iopub(self, ws, tries: int = 40) -> None:
        """Nudge until iopub answers (as jupyter_client does): output sent earlier would be lost."""
        ws.settimeout(0.5)
        try:
            for _ in range(tries):
                msg_id = uuid.uuid4().hex
                ws.send(json.dumps({"header": {"msg_id": msg_id, "username": self.name, "session": uuid.uuid4().hex,
                                               "msg_type": "kernel_info_request", "version": "5.3"},
                                    "parent_header": {}, "metadata": {}, "channel": "shell", "content": {}}))
                deadline = time.monotonic() + 0.5
                while time.monotonic() < deadline:
                    try:
                        msg = json.loads(ws.recv())
                    except Exception:  # websocket timeout: nudge again
                        break
                    if msg.get("channel") == "iopub" and msg.get("parent_header", {}).get("msg_id") == msg_id:
                        return
            raise TimeoutError("kernel iopub channel did not answer")
        finally:
            ws.settimeout(None)

    def execute(self, kernel_id: str, code: str, timeout: float = 60, ws=None) -> tuple[str, float]:
        """Run `code` over the kernel websocket (a new one unless `ws` is given); returns (stdout, seconds)."""
        own = ws is None
        ws = ws or self.kernel_ws(kernel_id, timeout)
        try:
            msg_id = uuid.uuid4().hex
            t0 = time.monotonic()
            ws.send(json.dumps({
                "header": {"msg_id": msg_id, "username": self.name, "session": uuid.uuid4().hex, "msg_type": "execute_request", "version": "5.3"},
                "parent_header": {}, "metadata": {}, "channel": "shell",
                "content": {"code": code, "silent": False, "store_history": False, "user_expressions": {}, "allow_stdin": False},
            }))
            out, replied, idle, seconds = [], False, False, 0.0
            # Shell and iopub are not ordered with each other: the reply can come before the
            # output. Done = execute_reply (the save is on disk) AND iopub idle (all output sent).
            while not (replied and idle):
                msg = json.loads(ws.recv())
                if msg.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                kind = msg["msg_type"]
                if kind == "stream":
                    out.append(msg["content"]["text"])
                elif kind == "error":
                    raise RuntimeError("\n".join(msg["content"]["traceback"]))
                elif kind == "execute_reply":
                    replied, seconds = True, time.monotonic() - t0
                elif kind == "status" and msg["content"]["execution_state"] == "idle":
                    idle = True
            return "".join(out), seconds
        finally:
            if own:
                ws.close()

    def close(self) -> None:
        self.client.close()
