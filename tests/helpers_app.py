"""Helpers for the learner app tests and benchmark: a released course, a learner's home, a real
Jupyter server with Voilà (its own server extension, as inside the hub) and a Chromium page."""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

from helpers_widgets import every_type_questions, free_port, jupyter_process

from partyquiz.build import build_course
from partyquiz.grading.site import GraderSite
from partyquiz.model import Course, Lesson, Option, Question, Quiz, Section

REPO = Path(__file__).resolve().parents[1]
LEARNER = "u0001"
COURSE_ID = "partyquiz"


# a deadline that is always ahead: releases set it as nbgrader's due date, so a fixed date would
# turn every submission of these tests late once the calendar passed it
DEADLINE = dt.date.today() + dt.timedelta(days=60)


TIMED_MINUTES = 0.3  # the timed quizzes l3 and l4: 18 s


def app_course() -> Course:
    """l1: every question type (an essay too), 40 min, a link and media in its text; l2: two
    questions, two attempts (补考), elective; l3: one question and an 18-second limit that submits
    itself; l4: two questions and an 18-second limit after which the learner goes on, marked late.
    (The clock starts when the kernel builds the quiz: the limit must leave the browser time to show
    it on a loaded CI machine; 6 s did not, once.)"""
    questions = every_type_questions()
    retake = [Question(id=f"r{i}", type="single", stem=f"第 {i} 题：“三会一课”中的“一课”指什么？",
                       options=[Option(id="dangke", text="党课", correct=True), Option(id="huiyi", text="党员大会")])
              for i in (1, 2)]
    quick = [Question(id="k1", type="truefalse", stem="党支部每月开展一次主题党日活动。", answer=True),
             Question(id="k2", type="truefalse", stem="党小组会一般每月召开一次。", answer=True),
             Question(id="k3", type="truefalse", stem="党课每年至少一次。", answer=False)]
    all_types = Quiz(id="quiz1", title="随堂测验", time_limit_minutes=40, sections=[Section(pool=[q.id for q in questions])])
    two = Quiz(id="quiz2", title="补考测验", attempts=2, counts="highest", sections=[Section(pool=["r1", "r2"])])
    timed = Quiz(id="quiz3", title="限时测验", time_limit_minutes=TIMED_MINUTES, time_up="submit", sections=[Section(pool=["k1"])])
    late = Quiz(id="quiz4", title="限时测验（可逾期）", time_limit_minutes=TIMED_MINUTES, time_up="late", sections=[Section(pool=["k2", "k3"])])
    course = Course(id="app", title="党员教育示例课程", year=2026, pass_mark=60, lessons=[
        Lesson(id="l1", title="三会一课", file="lessons/l1.md", hours=2, quiz=all_types, deadline=DEADLINE),
        Lesson(id="l2", title="党课的要求", file="lessons/l2.md", hours=1, quiz=two, required=False),
        Lesson(id="l3", title="主题党日", file="lessons/l3.md", hours=0.5, quiz=timed),
        Lesson(id="l4", title="党小组会", file="lessons/l4.md", hours=0.5, quiz=late, required=False),
    ])
    course.questions = {q.id: q for q in questions + retake + quick}
    course.lesson_text = {
        "l1": "# 三会一课\n\n**营造深厚的学习风气。**在全党形成浓厚氛围。\n\n## 第一节\n\n“三会一课”是党的组织生活的基本制度。\n\n"
              "![会议示意图](media/tu.png)\n\n## 第二节\n\n支部党员大会每季度召开一次。详见[党章](https://www.12371.cn/special/zggcddz/)。\n\n"
              "![讲解视频](media/jiangjie.webm)\n",
        "l2": "# 党课的要求\n\n党课每季度至少一次。\n",
        "l3": "# 主题党日\n\n每月固定一天。\n",
        "l4": "# 党小组会\n\n党小组会一般每月召开一次。\n",
    }
    return course


# a tiny PNG and a few bytes standing for a video: the page must show / fetch them from the lesson folder
def tiny_png() -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    pixels = zlib.compress(b"\x00" + b"\xb7\x1c\x1c" * 8)  # one row of 8 red pixels
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 1, 8, 2, 0, 0, 0)) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


