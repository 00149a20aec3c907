"""What each active learner's server and app kernel load (issue 11 item 9: memory per learner).

- The hub starts users' servers, and the app pages' kernels, through `partyquiz.launch`,
  which leaves out optional imports nothing there uses (jsonschema's IRI grammar, ipykernel's
  debugger); the app notebooks name the `partyquiz-page` kernel.
- Under the hub the learner app calls the exchange service itself (`exchange.learner`), never
  importing nbgrader: the same listings, files and feedback as nbgrader's own classes for it.
- 我的学习档案 asks the records service with urllib (httpx imports its CLI): answers and
  failures read the same.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from conftest import REPO, require

sys.path.insert(0, str(Path(__file__).parent))


# --- the launchers ---------------------------------------------------------------------------------

def _imported(argv: list[str], env: dict | None = None) -> set[str]:
    """Top-level modules a command imports (python -X importtime), e.g. `-m jupyter_server --version`."""
    done = subprocess.run([sys.executable, "-X", "importtime", *argv], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})
    assert done.returncode == 0, done.stderr[-2000:]
    return {line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines() if line.startswith("import time:") and "|" in line}


def test_the_learner_server_never_compiles_the_iri_grammar():
    """A plain jupyter-server imports jsonschema's optional IRI checker (a Lark grammar, ≈ 16 MB a
    server); the hub's launcher starts the same server without it."""
    plain = _imported(["-m", "jupyter_server", "--version"])
    lean = _imported(["-P", "-m", "partyquiz.launch", "server", "--version"])
    import importlib.util

    if importlib.util.find_spec("rfc3987_syntax"):  # installed here (jupyter-events' extras): the plain server loads it
        assert "lark" in plain
    assert "lark" not in lean  # the grammar's parser never loaded
    assert "jupyter_server" in lean  # the same server, started
    assert not {"pydantic", "partyquiz.settings", "partyquiz.hub"} & lean  # and the launcher brings nothing of its own


def test_the_hub_starts_servers_through_the_lean_launcher(tmp_path, monkeypatch):
    from test_hub_config import load_py_config

    from partyquiz.hub import HubSetup

    setup = HubSetup(hub_dir=tmp_path)
    settings = {"hub_dir": str(tmp_path), "port": 8000, "hub_port": 8081, "api_port": 8001, "proxy": str(setup.proxy),
                "instructors": ["instructor"], "learners": ["u0001"], "records_port": 8002, "ledger_url": "sqlite:///x.db",
                "exchange_port": 8003, "exchange_data": str(tmp_path / "x")}
    (tmp_path / "hub.json").write_text(json.dumps(settings))
    local = load_py_config(REPO / "partyquiz/hub/jupyterhub_config.py", monkeypatch, {"PARTYQUIZ_HUB_SETTINGS": str(tmp_path / "hub.json")})
    production = load_py_config(REPO / "deploy/unix/jupyterhub_config.py", monkeypatch, {"PARTYQUIZ_AUTH": "pam", "PARTYQUIZ_INSTRUCTORS": "zhang"})
    for config in (local, production):
        assert config.Spawner.cmd[1:] == ["-P", "-m", "partyquiz.launch", "singleuser"]
    assert "cmd: [python, -P, -m, partyquiz.launch, singleuser]" in (REPO / "deploy/k8s/values.yaml").read_text(encoding="utf-8")


