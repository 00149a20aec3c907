"""`partyquiz serve` as a user runs it: up, a learner logs in and runs code, Ctrl-C, nothing left."""
from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from conftest import REPO, require
from partyquiz.hub import free_port
from partyquiz.hub.process import alive, descendants

sys.path.insert(0, str(Path(__file__).parent))
from helpers_hub import HubUser  # noqa: E402

pytestmark = pytest.mark.slow


def _wait_up(url: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stdout.read() if proc.stdout else "serve exited"
        try:
            if httpx.get(f"{url}/hub/api/", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TimeoutError("hub not up")


def test_serve_then_ctrl_c_leaves_no_process(tmp_path):
    require((REPO / "node_modules/.bin/configurable-http-proxy").exists(), "configurable-http-proxy in node_modules (npm install)")
    port, hub_dir = free_port(), tmp_path / "hub"
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", "COLUMNS": "120"}
    argv = [str(Path(sys.executable).parent / "partyquiz"), "serve", "--port", str(port), "--learners", "1",
            "--hub-dir", str(hub_dir), "--course", str(REPO / "courses" / "jiaoyu-guanli")]
    proc = subprocess.Popen(argv, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_up(url, proc)
        # secrets are private; the passwords printed are the ones that work
        for name in ("jupyterhub_cookie_secret", "passwords.json"):
            assert stat.S_IMODE((hub_dir / name).stat().st_mode) == 0o600
        line = ""
        while "u0001" not in line:
            line = proc.stdout.readline()
        password = [cell.strip() for cell in line.split("│") if cell.strip()][-1]  # last column of the table
        # keep reading what serve prints, as a terminal would: a full pipe would block its shutdown
        threading.Thread(target=proc.stdout.read, daemon=True).start()
        user = HubUser(url, "u0001", password)
        assert user.login()
        assert not HubUser(url, "u0001", "wrong-password").login()
        user.make_token()
        user.spawn()
        kernel = user.start_kernel()
        assert user.execute(kernel, "import os; print(os.environ['JUPYTERHUB_USER'])")[0].strip() == "u0001"
        started = descendants(proc.pid)
        assert len(started) >= 4  # hub, proxy, single-user server, kernel
        proc.send_signal(signal.SIGINT)
        proc.wait(60)
        time.sleep(0.5)
        assert [p for p in started if alive(p)] == [], "processes left after Ctrl-C"
        assert json.loads((hub_dir / "hub.json").read_text())["learners"] == ["u0001"]
    finally:
        if proc.poll() is None:  # a failed assertion: still bring everything down before tmp_path goes
            leftovers = descendants(proc.pid)
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
            for pid in leftovers:
                if alive(pid):
                    os.kill(pid, signal.SIGKILL)


def test_hub_goes_down_when_serve_is_killed_hard(tmp_path):
    """Even a SIGKILL of `serve` (no chance to clean up) does not leave the hub running."""
    require((REPO / "node_modules/.bin/configurable-http-proxy").exists(), "configurable-http-proxy in node_modules (npm install)")
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from partyquiz.hub import HubSetup, free_port, prepare_hub, start_hub\n"
        f"setup = HubSetup(hub_dir=Path({str(tmp_path / 'hub')!r}), port=free_port(), learners=1, courses=[])\n"
        "prepare_hub(setup, say=lambda _: None)\n"
        "hub = start_hub(setup)\n"
        "print(hub.proc.pid, flush=True)\n"
        "time.sleep(600)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=REPO)
    try:
        hub_pid = int(parent.stdout.readline())
        under_hub = descendants(hub_pid)
        assert alive(hub_pid) and under_hub  # proxy, records service
        parent.kill()
        parent.wait()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(alive(p) for p in [hub_pid, *under_hub]):
            time.sleep(0.2)
        assert [p for p in [hub_pid, *under_hub] if alive(p)] == []
    finally:
        if parent.poll() is None:
            parent.kill()  # the hub follows (PR_SET_PDEATHSIG)
            parent.wait()
