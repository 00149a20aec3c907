"""The real learner app behind the real JupyterHub (`partyquiz serve`'s hub), driven in Chromium.

One learner at a desktop (1366×768, mouse) logs in through the hub's Chinese login form, waits on
the hub's spawn page, lands on the course centre (Voilà, the real `app.ipynb`), opens a lesson,
answers, 交卷, sees the result once the instructor has graded (through the hub's exchange
service), then 我的学习档案: hours against the requirement from the hub's `records` service
(roster category 党员: only 集中培训 and 集体学习 count; an offline 党课 does, the online lesson
does not), the offline activity, 积分. Every page is checked for English interface words, in the
text and in aria-label / title / placeholder attributes; actions are counted from the login form.
Finally the learner logs out from the app (a branch's shared terminal) and is back at the login form.
"""
from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import pytest

from conftest import CHROMIUM_ARGS, REPO, require
from helpers_app import DESKTOP, Actions, app_course, assert_no_english, axe_scan, card, q, release, wait_saved

sys.path.insert(0, str(Path(__file__).parent))
from helpers_hub import HubUser, english_strings_in, hub_setup, notebooks_with  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.slow]
LEARNER = "u0001"


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    require((REPO / "node_modules/.bin/configurable-http-proxy").exists(), "configurable-http-proxy in node_modules (npm install)")
    from partyquiz.exchange.hub import publish_releases
    from partyquiz.hub import prepare_hub, start_hub
    from partyquiz.records.activities import Attendance, Session, store_session
    from partyquiz.records.roster import store_roster

    hub_dir = tmp_path_factory.mktemp("apphub")
    setup = hub_setup(hub_dir, learners=1, courses=[], notebooks=notebooks_with(hub_dir / "nb"))
    prepared = prepare_hub(setup, say=lambda _: None)
    # the app's own test course (every question type, a retake, a countdown), released as `serve` releases courses
    course = app_course()
    site = setup.site()
    publish_releases(site, setup.hub_dir / "exchange-service", release(site, course))
    # the learner is a 党员 on the roster and went to a 党课 this year (2 clock hours = 2 学时)
    person = prepared.learners[0].model_copy(update={"category": "党员"})
    store_roster([person], setup.ledger())
    today = dt.date.today()
    store_session(setup.ledger(), Session(kind="党课", title="学习新党章", date=today, clock_hours=2, branch=person.branch),
                  [Attendance(learner_id=LEARNER)])
    proc = start_hub(setup)
    yield setup, prepared, course, person
    proc.stop()


def grade_through_the_hub(setup, prepared, course, assignment: str, person) -> None:
    """The instructor grades: collect through the hub's exchange service with their own hub token, roll in."""
    from partyquiz.exchange.hub import service_url
    from partyquiz.grading.site import GraderSite
    from partyquiz.pipeline import grade_and_roll_in

    instructor = HubUser(setup.url, setup.instructor, prepared.passwords[setup.instructor])
    try:
        assert instructor.login()
        token = instructor.make_token()
    finally:
        instructor.close()
    port = json.loads(setup.settings_file.read_text())["exchange_port"]
    site = GraderSite(root=setup.grader_root, exchange=setup.exchange, exchange_url=service_url(port),
                      extra={"ServiceExchange": {"token": token}})
    summary, _ = grade_and_roll_in(site, course, assignment, engine="fast", ledger_url=setup.ledger(), roster=[person], progress=False)
    assert summary.graded >= 1, summary


