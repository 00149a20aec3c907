"""Learners in a real browser: the learner app in Voilà (a Jupyter server with Voilà's server
extension, rooted at the learner's home, as inside the hub), Debian's Chromium by Playwright.

Desktop (1366×768, mouse) and phone (390×844, touch) learners go course centre → lesson → every
question type → 交卷 → result → 我的学习档案, counting their actions; a retake after a fail; the
countdown reaching zero; a double 交卷; no English interface string; the axe scan; phone layout
(no sideways scrolling, tap targets ≥ 44 px, body text ≥ 16 px). The kernel-death test is in
test_app_connection.py.
"""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from conftest import CHROMIUM_ARGS, require
from helpers_app import (DESKTOP, PHONE, Actions, answer_every_type, app_course, assert_no_english, assert_phone_layout, axe_scan,
                         card, grade, inbound, learner_home, open_app, q, release, running_voila, stored, wait_saved)
from partyquiz.grading.site import GraderSite

pytestmark = [pytest.mark.browser, pytest.mark.slow]

@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    require(chromium is not None, "Debian's chromium")
    root = tmp_path_factory.mktemp("app")
    site = GraderSite(root=root / "grader", exchange=root / "exchange")
    course = app_course()
    release(site, course)
    home = learner_home(root / "homes", site)
    ledger = f"sqlite:///{root / 'ledger.db'}"
    with running_voila(home, ledger) as server, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            yield {"site": site, "course": course, "home": home, "ledger": ledger, "server": server, "browser": browser}
        finally:
            browser.close()