PNG = tiny_png()
MEDIA = {"app-l1/media/tu.png": PNG, "app-l1/media/jiangjie.webm": b"\x1aE\xdf\xa3 not really a video"}


def release(site: GraderSite, course: Course, media: dict[str, bytes] | None = None) -> list[str]:
    """Build and release every lesson; `media` files are put in the source folders first (as the
    build's media copy does for a course folder), so nbgrader releases them with the notebook."""
    site.prepare()
    built = build_course(course, site.source)
    for rel, data in (MEDIA if media is None else media).items():
        (site.source / rel).parent.mkdir(parents=True, exist_ok=True)
        (site.source / rel).write_bytes(data)
    for assignment in built:
        site.generate_and_release(assignment.name)
    return [b.name for b in built]


def learner_home(root: Path, site: GraderSite, learner: str = LEARNER) -> Path:
    """A learner's home as `partyquiz serve` lays it out: nbgrader config + app.ipynb."""
    home = root / learner
    (home / ".jupyter").mkdir(parents=True, exist_ok=True)
    (home / ".jupyter" / "nbgrader_config.py").write_text(
        "c = get_config()  # noqa: F821\n"
        f"c.CourseDirectory.course_id = {site.course_id!r}\n"
        f"c.CourseDirectory.student_id = {learner!r}\n"
        f"c.CourseDirectory.ignore = ['.ipynb_checkpoints', '*.pyc', '__pycache__', 'feedback', '.*.lock', '*.damaged-*']\n"
        f"c.Exchange.root = {str(site.exchange)!r}\n", encoding="utf-8")
    # the learner's server configuration as the hub writes it (Voilà template, culling, extensions)
    from partyquiz.hub.frame import server_config

    (home / ".jupyter" / "jupyter_server_config.json").write_text(json.dumps(server_config("learner")), encoding="utf-8")
    shutil.copyfile(REPO / "notebooks" / "app.ipynb", home / "app.ipynb")
    return home


@dataclass
class Server:
    url: str
    token: str
    home: Path
    process: subprocess.Popen
    log: Path

    def app_url(self) -> str:
        return f"{self.url}/voila/render/app.ipynb?token={self.token}"


def server_env(home: Path, learner: str, ledger_url: str, extra: dict | None = None) -> dict:
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PARTYQUIZ_LEARNER": learner, "PARTYQUIZ_LANG": "zh-CN", "PARTYQUIZ_LEDGER_URL": ledger_url,
           "JUPYTER_CONFIG_DIR": str(home / ".jupyter"), "HOME": str(home),
           "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    for name in ("PARTYQUIZ_RECORDS_URL", "JUPYTERHUB_API_TOKEN", "JUPYTERHUB_SERVICE_PREFIX", "JUPYTERHUB_USER", "PARTYQUIZ_HOME"):
        env.pop(name, None)
    from partyquiz.hub.frame import server_env as frame_env

    env.update(frame_env(os.environ.get("JUPYTER_PATH")))  # our Voilà template on JUPYTER_PATH
    env.update(extra or {})
    return env


@contextlib.contextmanager
def running_voila(home: Path, ledger_url: str, learner: str = LEARNER, timeout: float = 90, extra_env: dict | None = None) -> Iterator[Server]:
    """A Jupyter server with Voilà's server extension, rooted at the learner's home, started as the
    hub starts one (partyquiz/launch.py), so the app page runs in the `partyquiz-page` kernel."""
    port, token = free_port(), secrets.token_hex(16)
    cmd = [sys.executable, "-P", "-m", "partyquiz.launch", "server", "--allow-root", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
           f"--ServerApp.token={token}", f"--ServerApp.root_dir={home}", "--ServerApp.port_retries=0"]
    log_path = home.parent / f".server-{learner}-{secrets.token_hex(3)}.log"
    url = f"http://127.0.0.1:{port}"
    with jupyter_process(cmd, server_env(home, learner, ledger_url, extra_env), home, log_path, url, token, timeout,
                         "Jupyter server") as process:
        yield Server(url, token, home, process, log_path)


