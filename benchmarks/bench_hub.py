"""Load on the local hub: N learners at once (REST + kernel websockets, no browsers).

Each simulated learner logs in with the generated password, spawns their server, fetches the
lesson through nbgrader's assignment-list endpoints, starts a kernel in the lesson folder,
answers every drawn question by executing code that saves through the answer store (what the
widget does on a click), and submits. Then the instructor side collects, and every answer is
looked for in the collected submissions: the number lost must be 0.

    .venv/bin/python benchmarks/bench_hub.py [--learners 30]
    .venv/bin/python benchmarks/bench_hub.py --memory      # server + kernel per learner, before/after the frame
Only 127.0.0.1; everything under var/bench-hub (removed first).
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from helpers_hub import HubUser  # noqa: E402

from partyquiz.answers import answers_path, load_answers  # noqa: E402
from partyquiz.authoring import load_course  # noqa: E402
from partyquiz.build import quiz_key  # noqa: E402
from partyquiz.draw import drawn_questions, seed_for  # noqa: E402
from partyquiz.settings import ensure_venv_on_path  # noqa: E402
from partyquiz.hub import HubSetup, free_port, prepare_hub, start_hub  # noqa: E402
from partyquiz.hub.process import descendants  # noqa: E402
from partyquiz.simulate import right_answer  # noqa: E402

COURSE = REPO / "courses" / "jiaoyu-guanli"


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def collect_as_instructor(setup, password: str, assignment: str) -> None:
    """The instructor collects in their own server, as the workbench does: through the hub's
    exchange service with their hub token (no shared exchange folder holds submissions)."""
    user = HubUser(setup.url, setup.instructor, password)
    assert user.login(), setup.instructor
    user.make_token()
    user.spawn(timeout=300)
    kernel = user.start_kernel()
    user.execute(kernel, "from partyquiz.hub.dashboard import Instructor\n"
                 f"Instructor.from_env().site().collect({assignment!r})", timeout=600)
    user.close()


def one_learner(setup, password: str, learner: str, key) -> dict:
    user = HubUser(setup.url, learner, password)
    t0 = time.monotonic()
    assert user.login(), learner
    user.make_token()
    spawn = user.spawn(timeout=300)
    user.nbgrader("fetch", key.assignment)
    lesson = user.client.get(user.url(f"api/contents/{key.assignment}/{key.notebook}.ipynb"), headers=user.auth)
    lesson.raise_for_status()  # open the lesson as JupyterLab does (contents API)
    kernel = user.start_kernel(key.assignment)
    ws = user.kernel_ws(kernel, timeout=300)
    user.execute(kernel, "import json\nfrom partyquiz.answers import AnswerStore\n"
                 f"store = AnswerStore('.', {key.notebook!r}, meta={{'learner': {learner!r}, 'assignment': {key.assignment!r}}})", ws=ws)
    drawn = drawn_questions(key.quiz, seed_for(key.course_id, key.assignment, learner, key.quiz.id))
    saves, answers = [], {}
    for qid in drawn:
        value = right_answer(key.questions[qid])
        answers[qid] = value
        _, seconds = user.execute(kernel, f"store.save({qid!r}, json.loads({json.dumps(value)!r}))", ws=ws)
        saves.append(seconds)
    ws.close()
    result = user.nbgrader("submit", key.assignment)
    ok = result.get("success", True) is not False
    user.close()
    return {"learner": learner, "spawn": spawn, "saves": saves, "answers": answers, "submitted": ok, "total": time.monotonic() - t0}


def rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


# --- memory per active learner: server + kernel, before and after the frame (issue 11 item 9) ---

def _smaps_mb(pid: int) -> tuple[float, float]:
    """(RSS, PSS) in MB of one process; PSS shares libraries fairly between the processes using them."""
    rss = pss = 0
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Rss:"):
                rss = int(line.split()[1])
            elif line.startswith("Pss:"):
                pss = int(line.split()[1])
    except OSError:
        pass
    return rss / 1024, pss / 1024


def _learner_server(mode: str, folder: Path, notebooks: Path):
    """A learner's Jupyter server as the hub would start it: `before` = JupyterLab landing with every
    extension on (the old set-up), `after` = the frame (hub/frame.py: Voilà, lighter server)."""
    import os
    import subprocess

    from partyquiz.hub.frame import server_env
    from partyquiz.hub.home import HomeSpec, files_for

    home = folder / mode
    spec = HomeSpec(home=home, user="u0001", role="learner", course_id="partyquiz", exchange=folder / "exchange", ignore=())
    for rel, text in files_for(spec).items():
        (home / rel).parent.mkdir(parents=True, exist_ok=True)
        (home / rel).write_text(text, encoding="utf-8")
    if mode == "before":  # what learners' servers had before: only formgrader switched off, no Voilà settings
        (home / ".jupyter/jupyter_server_config.json").write_text(json.dumps(
            {"ServerApp": {"jpserver_extensions": {"nbgrader.server_extensions.formgrader": False}}}))
    for name in ("app.ipynb", "start.ipynb"):
        shutil.copyfile(notebooks / name, home / name)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "PARTYQUIZ"))}
    env.update({"HOME": str(home), "JUPYTER_CONFIG_DIR": str(home / ".jupyter"), "PARTYQUIZ_LANG": "zh-CN",
                "PARTYQUIZ_LEARNER": "u0001", "PATH": f"{Path(sys.executable).parent}:{env.get('PATH', '')}"})
    if mode == "after":
        env.update(server_env())
        # what the spawner gives a learner under the hub: the exchange and records services, never the
        # ledger. Nothing listens on that port here, so the page shows its "unreachable" notices; what
        # is measured is the code a hub learner's server and kernel load.
        dead = f"http://127.0.0.1:{free_port()}/services/"
        env.update({"PARTYQUIZ_EXCHANGE_URL": dead + "exchange/", "PARTYQUIZ_RECORDS_URL": dead + "records/me",
                    "JUPYTERHUB_API_TOKEN": "bench-memory-no-hub"})
    port, token = free_port(), "bench-memory-token"
    # after: started as the hub's spawner starts it (partyquiz/launch.py); before: plain jupyter-server
    launcher = [sys.executable, "-P", "-m", "partyquiz.launch", "server"] if mode == "after" else [str(Path(sys.executable).parent / "jupyter-server")]
    argv = [*launcher, "--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1",
            f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={home}"]
    if os.geteuid() == 0:
        argv.append("--allow-root")
    proc = subprocess.Popen(argv, env=env, cwd=home, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    return proc, f"http://127.0.0.1:{port}", token


def _open_landing(mode: str, base: str, token: str) -> float:
    """What a learner's first page does to the server; returns seconds until the page is rendered."""
    import httpx

    auth = {"Authorization": f"token {token}"}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/api/status", headers=auth, timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    t0 = time.monotonic()
    if mode == "after":  # Voilà renders the app: one kernel runs app.ipynb
        r = httpx.get(f"{base}/voila/render/app.ipynb", headers=auth, timeout=120)
        r.raise_for_status()
        return time.monotonic() - t0
    # before: JupyterLab, then the start page's kernel running show_start_page()
    httpx.get(f"{base}/lab", headers=auth, timeout=60).raise_for_status()
    user = HubUser(base, "u0001", "")
    user.token = token
    user.url = lambda path: "/" + path.lstrip("/")  # a plain server: no /user/<name>/ prefix
    kernel = user.start_kernel()
    user.execute(kernel, "from partyquiz.widgets.start import show_start_page\nshow_start_page()", timeout=120)
    user.close()
    return time.monotonic() - t0