def test_desktop_learner_course_centre_to_records(world, tmp_path):
    page = world["browser"].new_page(**DESKTOP)
    home, site = world["home"], world["site"]
    try:
        act = Actions(page)
        act.count, act.log = 1, ["login"]  # the hub's login form counts as one action
        open_app(page, world["server"])
        l1 = card(page, "app-l1", "l1")
        assert "三会一课" in l1.inner_text() and "必修" in l1.inner_text() and "2 学时" in l1.inner_text()
        assert "截止：2026年12月31日" in l1.inner_text() and "未开始" in l1.inner_text()
        assert "选修" in card(page, "app-l2", "l2").inner_text()
        assert not (home / "app-l1").exists()  # fetching happens behind the button
        assert_no_english(page)
        axe_scan(page, "course centre")

        act.press(l1.locator(".pq-action"), "开始学习")
        page.locator(".pq-page-lesson").wait_for(timeout=60_000)
        assert (home / "app-l1" / "l1.ipynb").exists()
        lesson = page.locator(".pq-lesson-text")
        assert "营造深厚的学习风气。" in lesson.locator("strong").first.inner_text()  # bold, not **…**
        assert "**" not in lesson.inner_text()
        # media from the lesson folder, offline: the image inlined, the video served by Voilà's file handler
        assert lesson.locator("img[alt='会议示意图']").evaluate("img => img.complete && img.naturalWidth > 0")
        video = lesson.locator("video")
        assert video.count() == 1 and video.get_attribute("src").endswith("/voila/files/app-l1/media/jiangjie.webm")
        status = page.evaluate("src => fetch(src).then(r => r.status)", video.get_attribute("src"))
        assert status == 200
        intro = page.locator(".pq-quiz-intro").inner_text()
        assert "共 7 题" in intro and "合格线" in intro and "40 分钟" in intro
        # each label (题量, 合格线, …) reads on one line, not one character a line
        wrapped = page.evaluate("""() => [...document.querySelectorAll('.pq-quiz-intro dt')]
          .filter(dt => dt.getBoundingClientRect().height > 1.5 * parseFloat(getComputedStyle(dt).lineHeight || 24)).map(dt => dt.textContent)""")
        assert wrapped == [], f"quiz facts' labels wrap: {wrapped}"
        assert_no_english(page)
        axe_scan(page, "lesson")

        act.press(page.locator(".pq-start-quiz"), "开始答题")
        page.locator(".pq-question").first.wait_for(timeout=30_000)
        assert act.count <= 4, f"login → first question took {act.count} actions: {act.log}"
        first_question_actions = act.count

        answer_every_type(page, act)
        wait_saved(page, 7)
        assert "已答 7 / 7 题" in page.locator(".pq-progress").inner_text()
        assert page.locator(".pq-nav a.pq-nav-answered").count() == 7
        act.press(q(page, "q-essay").locator(".pq-flag"), "flag")
        page.locator(".pq-nav a.pq-nav-flagged").wait_for()
        assert_no_english(page)
        axe_scan(page, "quiz")

        before = act.count
        act.press(page.locator(".pq-submit"), "交卷")
        confirm = page.locator(".pq-confirm")
        confirm.wait_for()
        assert "全部题目均已作答" in confirm.inner_text() and "标记待查的题" in confirm.inner_text()
        act.press(confirm.locator(".pq-confirm-yes"), "确认交卷")
        receipt = page.locator(".pq-receipt")
        receipt.wait_for(timeout=60_000)
        assert act.count - before <= 2
        text = receipt.inner_text()
        assert re.search(r"提交时间：2\d{3}年\d{1,2}月\d{1,2}日 星期. \d{2}:\d{2}:\d{2}（北京时间）", text), text
        assert "已答 7 / 7 题" in text and "UTC" not in text
        assert len(inbound(site, "app-l1")) == 1
        assert stored(home, "app-l1", "l1")["submitted_attempt"] == 1

        # the instructor grades; the essay waits for a hand mark
        grade(site, world["course"], "app-l1", world["ledger"])
        page.locator(".pq-refresh").click()
        page.locator(".pq-feedback-page").wait_for(timeout=30_000)
        result = page.locator(".pq-page-result").inner_text()
        assert "待批阅" in result and "简答题待教师批阅" in result and "合格线" in result
        assert "总分" in result
        assert_no_english(page)
        axe_scan(page, "result")

        # the instructor marks the essay in the workbench: the open result page updates by itself
        from partyquiz.workbench.marking import essay_queue, refresh_learner, save_mark

        (item,) = [i for i in essay_queue(site.gradebook_url, site.root, [world["course"]]) if i.student == "u0001"]
        save_mark(site.gradebook_url, item, 8, "言之有理", seen=None)
        refresh_learner(site, world["course"], item, ledger_url=world["ledger"])
        page.locator(".pq-verdict.pq-pass").wait_for(timeout=120_000)  # nobody pressed anything
        result = page.locator(".pq-page-result").inner_text()
        assert "总分：14 / 16 分" in result and "待教师批阅" not in result, result

        page.locator(".pq-to-records").click()
        page.locator(".pq-page-records").wait_for(timeout=30_000)
        records = page.locator(".pq-page-records").inner_text()
        assert "我的学习档案" in records and "下一步" in records
        assert "《党课的要求》" in records and "尚未开始学习" in records  # what to do next
        assert "False" not in records and "learner_id" not in records
        assert_no_english(page)
        axe_scan(page, "records")
        page.screenshot(path=str(tmp_path / "records.png"))
        print(f"desktop actions: login→first question {first_question_actions}, total {act.count}: {act.log}")
    finally:
        page.close()