# --- driving the app ---------------------------------------------------------------------------
class Actions:
    """Counts what the learner does (clicks, taps, typing into one field, choosing in a list)."""

    def __init__(self, page, touch: bool = False):
        self.page, self.touch, self.count, self.log = page, touch, 0, []

    def press(self, locator, what: str) -> None:
        self.count += 1
        self.log.append(what)
        if self.touch:
            locator.tap()
        else:
            locator.click()

    def type(self, locator, text: str, what: str) -> None:
        self.press(locator, what)  # focusing the field and typing into it is one action
        locator.press_sequentially(text)

    def select(self, locator, label: str, what: str) -> None:
        self.count += 1
        self.log.append(what)
        locator.select_option(label=label)


def card(page, assignment: str, notebook: str):
    return page.locator(f".pq-card-{assignment}-{notebook}")


def open_app(page, server: Server, timeout_ms: float = 120_000) -> None:
    page.goto(server.app_url(), wait_until="commit")  # the page streams while the kernel runs the cell
    page.locator(".pq-page-centre").wait_for(timeout=timeout_ms)


def grade(site: GraderSite, course: Course, assignment: str, ledger_url: str):
    from partyquiz.pipeline import grade_and_roll_in

    return grade_and_roll_in(site, course, assignment, engine="fast", ledger_url=ledger_url, progress=False)[0]


# --- checks every learner page must pass ---------------------------------------------------------
DESKTOP = {"viewport": {"width": 1366, "height": 768}}
PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True, "device_scale_factor": 2}
# What learners met before: JupyterLab, nbgrader's Assignment List, Voilà's and the hub's own words
# (helpers_hub.ENGLISH_UI_STRINGS is added where they are used), and Python values leaking through.
ENGLISH = ["File", "Edit", "Kernel", "Assignment List", "Fetch", "Submit", "Released assignments", "Downloaded assignments",
           "Submitted assignments", "Running", "Executing", "Loading", "Logout", "Control Panel", "Restart", "Python 3",
           "ipykernel", "Notebook", "feedback", "True", "False", "None", "UTC", "learner_id", "Error", "Traceback"]
# the words a learner meets without reading them: screen readers, tooltips, empty-field hints
ATTRIBUTES = ("aria-label", "title", "placeholder", "alt", "aria-description", "aria-roledescription")


def q(page, qid: str):
    return page.locator(f".pq-qid-{qid}")


def answer_every_type(page, act: Actions) -> None:
    act.press(q(page, "q-single").locator("label", has_text="每季度一次"), "single")
    act.press(q(page, "q-multiple").locator(".pq-option-zhengzhi label.widget-label-basic"), "multiple 1")
    act.press(q(page, "q-multiple").locator(".pq-option-jingshen label.widget-label-basic"), "multiple 2")
    act.press(q(page, "q-tf").locator("label", has_text="正确"), "true/false")
    act.type(q(page, "q-fill").locator(".pq-blank-1 input"), "月", "blank 1")
    act.type(q(page, "q-fill").locator(".pq-blank-2 input"), "半年", "blank 2")
    act.type(q(page, "q-num").locator("input"), "32", "numeric")
    act.select(q(page, "q-match").locator(".pq-match-dahui select"), "每季度", "match 1")
    act.select(q(page, "q-match").locator(".pq-match-zhiwei select"), "每月", "match 2")
    act.type(q(page, "q-essay").locator("textarea"), "坚持三会一课，增强党性。", "essay")


def stored(home: Path, assignment: str, notebook: str) -> dict:
    path = home / assignment / f"{notebook}.answers.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def wait_saved(page, n: int, timeout_ms: float = 20_000) -> None:
    """Every answer confirmed by the kernel (已保存) and none still waiting for its round trip."""
    try:
        page.wait_for_function("n => document.querySelectorAll('.pq-saved-ok').length >= n && !document.querySelector('.pq-pending')",
                               arg=n, timeout=timeout_ms)
    except Exception:
        state = page.evaluate("() => [...document.querySelectorAll('.pq-question')].map(q => q.className + ' | ' + (q.querySelector('.pq-saved') || {}).innerText)")
        raise AssertionError(f"answers not confirmed: {state}")


def inbound(site: GraderSite, assignment: str) -> list[Path]:
    return sorted((site.exchange / site.course_id / "inbound").glob(f"*+{assignment}+*"))


