"""Helpers for the widget tests and benchmark: a course holding every question type."""
from __future__ import annotations

import json
from pathlib import Path

import nbformat

from partyquiz.build import build_course
from partyquiz.model import Course, Lesson, MatchPair, Option, Question, Quiz, Section

LEARNER = "u0001"


def every_type_questions() -> list[Question]:
    return [
        Question(id="q-single", type="single", stem="支部党员大会**一般多久**召开一次？",
                 options=[Option(id="month", text="每月一次"), Option(id="quarter", text="每季度一次", correct=True),
                          Option(id="year", text="每年一次")],
                 explanation="支部党员大会每季度召开一次。"),
        Question(id="q-multiple", type="multiple", stem="党内激励机制包括哪几种激励？",
                 options=[Option(id="zhengzhi", text="政治激励", correct=True), Option(id="jingshen", text="精神激励", correct=True),
                          Option(id="chengfa", text="惩罚激励")],
                 explanation="政治激励、精神激励和物质激励。"),
        Question(id="q-tf", type="truefalse", stem="“三会一课”是最基本的党内组织生活制度。", answer=True,
                 explanation="材料原文如此。"),
        Question(id="q-fill", type="fill", stem="支委会和党小组会一般每 ____ 召开一次，党课每 ____ 进行一次。",
                 blanks=[["月", "个月"], ["半年", "六个月"]], explanation="每月；每半年。"),
        Question(id="q-num", type="numeric", stem="党员每年集中学习培训不少于多少学时？", value=32, tolerance=0,
                 explanation="不少于 32 学时。"),
        Question(id="q-match", type="matching", stem="将会议与召开频次对应起来。",
                 pairs=[MatchPair(id="dahui", left="支部党员大会", right="每季度"), MatchPair(id="zhiwei", left="支委会", right="每月")],
                 distractors=["每年"], explanation="大会每季度，支委会每月。"),
        Question(id="q-essay", type="essay", stem="结合工作实际，谈谈你对“三会一课”的认识。", points=10,
                 explanation="言之有理即可。"),
    ]


def every_type_course(mode: str = "graded", time_limit: float | None = None, extra: int = 0) -> Course:
    """One lesson `l1` whose quiz holds every type (plus `extra` single-choice questions)."""
    questions = every_type_questions()
    for i in range(extra):
        questions.append(Question(id=f"q-extra-{i:03d}", type="single", stem=f"第 {i + 1} 道补充题：党支部每月至少组织几次集体学习？",
                                  options=[Option(id="one", text="一次", correct=True), Option(id="two", text="两次"),
                                           Option(id="four", text="四次"), Option(id="none", text="不作要求")]))
    quiz = Quiz(id="quiz1", title="随堂测验", mode=mode, rule="strict", time_limit_minutes=time_limit,
                sections=[Section(pool=[q.id for q in questions])])
    lesson = Lesson(id="l1", title="三会一课", file="lessons/l1.md", hours=2, quiz=quiz)
    course = Course(id="demo", title="党员教育示例课程", year=2026, lessons=[lesson])
    course.questions = {q.id: q for q in questions}
    course.lesson_text = {"l1": "# 三会一课\n\n“三会一课”是党的组织生活的基本制度。\n"}
    return course