def test_app_pages_run_in_the_page_kernel_without_the_debugger(tmp_path):
    """Voilà renders a page in the kernel the notebook names; `partyquiz-page` is found through the
    JUPYTER_PATH every user's server gets (hub/frame.server_env) and runs ipykernel without
    debugpy. A notebook naming a kernel that is not there still renders (Voilà falls back to
    python3), so the app notebooks also open outside the hub."""
    from helpers_app import running_voila

    from partyquiz.launch import PAGE_KERNEL

    for name in ("app.ipynb", "workbench.ipynb"):
        assert json.loads((REPO / "notebooks" / name).read_text(encoding="utf-8"))["metadata"]["kernelspec"]["name"] == PAGE_KERNEL
    home = tmp_path / "home"
    home.mkdir()
    probe = {"cells": [{"cell_type": "code", "execution_count": None, "id": "probe", "metadata": {}, "outputs": [],
                        "source": "import sys, ipywidgets\n"
                                  "print('debugger:', sys.modules.get('debugpy', 'absent'), '| launcher:', sys.argv[0].endswith('launch.py'))"}],
             "metadata": {"kernelspec": {"display_name": "page", "language": "python", "name": PAGE_KERNEL}},
             "nbformat": 4, "nbformat_minor": 5}
    (home / "probe.ipynb").write_text(json.dumps(probe), encoding="utf-8")
    with running_voila(home, f"sqlite:///{tmp_path / 'ledger.db'}") as server:
        specs = httpx.get(f"{server.url}/api/kernelspecs", params={"token": server.token}, timeout=30).json()["kernelspecs"]
        assert specs[PAGE_KERNEL]["spec"]["metadata"]["debugger"] is False
        page = httpx.get(f"{server.url}/voila/render/probe.ipynb", params={"token": server.token}, timeout=120)
        assert page.status_code == 200
        assert "debugger: None | launcher: True" in page.text


# --- the learner app's exchange without nbgrader ------------------------------------------------

def _service_config(home: Path, url: str, token: str, extra: str = "") -> None:
    from partyquiz.exchange import factory_config

    lines = [f"c.{section}.{name} = {value!r}" for section, values in factory_config(url).items() for name, value in values.items()]
    (home / "nbgrader_config.py").write_text(
        "c = get_config()  # noqa: F821\n" + "\n".join(lines) + f"\nc.ServiceExchange.token = {token!r}\n"
        "c.CourseDirectory.course_id = 'partyquiz'\n" + extra, encoding="utf-8")


def test_service_settings_are_the_ones_nbgraders_classes_take(tmp_path):
    """The learner app builds the service learner from the config itself: every setting must be the
    one nbgrader's class would have, wherever in the config (parent or own section) it is set."""
    from nbgrader.auth import Authenticator
    from nbgrader.coursedir import CourseDirectory

    from partyquiz.app.exchange import LearnerExchange
    from partyquiz.exchange.nbgrader_exchange import ServiceFetchAssignment, ServiceSubmit

    cases = [
        "",
        "c.Exchange.path_includes_course = True\nc.ServiceExchange.max_bytes = 12345\nc.CourseDirectory.ignore = ['*.tmp']\n",
        "c.ServiceExchange.path_includes_course = True\nc.Exchange.path_includes_course = False\nc.ExchangeSubmit.strict = True\n",
        "c.ServiceExchange.url = 'http://elsewhere:1/services/exchange/'\nc.ServiceSubmit.strict = True\n",
    ]
    for n, extra in enumerate(cases):
        home = tmp_path / f"h{n}"
        home.mkdir()
        _service_config(home, "http://127.0.0.1:9/services/exchange/", "tok", extra)
        ours = LearnerExchange(home)
        assert ours.service is not None, extra
        for cls in (ServiceSubmit, ServiceFetchAssignment):
            config = ours.config
            theirs = cls(coursedir=CourseDirectory(config=config), authenticator=Authenticator(config=config), config=config)
            t, o = theirs.learner, ours.service
            assert (o.course_id, Path(o.assignment_dir), o.path_includes_course, o.max_bytes, tuple(o.ignore), o.client.base, o.client.token) == \
                   (t.course_id, Path(t.assignment_dir), t.path_includes_course, t.max_bytes, tuple(t.ignore), t.client.base, t.client.token), extra
        from partyquiz.app.exchange import _SUBMIT, _trait

        assert bool(_trait(ours.config, "strict", _SUBMIT, False)) == ServiceSubmit(
            coursedir=CourseDirectory(config=ours.config), authenticator=Authenticator(config=ours.config), config=ours.config).strict, extra


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    """A real hub with the exchange service; the instructor has released one lesson of a shipped course."""
    from helpers_exchange import PROXY, ExchangeHub

    from partyquiz.authoring import load_course
    from partyquiz.build import build_course
    from partyquiz.grading.site import GraderSite

    require(PROXY.exists(), "configurable-http-proxy in node_modules (npm install)")
    base = tmp_path_factory.mktemp("lean-exchange")
    hub = ExchangeHub(base / "hub").start()
    try:
        tokens = {u: hub.token(u) for u in ("instructor", "u0001")}
        site = GraderSite(root=base / "grader", extra=hub.config_for(tokens["instructor"]))
        course = load_course(REPO / "courses" / "jiaoyu-guanli")
        assignment = build_course(course, site.source)[0].name
        site.generate_and_release(assignment)
        yield {"hub": hub, "tokens": tokens, "site": site, "course": course, "assignment": assignment, "base": base}
    finally:
        hub.stop()


