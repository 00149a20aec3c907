"""Learners in a real browser: the learner app in Voilà (a Jupyter server with Voilà's server
extension, rooted at the learner's home, as inside the hub), Debian's Chromium by Playwright.

Desktop (1366×768, mouse) and phone (390×844 and 360×800, touch) learners go course centre →
lesson → every question type → 交卷 → result → 我的学习档案, counting their actions; the study
time and sections reached land in the answers file; a retake after a fail, from the course
centre's card; the countdown reaching zero (submit) and passing zero (`time_up: late`); a double
交卷; no English interface string (text and attributes); the axe scan; phone layout (no sideways
scrolling, tap targets ≥ 44 px, text ≥ 16 px); 大字号 grows the text and survives a reload. The
same learner through the real hub is test_app_hub.py; kernel death, restart and a dropped
connection are in test_app_connection.py.
"""
from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

import pytest

from conftest import CHROMIUM_ARGS, require
from helpers_app import (DEADLINE, DESKTOP, PHONE, Actions, answer_every_type, app_course, assert_no_english, assert_phone_layout, axe_scan,
                         card, font_size, grade, inbound, learner_home, open_app, q, release, running_voila, stored, wait_saved, wait_shown)
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
        assert f"截止：{DEADLINE.year}年{DEADLINE.month}月{DEADLINE.day}日" in l1.inner_text() and "未开始" in l1.inner_text()
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
        # the essay box ends above its 已保存 line (its widget's fixed height once let the box cover it)
        box = q(page, "q-essay").locator("textarea").bounding_box()
        saved = q(page, "q-essay").locator(".pq-saved").bounding_box()
        assert box["y"] + box["height"] <= saved["y"] + 1, (box, saved)
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

        assert page.locator(".pq-retake").is_visible()  # offered on the result page, and on the course centre's card:
        page.locator(".pq-nav-centre").tap()
        page.locator(".pq-page-centre").wait_for(timeout=30_000)
        l2 = card(page, "app-l2", "l2")
        assert "可补考" in l2.inner_text() and "已提交 1 / 2 次" in l2.inner_text()
        assert l2.locator(".pq-action").inner_text().strip() == "补考"
        act.press(l2.locator(".pq-action"), "补考")
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
        wait_shown(page, ".pq-time-left", 30_000, "the countdown after 开始答题")
        q(page, "k1").locator("label", has_text="正确").tap()
        receipt = page.locator(".pq-receipt")
        receipt.wait_for(timeout=60_000)  # an 18 s limit: nobody pressed 交卷
        assert "自动交卷" in page.locator(".pq-page-result").inner_text()
        assert len(inbound(site, "app-l3")) == 1
        submitted = json.loads(next(inbound(site, "app-l3")[0].glob("l3.answers.json")).read_text(encoding="utf-8"))
        assert submitted["answers"]["k1"]["value"] is True
    finally:
        page.close()


def on_both_phones(page, name: str) -> None:
    """The layout and language checks at 390×844 and at 360×800 (the small Android phone), back to 390×844."""
    for width, height in ((390, 844), (360, 800)):
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(300)  # one layout pass
        assert_phone_layout(page, f"{name} at {width}×{height}")
    page.set_viewport_size({"width": 390, "height": 844})
    assert_no_english(page, name)


def study(home: Path, assignment: str, notebook: str) -> dict:
    return stored(home, assignment, notebook).get("study") or {}