def measure_memory(learners: int = 4, app: str = "real") -> dict:
    """`learners` servers side by side (as on a hub), each after its first page; per learner: RSS
    (counts shared libraries in full for every process) and PSS (shares them out: what one more
    learner really costs). `app="standin"`: a one-button app page, to tell the frame's cost from
    the learner app's."""
    import os
    import signal
    import tempfile

    from helpers_hub import notebooks_with

    folder = Path(tempfile.mkdtemp(prefix="pq-bench-mem-"))
    notebooks = notebooks_with(folder / "notebooks", app=app)
    result: dict = {"app": app, "learners": learners}
    try:
        for mode in ("before", "after"):
            servers = []
            try:
                for n in range(learners):
                    servers.append(_learner_server(mode, folder / f"l{n}", notebooks))
                opens = [_open_landing(mode, base, token) for _, base, token in servers]
                time.sleep(3)  # let the kernels settle after the first page
                per = []
                for proc, _, _ in servers:
                    pids = [proc.pid, *descendants(proc.pid)]
                    per.append([sum(x) for x in zip(*(_smaps_mb(p) for p in pids))])
                result[mode] = {"rss_mb": round(statistics.median(r for r, _ in per), 1),
                                "pss_mb": round(sum(p for _, p in per) / learners, 1),
                                "open_p50_s": round(statistics.median(opens), 1),
                                "learners_per_gib_active": round(1024 / (sum(p for _, p in per) / learners), 1)}
            finally:
                for proc, _, _ in servers:
                    for pid in [*descendants(proc.pid), proc.pid]:
                        try:
                            os.kill(pid, signal.SIGTERM)
                        except ProcessLookupError:
                            pass
                    proc.wait(30)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return result