def _relative(listing, home: Path):
    """A listing with the learner's home written as ~ (two homes compare equal)."""
    return json.loads(json.dumps(listing).replace(str(home.resolve()), "~"))


def test_app_exchange_matches_nbgraders_classes_and_never_imports_nbgrader(service, tmp_path):
    from partyquiz.answers import AnswerStore
    from partyquiz.app.exchange import ExchangeProblem, LearnerExchange
    from partyquiz.grading.batch import grade_assignment
    from partyquiz.model import Answer, now_iso

    hub, a = service["hub"], service["assignment"]
    homes = {"direct": tmp_path / "direct", "nbgrader": tmp_path / "nbgrader"}
    for home in homes.values():
        home.mkdir()
        _service_config(home, hub.exchange_url, service["tokens"]["u0001"])
    direct, through = LearnerExchange(homes["direct"]), LearnerExchange(homes["nbgrader"])
    through.service = None  # the same config, through nbgrader's classes (what the Assignment List runs)
    assert direct.service is not None

    assert _relative(direct.released(), homes["direct"]) == _relative(through.released(), homes["nbgrader"])
    assert [x["status"] for x in direct.released() if x["assignment_id"] == a] == ["released"]
    folders = {k: ex.fetch(a) for k, ex in (("direct", direct), ("nbgrader", through))}
    files = {k: sorted(p.relative_to(f).as_posix() for p in f.rglob("*")) for k, f in folders.items()}
    assert files["direct"] == files["nbgrader"] and any(f.endswith(".ipynb") for f in files["direct"])
    assert _relative(direct.released(), homes["direct"]) == _relative(through.released(), homes["nbgrader"])

    # a file the learner deleted comes back on the next fetch; their answers are never overwritten
    notebook = next(folders["direct"].glob("*.ipynb"))
    store = AnswerStore(folders["direct"], notebook.stem, meta={"learner": "u0001", "assignment": a})
    store.save_many({"q1": Answer(value="mine", saved_at=now_iso())})
    answers = store.path.read_bytes()
    notebook.unlink()
    direct.fetch(a)
    assert notebook.is_file() and store.path.read_bytes() == answers

    direct.submit(a)
    mine = direct.submitted()
    assert [(s["assignment_id"], len(s["submissions"])) for s in mine] == [(a, 1)]
    assert _relative(mine, homes["direct"]) == _relative(through.submitted(), homes["nbgrader"])

    # the instructor grades through the same service; the learner's feedback arrives either way
    grade_assignment(service["site"], service["course"], a, engine="fast", progress=False)
    for ex in (direct, through):
        submitted = ex.submitted()[0]["submissions"][-1]
        assert submitted["has_exchange_feedback"] and not submitted["has_local_feedback"]
        feedback = ex.fetch_feedback(a)
        assert list(feedback.rglob("*.html"))
        assert ex.submitted()[0]["submissions"][-1]["has_local_feedback"]
    assert _relative(direct.submitted(), homes["direct"]) == _relative(through.submitted(), homes["nbgrader"])

    # a refused token reads as a problem for the page, not a crash
    _service_config(tmp_path / "direct", hub.exchange_url, "not-a-token")
    with pytest.raises(ExchangeProblem, match="exchange service: 403"):
        LearnerExchange(homes["direct"]).released()

    # and the learner's kernel never imported nbgrader for any of it
    probe = ("import sys\nfrom partyquiz.app.exchange import LearnerExchange\n"
             "ex = LearnerExchange(sys.argv[1])\nex.released(); ex.submitted(); ex.fetch_feedback(sys.argv[2])\n"
             "print(sorted({m.split('.')[0] for m in sys.modules if m.startswith(('nbgrader', 'setuptools', 'requests'))}))\n")
    _service_config(homes["nbgrader"], hub.exchange_url, service["tokens"]["u0001"])
    out = subprocess.run([sys.executable, "-c", probe, str(homes["nbgrader"]), a], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]"


