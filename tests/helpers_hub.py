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


# --- the frame (H4a): a hub whose users land on Voilà pages, driven by a real browser ----------
# Shared by tests/test_hub_frame.py, the learner-app tests (H4b) and the workbench tests.

# Interface strings of JupyterHub, JupyterLab, Voilà and nbgrader that must not reach a Chinese
# page (matched as whole words, case-sensitive). The language switch's own label "English" is
# not on the list: it names the other language.
ENGLISH_UI_STRINGS = (
    "Sign in", "Sign In", "Username", "Password", "Login", "Logout", "Log in", "Log out",
    "Server not running", "Start My Server", "Stop My Server", "My Server", "Launch Server", "Relaunch",
    "Your server is starting up", "Your server is stopping", "Event log", "Successfully logged out",
    "Spawn failed", "Server Options", "Not Found", "Forbidden", "Internal Server Error",
    "Jupyter has lots of moons", "You are requesting a page that does not exist",
    "Home", "Token", "Services", "Admin", "refresh",
    "File", "Edit", "View", "Kernel", "Tabs", "Settings", "Help", "Launcher",
    "Executing", "Running", "Reading", "Voilà requires JavaScript", "Please run Voilà",
    "Assignment List", "Fetch", "Submit", "Formgrader",
)


def english_strings_in(text: str, strings=ENGLISH_UI_STRINGS) -> list[str]:
    """The listed English interface strings found in `text` (what the user sees: innerText)."""
    import re

    return [s for s in strings if re.search(rf"(?<![A-Za-z]){re.escape(s)}(?![A-Za-z])", text)]


def stand_in_app(folder, title: str = "学习首页") -> None:
    """A tiny `app.ipynb` (one ipywidgets button) for tests of the frame, independent of the app."""
    from pathlib import Path

    nb = {"cells": [{"cell_type": "code", "execution_count": None, "id": "app", "metadata": {}, "outputs": [],
                     "source": [f"import ipywidgets as w\nw.VBox([w.HTML('<h1 class=\"pq-standin\">{title}</h1>'), w.Button(description='开始学习')])"]}],
          "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}},
          "nbformat": 4, "nbformat_minor": 5}
    Path(folder).mkdir(parents=True, exist_ok=True)
    (Path(folder) / "app.ipynb").write_text(json.dumps(nb, ensure_ascii=False), encoding="utf-8")


def notebooks_with(folder, app: str = "real"):
    """A copy of notebooks/ in `folder`; app="standin" replaces app.ipynb by `stand_in_app`
    (also used when the real one does not exist yet)."""
    import shutil
    from pathlib import Path

    repo_notebooks = Path(__file__).resolve().parents[1] / "notebooks"
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for nb in repo_notebooks.glob("*.ipynb"):
        shutil.copyfile(nb, folder / nb.name)
    if app == "standin" or not (folder / "app.ipynb").exists():
        stand_in_app(folder)
    return folder


def hub_setup(hub_dir, **setup_args):
    """A test hub's HubSetup: a free port and its own ledger (the default ledger is shared by the
    whole test session, so another module's records would show up)."""
    from pathlib import Path

    from partyquiz.hub import HubSetup, free_port

    setup_args.setdefault("ledger_url", f"sqlite:///{Path(hub_dir) / 'ledger.db'}")
    return HubSetup(hub_dir=hub_dir, port=free_port(), **setup_args)


def start_app_hub(hub_dir, learners: int = 2, courses=None, notebooks=None, **setup_args):
    """prepare + start a demo hub (Voilà landing pages); returns (setup, prepared, process).
    Call `process.stop()` when done."""
    from pathlib import Path

    from partyquiz.hub import prepare_hub, start_hub

    repo = Path(__file__).resolve().parents[1]
    setup = hub_setup(hub_dir, learners=learners, courses=courses or [repo / "courses" / "jiaoyu-guanli"],
                      notebooks=notebooks or notebooks_with(Path(hub_dir) / "notebooks"), **setup_args)
    prepared = prepare_hub(setup, say=lambda _: None)
    return setup, prepared, start_hub(setup)


def wait_or_screenshot(locator, page, shot, timeout_ms: float) -> None:
    """Wait for `locator`; if it never shows, keep a full-page screenshot of `page` at `shot`."""
    try:
        locator.wait_for(timeout=timeout_ms)
    except Exception:
        page.screenshot(path=str(shot), full_page=True)
        raise


def browser_login(page, base: str, user: str, password: str, timeout: float = 120_000) -> None:
    """Log in through the (Chinese) hub form and wait for the user's landing page (Voilà) to render."""
    page.goto(f"{base}/hub/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password)
    page.click("#login_submit")
    # "commit", not "load": Voilà streams the page while the kernel runs it
    page.wait_for_url(f"**/user/{user}/voila/render/**", timeout=timeout, wait_until="commit")
    page.locator("#rendered_cells").wait_for(state="visible", timeout=timeout)


def exchange_submit(setup, user: str, token: str, key, values: dict, workdir) -> None:
    """A learner fetches and submits through the hub's exchange service with their own hub token,
    as nbgrader's exchange classes do inside their server (the service names the student from
    the token). The answers are written by the answer store, as the learner app saves them."""
    from pathlib import Path

    from nbgrader.auth import Authenticator
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.exchange import ExchangeFactory
    from traitlets.config import Config

    from partyquiz.answers import AnswerStore
    from partyquiz.exchange import factory_config
    from partyquiz.model import Answer, now_iso

    hub = json.loads(Path(setup.settings_file).read_text(encoding="utf-8"))
    config = Config()
    config.CourseDirectory.course_id = hub["course_id"]
    config.Exchange.assignment_dir = str(workdir)
    for section, items in factory_config(f"http://127.0.0.1:{hub['exchange_port']}/services/exchange/").items():
        for name, value in items.items():
            setattr(getattr(config, section), name, value)
    config.ServiceExchange.token = token

    def run(kind: str) -> None:
        coursedir = CourseDirectory(config=config)
        coursedir.assignment_id = key.assignment
        app = getattr(ExchangeFactory(config=config), kind)(coursedir=coursedir, authenticator=Authenticator(config=config), config=config)
        app.start()

    Path(workdir).mkdir(parents=True, exist_ok=True)
    run("FetchAssignment")
    folder = Path(workdir) / key.assignment
    AnswerStore(folder, key.notebook, meta={"learner": user, "assignment": key.assignment}).save_many(
        {q: Answer(value=v, saved_at=now_iso()) for q, v in values.items()})
    run("Submit")