def build_lesson(folder: Path, course: Course, release: bool = True) -> Path:
    """Build the course into `folder`; return the assignment folder holding l1.ipynb.

    With `release`, graded cells (the hidden test cell) are dropped, as nbgrader's release does
    to the hidden part: a learner's notebook runs only the lesson and the quiz widget.
    """
    built = build_course(course, folder)[0]
    if release:
        nb = nbformat.read(built.notebook, as_version=4)
        nb.cells = [c for c in nb.cells if not (c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade"))]
        nbformat.write(nb, built.notebook)
    return built.folder


def stored_answers(folder: Path, notebook: str = "l1") -> dict:
    path = folder / f"{notebook}.answers.json"
    return json.loads(path.read_text(encoding="utf-8"))["answers"] if path.exists() else {}


# --- a real JupyterLab on 127.0.0.1 ------------------------------------------------------------
import contextlib
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from typing import Iterator

LAB_SETTINGS = {
    # stop the news / update pop-ups that would cover the notebook (see docs/design-notes.md)
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Lab:
    url: str
    token: str
    root: Path
    process: subprocess.Popen

    def notebook_url(self, path: str) -> str:
        # A fresh named workspace per page: JupyterLab would otherwise restore the notebooks an
        # earlier test opened, and a locator could resolve inside a hidden background panel.
        return f"{self.url}/lab/workspaces/t{secrets.token_hex(4)}/tree/{path}?token={self.token}"


@contextlib.contextmanager
def running_lab(root: Path, learner: str = LEARNER, lang: str = "zh-CN", timeout: float = 60) -> Iterator[Lab]:
    """JupyterLab with its own settings and workspaces folders, stopped afterwards."""
    state = root.parent / f".lab-{secrets.token_hex(4)}"
    for name, value in LAB_SETTINGS.items():
        path = state / "settings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value), encoding="utf-8")
    (state / "workspaces").mkdir(parents=True, exist_ok=True)
    port, token = free_port(), secrets.token_hex(16)
    bin_dir = Path(sys.executable).parent
    env = {
        **os.environ, "PARTYQUIZ_LEARNER": learner, "PARTYQUIZ_LANG": lang,
        "JUPYTERLAB_SETTINGS_DIR": str(state / "settings"), "JUPYTERLAB_WORKSPACES_DIR": str(state / "workspaces"),
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    cmd = [str(bin_dir / "jupyter"), "lab", "--allow-root", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
           f"--ServerApp.token={token}", f"--ServerApp.root_dir={root}", "--ServerApp.port_retries=0"]
    url = f"http://127.0.0.1:{port}"
    with jupyter_process(cmd, env, root, state / "lab.log", url, token, timeout, "JupyterLab") as process:
        yield Lab(url, token, root, process)


@contextlib.contextmanager
def jupyter_process(cmd: list[str], env: dict, cwd: Path, log_path: Path, url: str, token: str, timeout: float,
                    what: str) -> Iterator[subprocess.Popen]:
    """Start a Jupyter server command serving `url`, wait until its status API answers, stop it afterwards."""
    log = open(log_path, "wb")
    process = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=cwd)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{what} did not start: {log_path.read_text(errors='replace')[-3000:]}")
                time.sleep(0.2)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


# --- driving the notebook page ------------------------------------------------------------------
IDLE = "Python 3 (ipykernel) | Idle"


def wait_idle(page, timeout_ms: float = 60_000) -> None:
    # the status bar text, not the toolbar circle (see docs/design-notes.md)
    page.get_by_text(IDLE).wait_for(timeout=timeout_ms)


def menu(page, top: str, item: str) -> None:
    page.click(f"div.lm-MenuBar-itemLabel:text-is('{top}')")
    page.click(f"li.lm-Menu-item:has-text('{item}')")


def open_notebook(page, lab: Lab, path: str) -> None:
    page.on("dialog", lambda dialog: dialog.accept())  # "leave page?" on reload
    page.goto(lab.notebook_url(path))
    wait_idle(page)


def run_all(page, n_questions: int, timeout_ms: float = 30_000) -> None:
    menu(page, "Run", "Run All Cells")
    page.locator(".pq-question").nth(n_questions - 1).wait_for(timeout=timeout_ms)
    wait_idle(page)


def restart_kernel(page) -> None:
    menu(page, "Kernel", "Restart Kernel…")
    page.click(".jp-Dialog button.jp-mod-accept")
    wait_idle(page)


def wait_for_answers(folder: Path, expected: dict, timeout: float = 15, notebook: str = "l1") -> dict:
    """Poll the answers file until it holds `expected` (values by question id)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            values = {qid: a["value"] for qid, a in stored_answers(folder, notebook).items()}
        except (json.JSONDecodeError, OSError):
            values = {}
        if all(values.get(qid) == value for qid, value in expected.items()) or time.monotonic() > deadline:
            return values
        time.sleep(0.05)


def platform_fonts(page, selector: str) -> list[dict]:
    """The fonts Chromium actually used to draw the text of `selector` (DevTools protocol)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    cdp.detach()
    return fonts