def test_phone_learner_fails_retakes_and_passes(world):
    page = world["browser"].new_page(**PHONE)
    home, site = world["home"], world["site"]
    try:
        act = Actions(page, touch=True)
        open_app(page, world["server"])
        assert_phone_layout(page, "course centre")
        act.press(card(page, "app-l2", "l2").locator(".pq-action"), "开始学习")
        page.locator(".pq-page-lesson").wait_for(timeout=60_000)
        assert_phone_layout(page, "lesson")
        act.press(page.locator(".pq-start-quiz"), "开始答题")
        page.locator(".pq-question").nth(1).wait_for(timeout=30_000)
        act.press(q(page, "r1").locator("label", has_text="党员大会"), "wrong answer")
        wait_saved(page, 1)
        assert_phone_layout(page, "quiz")
        act.press(page.locator(".pq-submit"), "交卷")
        confirm = page.locator(".pq-confirm")
        confirm.wait_for()
        assert "还有 1 题未作答：第" in confirm.inner_text()
        # a double tap on 确认交卷 must submit once
        confirm.locator(".pq-confirm-yes").dblclick()
        page.locator(".pq-receipt").wait_for(timeout=60_000)
        assert len(inbound(site, "app-l2")) == 1, "a double 交卷 submitted twice"

        grade(site, world["course"], "app-l2", world["ledger"])
        page.locator(".pq-refresh").tap()
        page.locator(".pq-verdict.pq-fail").wait_for(timeout=30_000)
        result = page.locator(".pq-page-result").inner_text()
        assert "不合格" in result and "还可以补考 1 次" in result
        assert_phone_layout(page, "result")

        act.press(page.locator(".pq-retake"), "补考")
        page.locator(".pq-page-lesson").wait_for(timeout=30_000)
        assert "第 2 次作答" in page.locator(".pq-quiz-intro").inner_text()
        assert (home / "app-l2" / "l2.answers.attempt-1.json").exists()  # the first attempt is kept
        # the retake's sheet is not submitted, however soon after the first 交卷 the learner taps 补考
        assert page.locator(".pq-start-quiz").inner_text().strip() == "开始答题"
        act.press(page.locator(".pq-start-quiz"), "开始答题")
        page.locator(".pq-question").nth(1).wait_for(timeout=30_000)
        assert "尚未作答" in q(page, "r1").inner_text()  # a fresh sheet
        act.press(q(page, "r1").locator("label", has_text="党课"), "right 1")
        act.press(q(page, "r2").locator("label", has_text="党课"), "right 2")
        wait_saved(page, 2)
        act.press(page.locator(".pq-submit"), "交卷")
        act.press(page.locator(".pq-confirm-yes"), "确认交卷")
        page.locator(".pq-receipt").wait_for(timeout=60_000)
        assert "第 2 次提交" in page.locator(".pq-receipt").inner_text()
        assert len(inbound(site, "app-l2")) == 2  # the exchange keeps every attempt

        grade(site, world["course"], "app-l2", world["ledger"])
        page.locator(".pq-refresh").tap()
        page.locator(".pq-verdict.pq-pass").wait_for(timeout=30_000)
        assert "第 1 次" in page.locator(".pq-page-result").inner_text()  # every attempt listed

        from partyquiz.records.ledger import record_history

        history = record_history(world["ledger"], "u0001", "app", "l2")
        assert [bool(r["passed"]) for r in history] == [False, True]  # the ledger keeps both attempts

        page.locator(".pq-large-switch").tap()
        page.locator(".pq-app.pq-large").wait_for()
        page.locator(".pq-nav-records").tap()
        page.locator(".pq-page-records").wait_for(timeout=30_000)
        assert_phone_layout(page, "records")
        assert "合格" in page.locator(".pq-records").first.inner_text()
        page.set_viewport_size({"width": 360, "height": 800})
        assert_phone_layout(page, "records at 360×800")
        axe_scan(page, "records (phone, large text)")
    finally:
        page.close()


def test_countdown_reaching_zero_submits(world):
    page = world["browser"].new_page(**PHONE)
    site = world["site"]
    try:
        open_app(page, world["server"])
        card(page, "app-l3", "l3").locator(".pq-action").tap()
        page.locator(".pq-page-lesson").wait_for(timeout=60_000)
        assert "时间到自动交卷" in page.locator(".pq-quiz-intro").inner_text()
        page.locator(".pq-start-quiz").tap()
        page.locator(".pq-time-left").wait_for(timeout=30_000)
        q(page, "k1").locator("label", has_text="正确").tap()
        receipt = page.locator(".pq-receipt")
        receipt.wait_for(timeout=40_000)  # 6 s limit: nobody pressed 交卷
        assert "自动交卷" in page.locator(".pq-page-result").inner_text()
        assert len(inbound(site, "app-l3")) == 1
        submitted = json.loads(next(inbound(site, "app-l3")[0].glob("l3.answers.json")).read_text(encoding="utf-8"))
        assert submitted["answers"]["k1"]["value"] is True
    finally:
        page.close()