def test_learner_logs_in_through_the_hub_and_goes_centre_lesson_quiz_result_records(hub, chromium_path, tmp_path):
    from playwright.sync_api import sync_playwright

    setup, prepared, course, person = hub
    year = dt.date.today().year
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        page = browser.new_context(**DESKTOP).new_page()
        try:
            act = Actions(page)
            page.goto(f"{setup.url}/hub/login")
            assert english_strings_in(page.locator("body").inner_text()) == []
            page.fill("input[name=username]", LEARNER)
            page.fill("input[name=password]", prepared.passwords[LEARNER])
            act.press(page.locator("#login_submit"), "登录")  # the login form counts as one action

            # the hub starts the learner's server: its waiting page speaks Chinese, progress messages too
            page.wait_for_url("**/hub/spawn-pending/**", timeout=60_000)
            page.get_by_text("正在为您准备学习页面").wait_for(timeout=30_000)
            assert_no_english(page, "spawn-pending")
            # then it opens the app by itself: the real course centre, rendered by Voilà
            page.wait_for_url(f"**/user/{LEARNER}/voila/render/app.ipynb**", timeout=180_000, wait_until="commit")
            page.locator(".pq-page-centre").wait_for(timeout=180_000)
            for chrome in (".jp-MenuBar", ".jp-FileBrowser", ".jp-InputArea-editor"):
                assert page.locator(chrome).filter(visible=True).count() == 0, chrome
            hours = page.locator(".pq-hours").inner_text()
            # 党员: 32 学时 of 集中培训 and 集体学习 a year (rules.yml); the 党课 (集体学习) counts
            assert f"{year} 年度已获 2 学时，要求 32 学时" in hours and "还差 30 学时" in hours, hours
            assert f"{year} 年度积分：2 分" in hours, hours  # attending a 党课: 2 points (rules.yml)
            assert person.name in page.locator(".pq-brand").inner_text()
            assert_no_english(page, "course centre")

            act.press(card(page, "app-l2", "l2").locator(".pq-action"), "开始学习")
            page.locator(".pq-page-lesson").wait_for(timeout=90_000)  # fetched from the hub's exchange service
            assert (setup.home / LEARNER / "app-l2" / "l2.ipynb").exists()
            assert "党课每季度至少一次" in page.locator(".pq-lesson-text").inner_text()
            assert_no_english(page, "lesson")
            act.press(page.locator(".pq-start-quiz"), "开始答题")
            page.locator(".pq-question").nth(1).wait_for(timeout=60_000)
            assert act.count <= 4, f"login → first question: {act.count} actions {act.log}"
            first_question = act.count

            act.press(q(page, "r1").locator("label", has_text="党课"), "answer 1")
            act.press(q(page, "r2").locator("label", has_text="党课"), "answer 2")
            wait_saved(page, 2)
            assert_no_english(page, "quiz")
            before = act.count
            act.press(page.locator(".pq-submit"), "交卷")
            act.press(page.locator(".pq-confirm-yes"), "确认交卷")
            page.locator(".pq-receipt").wait_for(timeout=90_000)
            assert act.count - before <= 2
            assert "已答 2 / 2 题" in page.locator(".pq-receipt").inner_text()
            assert "等待评分" in page.locator(".pq-page-result").inner_text()
            assert_no_english(page, "result (waiting)")

            grade_through_the_hub(setup, prepared, course, "app-l2", person)
            page.locator(".pq-refresh").click()
            page.locator(".pq-verdict.pq-pass").wait_for(timeout=60_000)
            result = page.locator(".pq-page-result").inner_text()
            assert "总分：2 / 2 分（100%）" in result and "合格线" in result, result
            assert_no_english(page, "result")
            axe_scan(page, "result (hub)")

            page.locator(".pq-to-records").click()
            page.locator(".pq-page-records").wait_for(timeout=60_000)
            records = page.locator(".pq-page-records").inner_text()
            # the online lesson (在线自学) is on file but does not count toward a 党员's requirement
            assert f"{year} 年度已获 2 学时，要求 32 学时" in records, records
            assert "计入要求的培训形式：集中培训、集体学习" in records
            # 积分: the lesson completed 1 + its quiz passed 2 + the 党课 2
            assert f"{year} 年度积分：5 分" in records and "参加线下活动（党课）：2 分" in records
            assert "学习新党章" in page.locator(".pq-offline").inner_text()
            assert "党课的要求" in page.locator(".pq-records").first.inner_text() and "合格" in page.locator(".pq-records").first.inner_text()
            assert_no_english(page, "records")
            print(f"hub learner: login → first question {first_question} actions; {act.log}")

            # a shared terminal: the learner logs out from the app and is back at the (Chinese) login form
            # (JupyterHub shows its logout page only with auto_login; logout.html is checked to render in test_hub_frame)
            page.locator(".pq-logout").click()
            page.wait_for_url("**/hub/login**", timeout=30_000)
            assert page.locator("h1").inner_text().strip() == "登录学习平台"
            assert_no_english(page, "login after logout")
            page.goto(f"{setup.url}/user/{LEARNER}/voila/render/app.ipynb")
            page.wait_for_url("**/hub/login**", timeout=30_000)  # logged out means logged out
        except Exception:
            page.screenshot(path=str(tmp_path / "hub-learner.png"), full_page=True)
            raise
        finally:
            browser.close()