def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--learners", type=int, default=30)
    parser.add_argument("--memory", action="store_true", help="memory per active learner, before/after the frame")
    parser.add_argument("--app", choices=["real", "standin"], default="real", help="with --memory: the learner app or a one-button page")
    args = parser.parse_args()
    ensure_venv_on_path()
    if args.memory:
        print(json.dumps(measure_memory(app=args.app), indent=1))
        return
    hub_dir = REPO / "var" / "bench-hub"
    shutil.rmtree(hub_dir, ignore_errors=True)
    setup = HubSetup(hub_dir=hub_dir, port=free_port(), learners=args.learners, courses=[COURSE])
    prepared = prepare_hub(setup, say=lambda _: None)
    course = load_course(COURSE)
    key = quiz_key(course, course.lessons[0])
    hub = start_hub(setup)
    try:
        t0 = time.monotonic()
        learners = [p.id for p in prepared.learners]
        with ThreadPoolExecutor(len(learners)) as pool:
            results = list(pool.map(lambda u: one_learner(setup, prepared.passwords[u], u, key), learners))
        wall = time.monotonic() - t0
        memory = rss_mb(descendants(hub.proc.pid))
        collect_as_instructor(setup, prepared.passwords[setup.instructor], key.assignment)
        site = setup.site()
        lost = 0
        for r in results:
            collected = load_answers(answers_path(site.root / "submitted" / r["learner"] / key.assignment, key.notebook)).answers
            lost += sum(1 for qid, value in r["answers"].items() if qid not in collected or collected[qid].value != value)
        saves = [s for r in results for s in r["saves"]]
        spawns = [r["spawn"] for r in results]
        print(json.dumps({
            "learners": len(results),
            "answers_saved": len(saves),
            "answers_lost": lost,
            "submitted": sum(r["submitted"] for r in results),
            "save_p50_ms": round(statistics.median(saves) * 1000, 1),
            "save_p95_ms": round(pct(saves, 95) * 1000, 1),
            "save_max_ms": round(max(saves) * 1000, 1),
            "spawn_p50_s": round(statistics.median(spawns), 1),
            "spawn_p95_s": round(pct(spawns, 95), 1),
            "spawn_max_s": round(max(spawns), 1),
            "wall_s": round(wall, 1),
            "rss_all_servers_mb": round(memory),
        }, indent=1))
        if lost:
            sys.exit(f"{lost} answers lost")
    finally:
        hub.stop()
        shutil.rmtree(hub_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