def wait_shown(page, selector: str, timeout_ms: float, what: str) -> None:
    """Wait for `selector`; if it never shows, fail saying what the page showed instead."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.locator(selector).first.wait_for(timeout=timeout_ms)
    except PlaywrightTimeout:
        pytest.fail(f"{what}: {selector} not shown within {timeout_ms / 1000:.0f} s; the page showed: {visible_text(page)[:1500]!r}")


def visible_text(page) -> str:
    return page.locator(".pq-app").inner_text()


def english_on_page(page) -> list[str]:
    """Listed English interface words in what the learner sees (`innerText`) and in the attributes a
    screen reader speaks or a tooltip shows (`ATTRIBUTES`), each found word with where it was."""
    from helpers_hub import ENGLISH_UI_STRINGS

    words = list(dict.fromkeys(ENGLISH + list(ENGLISH_UI_STRINGS)))
    texts = page.evaluate("""attrs => {
      const out = [['text', document.body.innerText]];
      for (const el of document.querySelectorAll(attrs.map(a => '[' + a + ']').join(','))) {
        for (const a of attrs) { const v = el.getAttribute(a); if (v) out.push([`${el.tagName.toLowerCase()}[${a}]`, v]); }
      }
      return out;
    }""", list(ATTRIBUTES))
    found = []
    for where, text in texts:
        found += [f"{word} ({where})" for word in words if re.search(rf"(?<![A-Za-z]){re.escape(word)}(?![A-Za-z])", text)]
    return found


def assert_no_english(page, name: str = "") -> None:
    found = english_on_page(page)
    assert found == [], f"English interface words on the learner page {name}: {found}"


def axe_scan(page, name: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"resultTypes": ["violations"]})
    bad = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in results.response["violations"]
           if v["impact"] in ("serious", "critical")]
    assert bad == [], f"axe on the {name} page: {bad}"


TAP_TARGETS = ", ".join([
    ".pq-app button", ".pq-app select", ".pq-app input[type=text]", ".pq-app input[type=number]", ".pq-app input:not([type])",
    ".pq-app textarea", ".pq-nav a", ".pq-app .widget-radio-box label", ".pq-app .widget-checkbox label",
    ".pq-lesson-text a", ".pq-feedback-page a", ".pq-app video", ".pq-app audio"])


def assert_phone_layout(page, name: str) -> None:
    """No sideways scrolling; every tap target (buttons, fields, choices, links in the lesson
    text, video and audio controls) at least 44 × 44 px; every piece of text (any element with a
    text node of its own: headings, divs, spans, labels …) at least 16 px."""
    metrics = page.evaluate("""selector => {
      const doc = document.scrollingElement || document.documentElement;
      const shown = el => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden'; };
      const small = [];
      for (const el of document.querySelectorAll(selector)) {
        if (!shown(el)) continue;
        const r = el.getBoundingClientRect();
        if (r.height < 44 || r.width < 44) small.push(`${el.tagName}.${el.className}: ${Math.round(r.width)}x${Math.round(r.height)} ${el.textContent.trim().slice(0, 20)}`);
      }
      const tiny = [];
      for (const el of document.querySelectorAll('.pq-app *')) {
        const own = [...el.childNodes].some(n => n.nodeType === Node.TEXT_NODE && n.textContent.trim());
        if (!own || !shown(el)) continue;
        const size = parseFloat(getComputedStyle(el).fontSize);
        if (size < 16) tiny.push(`${el.tagName}.${el.className} ${size}px ${el.textContent.trim().slice(0, 20)}`);
      }
      const wide = [...document.querySelectorAll('.pq-app *')].filter(el => el.getBoundingClientRect().right > window.innerWidth + 1 && shown(el))
        .map(el => `${el.tagName}.${el.className}`).slice(0, 5);
      return {scroll: doc.scrollWidth, width: window.innerWidth, small, tiny, wide};
    }""", TAP_TARGETS)
    assert metrics["scroll"] <= metrics["width"], f"{name}: sideways scrolling ({metrics['scroll']} > {metrics['width']}): {metrics['wide']}"
    assert metrics["small"] == [], f"{name}: tap targets under 44 px: {metrics['small'][:5]}"
    assert metrics["tiny"] == [], f"{name}: text under 16 px: {metrics['tiny'][:5]}"


def font_size(page, selector: str) -> float:
    return page.locator(selector).first.evaluate("el => parseFloat(getComputedStyle(el).fontSize)")