# --- 我的学习档案 from the records service over urllib -----------------------------------------------

class _Records(BaseHTTPRequestHandler):
    answers: dict = {}

    def do_GET(self):  # noqa: N802 (http.server's name)
        status, body = self.answers[self.path]
        if self.headers.get("Authorization") != "token good":
            status, body = 403, json.dumps({"status": 403, "message": "Forbidden"}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_records_service_answers_and_failures(tmp_path):
    from partyquiz.app.records import _from_service
    from partyquiz.hub import free_port

    person = {"id": "u0001", "name": "张三", "branch": "第一支部", "id_number": "110101199001011234"}
    _Records.answers = {
        "/me": (200, json.dumps({"records": [{"course_id": "c", "lesson_id": "l1", "hours": 2}], "person": person,
                                 "standing": {"year": 2026}, "points": {"total": 3}}, ensure_ascii=False).encode()),
        "/broken": (200, b"<html>proxy error</html>"),
        "/list": (200, b"[1, 2]"),
        "/down": (502, b"bad gateway"),
    }
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Records)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        got = _from_service(f"{base}/me", "good")
        assert got.problem is None and got.records == [{"course_id": "c", "lesson_id": "l1", "hours": 2}]
        assert got.person.name == "张三" and got.standing == {"year": 2026} and got.points == {"total": 3}
        assert "403" in _from_service(f"{base}/me", "stolen").problem
        assert "502" in _from_service(f"{base}/down", "good").problem
        for path in ("/broken", "/list"):  # not a records answer: said, never shown as 0 学时
            assert _from_service(f"{base}{path}", "good").problem
    finally:
        server.shutdown()
    refused = _from_service(f"http://127.0.0.1:{free_port()}/me", "good")
    assert refused.problem and refused.records == []


# --- lesson text read without nbformat ----------------------------------------------------------

def test_lesson_sections_read_as_json_match_nbformats_reading(tmp_path):
    """The app reads its lesson notebooks as JSON (nbformat's reader loads jsonschema into every
    kernel): the same sections as nbformat's reading, for every shipped lesson and for sources
    stored as line lists; an older format still reads, through nbformat's converter."""
    import nbformat

    from partyquiz.app.pages import lesson_sections
    from partyquiz.authoring import load_course
    from partyquiz.build import build_course

    def by_nbformat(path: Path) -> list[str]:
        nb = nbformat.read(path, as_version=4)
        return [c.source for c in nb.cells if c.cell_type == "markdown" and not c.metadata.get("nbgrader", {}).get("grade")]

    built = []
    for folder in sorted((REPO / "courses").iterdir()):
        if (folder / "course.yml").is_file():
            for out in build_course(load_course(folder), tmp_path / "built" / folder.name):
                built.append(out.notebook)
    assert built
    for path in built:
        assert lesson_sections(path) == by_nbformat(path), path
        assert lesson_sections(path)

    lines = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# 第一节\n\n**“要点”**在此"),
        nbformat.v4.new_markdown_cell("简答题：谈谈体会", metadata={"nbgrader": {"grade": True, "grade_id": "e1", "points": 5}}),
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_markdown_cell("第二节"),
    ])
    data = json.loads(nbformat.writes(lines))
    assert any(isinstance(cell["source"], list) for cell in data["cells"])  # how Jupyter stores sources on disk
    split = tmp_path / "lines.ipynb"
    split.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert lesson_sections(split) == ["# 第一节\n\n**“要点”**在此", "第二节"] == by_nbformat(split)

    old = tmp_path / "v3.ipynb"
    nbformat.write(nbformat.v3.new_notebook(worksheets=[nbformat.v3.new_worksheet(cells=[nbformat.v3.new_text_cell("markdown", source="旧格式")])]),
                   str(old), version=3)
    assert lesson_sections(old) == ["旧格式"]
