"""Never silent loss: the kernel is killed or restarted, or the connection drops, in the middle of a quiz.

Kernel killed or restarted (its widgets are gone): the page must say so in Chinese, show the
answer given afterwards as not saved (it is not on disk), reload by itself, come back to the quiz,
restore every saved answer from the answer store and point at the question whose answer was lost.
Connection dropped and back (the kernel lives on): the page says so in Chinese and marks the
answer given meanwhile as not saved; once back it is sent again and saved, without a reload.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import CHROMIUM_ARGS, require
from helpers_app import app_course, card, learner_home, open_app, release, running_voila
from partyquiz.grading.site import GraderSite

pytestmark = [pytest.mark.browser, pytest.mark.slow]
LEARNER = "u0002"


def kernel_pids(server, kernel_id: str) -> list[int]:
    """The kernel process the server started for this page (found by its connection file)."""
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if f"kernel-{kernel_id}.json" in cmdline and ("ipykernel" in cmdline or "partyquiz.launch" in cmdline):
            pids.append(int(proc.name))
    return pids


def kernels(server) -> list[dict]:
    with urllib.request.urlopen(f"{server.url}/api/kernels?token={server.token}", timeout=5) as response:
        return json.loads(response.read())


def restart(server, kernel_id: str) -> None:
    """What JupyterLab's 重启内核 does (and the server after a crash): same kernel id, fresh process."""
    request = urllib.request.Request(f"{server.url}/api/kernels/{kernel_id}/restart?token={server.token}", data=b"{}", method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 200


def stored(home: Path) -> dict:
    path = home / "app-l1" / "l1.answers.json"
    return json.loads(path.read_text(encoding="utf-8")).get("answers", {}) if path.exists() else {}


@contextlib.contextmanager
def quiz_open(tmp_path):
    """A learner's phone page on lesson l1's quiz, with one answer saved (q-single)."""
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    require(chromium is not None, "Debian's chromium")
    site = GraderSite(root=tmp_path / "grader", exchange=tmp_path / "exchange")
    release(site, app_course())
    home = learner_home(tmp_path / "homes", site, LEARNER)
    with running_voila(home, f"sqlite:///{tmp_path / 'ledger.db'}", learner=LEARNER) as server, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
        page = context.new_page()
        try:
            open_app(page, server)
            card(page, "app-l1", "l1").locator(".pq-action").tap()
            page.locator(".pq-start-quiz").tap()
            single = page.locator(".pq-qid-q-single")
            single.locator("label", has_text="每季度一次").tap()
            single.locator(".pq-saved-ok").wait_for(timeout=20_000)
            assert stored(home)["q-single"]["value"] == ["quarter"]
            page.evaluate("() => { window.pqBeforeTrouble = true; }")  # gone once the page has reloaded
            yield page, context, server, home
        except Exception:
            page.screenshot(path=str(tmp_path / "connection.png"), full_page=True)
            raise
        finally:
            browser.close()


def answer_then_see_it_marked_unsaved(page, home: Path) -> None:
    tf = page.locator(".pq-qid-q-tf")
    tf.locator("label", has_text="正确").tap()
    # the page says it: banner in Chinese, the question marked as not saved
    banner = page.locator(".pq-conn")
    banner.wait_for(state="visible", timeout=20_000)
    assert "连接中断" in banner.inner_text() and "1 个答案还没有保存" in banner.inner_text()
    page.locator(".pq-qid-q-tf.pq-not-saved").wait_for(timeout=20_000)
    assert page.evaluate("() => getComputedStyle(document.querySelector('.pq-qid-q-tf .pq-saved'), '::after').content").find("未保存") >= 0
    assert "q-tf" not in stored(home)  # indeed not on disk


def reloads_restores_and_points_at_the_lost_answer(page, home: Path) -> None:
    page.wait_for_function("() => !window.pqBeforeTrouble && location.hash === '#pq/quiz/app-l1/l1' && !!document.querySelector('.pq-page-lesson .pq-question')",
                           timeout=120_000)
    page.locator(".pq-qid-q-single .pq-saved-ok").wait_for(timeout=60_000)
    assert page.locator(".pq-qid-q-single").locator("label", has_text="每季度一次").locator("input").is_checked()
    page.locator(".pq-qid-q-tf.pq-lost").wait_for(timeout=20_000)  # the lost answer is pointed at
    assert "尚未作答" in page.locator(".pq-qid-q-tf .pq-saved").inner_text()
    # answering again saves again
    page.locator(".pq-qid-q-tf").locator("label", has_text="正确").tap()
    page.locator(".pq-qid-q-tf .pq-saved-ok").wait_for(timeout=20_000)
    deadline = time.monotonic() + 10
    while "q-tf" not in stored(home) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert stored(home)["q-tf"]["value"] is True


def test_kernel_killed_mid_quiz_page_says_so_reloads_and_restores(tmp_path):
    with quiz_open(tmp_path) as (page, _context, server, home):
        (kernel,) = kernels(server)
        pids = kernel_pids(server, kernel["id"])
        assert pids, "the page's kernel process was not found"
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        answer_then_see_it_marked_unsaved(page, home)
        reloads_restores_and_points_at_the_lost_answer(page, home)


def test_kernel_restarted_mid_quiz_page_says_so_reloads_and_restores(tmp_path):
    with quiz_open(tmp_path) as (page, _context, server, home):
        (kernel,) = kernels(server)
        restart(server, kernel["id"])  # a fresh kernel: the app and its widgets are gone from it
        answer_then_see_it_marked_unsaved(page, home)
        reloads_restores_and_points_at_the_lost_answer(page, home)


def test_connection_dropped_mid_quiz_page_says_so_and_saves_once_back(tmp_path):
    with quiz_open(tmp_path) as (page, context, _server, home):
        context.set_offline(True)  # the branch's network goes away; the kernel lives on
        answer_then_see_it_marked_unsaved(page, home)
        page.wait_for_timeout(2000)
        assert "q-tf" not in stored(home)
        context.set_offline(False)  # back within the reload delay: the change is sent again and saved
        page.get_by_text("已重新连接").wait_for(timeout=30_000)
        page.locator(".pq-qid-q-tf .pq-saved-ok").wait_for(timeout=20_000)
        assert page.locator(".pq-qid-q-tf.pq-not-saved").count() == 0
        deadline = time.monotonic() + 10
        while "q-tf" not in stored(home) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert stored(home)["q-tf"]["value"] is True and stored(home)["q-single"]["value"] == ["quarter"]
        assert page.evaluate("() => window.pqBeforeTrouble === true"), "the page reloaded although nothing was lost"
        page.locator(".pq-conn").wait_for(state="hidden", timeout=20_000)