def test_phone_learner_answers_every_type_by_touch_on_small_phones(world):
    """A second learner on a phone: every question type by touch; the layout at 390×844 and
    360×800 and the no-English check on every page; 大字号 grows the text and survives a reload;
    the page writes study time and sections reached into the answers file."""
    from partyquiz.app.pages import lesson_sections

    site, learner = world["site"], "u0003"
    home = learner_home(world["home"].parent, site, learner)
    with running_voila(home, world["ledger"], learner=learner, extra_env={"PARTYQUIZ_STUDY_REPORT_SECONDS": "2"}) as server:
        page = world["browser"].new_page(**PHONE)
        try:
            act = Actions(page, touch=True)
            open_app(page, server)
            on_both_phones(page, "course centre")
            act.press(card(page, "app-l1", "l1").locator(".pq-action"), "开始学习")
            page.locator(".pq-page-lesson").wait_for(timeout=60_000)
            on_both_phones(page, "lesson")
            assert page.locator(".pq-lesson-text a").get_attribute("target") == "_blank"  # the app stays open

            # 大字号: the text really grows, and the choice survives a reload
            before = font_size(page, ".pq-lesson-text p")
            act.press(page.locator(".pq-large-switch"), "大字号")
            page.locator(".pq-app.pq-large").wait_for()
            larger = font_size(page, ".pq-lesson-text p")
            assert larger >= before * 1.15, (before, larger)
            assert font_size(page, ".pq-start-quiz") > 16
            on_both_phones(page, "lesson, large text")
            page.reload(wait_until="commit")
            page.locator(".pq-page-lesson").wait_for(timeout=120_000)  # back on the lesson (#pq/lesson/…)
            page.locator(".pq-app.pq-large").wait_for(timeout=30_000)
            assert font_size(page, ".pq-lesson-text p") == larger
            act.press(page.locator(".pq-large-switch"), "大字号 off")
            page.wait_for_function("() => !document.querySelector('.pq-app.pq-large')")
            assert font_size(page, ".pq-lesson-text p") == before

            # study time and sections reached: the learner reads every section; the page reports every 2 s
            sections = lesson_sections(home / "app-l1" / "l1.ipynb")
            for n in range(len(sections)):
                page.locator(f".pq-lesson-section[data-section='{n}']").scroll_into_view_if_needed()
                page.mouse.wheel(0, 40)  # the learner is active
                page.wait_for_timeout(700)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and len(study(home, "app-l1", "l1").get("sections_reached", [])) < len(sections):
                time.sleep(0.5)
            written = study(home, "app-l1", "l1")
            assert written.get("sections_reached") == list(range(len(sections))), written
            assert written["sections_total"] == len(sections) and written["active_seconds"] > 0, written

            act.press(page.locator(".pq-start-quiz"), "开始答题")
            page.locator(".pq-question").first.wait_for(timeout=60_000)
            answer_every_type(page, act)
            wait_saved(page, 7)
            assert "已答 7 / 7 题" in page.locator(".pq-progress").inner_text()
            answers = stored(home, "app-l1", "l1")["answers"]
            assert answers["q-num"]["value"] == "32" and answers["q-fill"]["value"] == ["月", "半年"]
            assert answers["q-match"]["value"] == {"dahui": "每季度", "zhiwei": "每月"}
            on_both_phones(page, "quiz")
            spent = study(home, "app-l1", "l1")["active_seconds"]

            act.press(page.locator(".pq-submit"), "交卷")
            act.press(page.locator(".pq-confirm-yes"), "确认交卷")
            page.locator(".pq-receipt").wait_for(timeout=60_000)
            on_both_phones(page, "result")
            act.press(page.locator(".pq-to-records"), "我的学习档案")
            page.locator(".pq-page-records").wait_for(timeout=30_000)
            on_both_phones(page, "records")
            # the study time went on growing while the learner answered
            assert study(home, "app-l1", "l1")["active_seconds"] >= spent > 0
            print(f"phone learner: {act.count} actions: {act.log}")
        finally:
            page.close()


def test_time_up_late_lets_the_learner_go_on_and_marks_later_answers_late(world):
    page = world["browser"].new_page(**PHONE)
    site, home = world["site"], world["home"]
    try:
        open_app(page, world["server"])
        card(page, "app-l4", "l4").locator(".pq-action").tap()
        page.locator(".pq-page-lesson").wait_for(timeout=60_000)
        assert "超时后仍可作答但记为逾期" in page.locator(".pq-quiz-intro").inner_text()
        page.locator(".pq-start-quiz").tap()
        wait_shown(page, ".pq-time-left", 30_000, "the countdown after 开始答题")
        q(page, "k2").locator("label", has_text="正确").tap()
        q(page, "k2").locator(".pq-saved-ok").wait_for(timeout=20_000)
        # the countdown passes zero: the page says so, the quiz stays open, nothing is submitted
        page.locator(".pq-time-up").wait_for(timeout=60_000)
        assert "仍可作答" in page.locator(".pq-time-up").inner_text()
        page.wait_for_timeout(3000)
        assert page.locator(".pq-receipt").count() == 0 and inbound(site, "app-l4") == []
        q(page, "k3").locator("label", has_text="错误").tap()
        page.locator(".pq-qid-k3 .pq-saved-ok").wait_for(timeout=20_000)
        assert "逾期" in q(page, "k3").locator(".pq-saved").inner_text()
        assert "逾期" not in q(page, "k2").locator(".pq-saved").inner_text()
        answers = stored(home, "app-l4", "l4")["answers"]
        assert (answers["k2"]["late"], answers["k3"]["late"]) == (False, True)
        assert_no_english(page, "late quiz")
        page.locator(".pq-submit").tap()
        page.locator(".pq-confirm-yes").tap()
        page.locator(".pq-receipt").wait_for(timeout=60_000)
        assert "自动交卷" not in page.locator(".pq-page-result").inner_text()
        assert len(inbound(site, "app-l4")) == 1
    finally:
        page.close()
