"""Run the hub as a child and bring down every process it started, whatever happens.

JupyterHub stops its proxy and single-user servers on SIGINT (cleanup_servers), but those run
in their own sessions: if the hub dies hard they would linger. So before stopping we note every
descendant (walking /proc), ask the hub to stop, and then end whatever of that list survives.
"""
from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import httpx


def descendants(pid: int) -> list[int]:
    """All live descendants of `pid` (children, grandchildren...), from /proc."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # the command name may hold spaces and parentheses: ppid is the 2nd field after the last ')'
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie is dead for our purposes
        return (Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]) != "Z"
    except OSError:
        return False


def _die_with_parent() -> None:
    """In the hub child (Linux): get SIGINT if `serve` itself dies, even by SIGKILL, so the hub
    still shuts its servers down instead of running on without anyone to stop it."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGINT, 0, 0, 0)
    except (OSError, AttributeError):
        pass


class HubProcess:
    def __init__(self, argv: list[str], env: dict[str, str], cwd: Path, log_file: Path, url: str):
        self.argv, self.env, self.cwd, self.log_file, self.url = argv, env, cwd, log_file, url
        self.proc: subprocess.Popen | None = None
        self.known: set[int] = set()

    def start(self) -> None:
        log = open(self.log_file, "ab")
        # Own session: a Ctrl-C reaches `serve`, which then stops the hub in order.
        self.proc = subprocess.Popen(self.argv, env=self.env, cwd=self.cwd, stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True, preexec_fn=_die_with_parent)
        log.close()

    def wait_ready(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"JupyterHub exited with {self.proc.returncode}; see {self.log_file}")
            try:
                if httpx.get(f"{self.url}/hub/api/", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise TimeoutError(f"JupyterHub not ready after {timeout:.0f} s; see {self.log_file}")

    def remember_children(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.known.update(descendants(self.proc.pid))

    def stop(self, grace: float = 30.0) -> list[int]:
        """Stop the hub and everything under it; returns the pids that had to be killed."""
        if self.proc is None:
            return []
        self.remember_children()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        leftovers = forced = [p for p in self.known if alive(p)]
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for pid in leftovers:
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and any(alive(p) for p in leftovers):
                time.sleep(0.1)
            leftovers = [p for p in leftovers if alive(p)]
        return sorted(forced)
