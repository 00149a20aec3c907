"""The whole loop through a real JupyterHub and a real browser.

Two learners log in, fetch the lesson through nbgrader's assignment-list REST endpoints, answer
the quiz by clicking the widgets in Chromium, submit; the instructor's dashboard notebook runs
in the instructor's own kernel and grades; the learners fetch feedback and see their score; the
training file holds both; each learner's 我的学习档案 shows only their own record.
"""
from __future__ import annotations

import json
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from conftest import CHROMIUM_ARGS, REPO, require
from partyquiz.answers import answers_path, load_answers
from partyquiz.build import quiz_key
from partyquiz.draw import drawn_questions, seed_for
from partyquiz.hub import prepare_hub, start_hub
from partyquiz.i18n import t
from partyquiz.records.ledger import learner_records
from partyquiz.scoring import auto_score, grade_quiz

sys.path.insert(0, str(Path(__file__).parent))
from helpers_hub import HubUser, hub_setup  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.browser]
ASSIGNMENT = "jiaoyu-guanli-l1"


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    require((REPO / "node_modules/.bin/configurable-http-proxy").exists(), "configurable-http-proxy in node_modules (npm install)")
    hub_dir = tmp_path_factory.mktemp("hub")
    setup = hub_setup(hub_dir, learners=2, courses=[REPO / "courses" / "jiaoyu-guanli"])
    prepared = prepare_hub(setup, say=lambda _: None)
    proc = start_hub(setup)
    yield setup, prepared
    proc.stop()


def _answers_for(key, learner: str, right: bool) -> dict:
    """Right answers, or wrong ones for all but the first drawn question."""
    drawn = drawn_questions(key.quiz, seed_for(key.course_id, key.assignment, learner, key.quiz.id))
    chosen = {}
    for n, qid in enumerate(drawn):
        q = key.questions[qid]
        good = right or n == 0
        if q.type == "truefalse":
            chosen[qid] = q.answer if good else not q.answer
        elif q.type == "single":
            chosen[qid] = q.correct_ids if good else [next(o.id for o in q.options if not o.correct)]
        elif q.type == "multiple":
            chosen[qid] = q.correct_ids if good else [next(o.id for o in q.options if not o.correct)]
    return chosen


def _login(page, base: str, user: str, password: str) -> None:
    page.goto(f"{base}/hub/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password)
    page.click("#login_submit")
    page.wait_for_url(f"**/user/{user}/**", timeout=90_000)


def _lab_in_english(user: HubUser) -> None:
    """JupyterLab speaks Chinese by default (the frame); this test drives its English menu names,
    so it picks English as a user does in 设置 → 语言 (the same user setting, through its REST API)."""
    r = user.client.put(user.url("lab/api/settings/@jupyterlab/translation-extension:plugin"), headers=user.auth,
                        json={"raw": json.dumps({"locale": "en"})})
    assert r.status_code == 204, (r.status_code, r.text)


def _open_and_run(page, base: str, user: str, path: str) -> None:
    # A fresh workspace (?reset): restored tabs would show another notebook's kernel status.
    page.goto(f"{base}/user/{user}/lab/workspaces/pq-{path.replace('/', '-').replace('.', '-')}/tree/{path}?reset")
    page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook").wait_for(timeout=90_000)
    page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=90_000)
    for _ in range(3):  # a click while the kernel is still connecting can be lost: check and retry
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
        try:
            page.locator(".jp-InputArea-prompt", has_text="[1]").first.wait_for(timeout=20_000)
            return
        except Exception:
            page.keyboard.press("Escape")
    raise AssertionError(f"could not run {path}")


def _fetch_in_ui(page, base: str, user: str) -> None:
    """Nbgrader → Assignment List → Fetch, as a learner does it."""
    page.goto(f"{base}/user/{user}/lab/workspaces/pq-fetch?reset")
    page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Assignment List").first.click()
    released = page.locator("#released_assignments_list")
    released.get_by_text(ASSIGNMENT).wait_for(timeout=60_000)
    try:
        released.get_by_role("button", name="Fetch").first.click()
        page.locator("#fetched_assignments_list").get_by_text(ASSIGNMENT).first.wait_for(timeout=60_000)
    except Exception:
        page.screenshot(path="/tmp/pq-hub-fetch.png")
        raise


def _click_answers(page, key, answers: dict) -> None:
    try:
        page.locator(".pq-quiz").wait_for(timeout=60_000)
    except Exception:
        page.screenshot(path="/tmp/pq-hub-fail.png")
        raise
    for qid, value in answers.items():
        box = page.locator(f".pq-qid-{qid}")
        q = key.questions[qid]
        if q.type == "truefalse":
            box.get_by_label(t("widgets.true" if value else "widgets.false", "zh-CN"), exact=True).check()
        elif q.type == "single":
            text = next(o.text for o in q.options if o.id == value[0])
            box.get_by_label(text, exact=True).check()
        else:
            for option_id in value:
                box.locator(f".pq-option-{option_id} input").check()
        box.locator(".pq-saved-ok").wait_for(timeout=20_000)


def test_two_learners_full_loop(hub, chromium_path, tmp_path):
    from playwright.sync_api import sync_playwright

    setup, prepared = hub
    from partyquiz.authoring import load_course

    course = load_course(REPO / "courses" / "jiaoyu-guanli")
    key = quiz_key(course, course.lessons[0])
    learners = [p.id for p in prepared.learners]
    users = {u: HubUser(setup.url, u, prepared.passwords[u]) for u in [*learners, setup.instructor]}
    for user in users.values():
        assert user.login(), f"{user.name} could not log in with the generated password"
        user.make_token()
    with ThreadPoolExecutor(3) as pool:  # three cold spawns at once
        list(pool.map(lambda u: u.spawn(), users.values()))
    for user in users.values():
        _lab_in_english(user)

    # each learner's nbgrader student id is their hub user name; the instructor's config has none
    for u in learners:
        assert "JUPYTERHUB_USER" in (setup.home / u / ".jupyter/nbgrader_config.py").read_text()
        assert (setup.home / u / "my_records.ipynb").exists()
    assert "student_id" not in (setup.home / setup.instructor / ".jupyter/nbgrader_config.py").read_text()
    # formgrader is the instructor's only
    assert users[learners[0]].client.get(users[learners[0]].url("formgrader"), headers=users[learners[0]].auth).status_code == 404
    assert users[setup.instructor].client.get(users[setup.instructor].url("formgrader"), headers=users[setup.instructor].auth).status_code in (200, 302)

    plan = {learners[0]: _answers_for(key, learners[0], right=True), learners[1]: _answers_for(key, learners[1], right=False)}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            pages = {}
            for n, u in enumerate(learners):
                assert any(a["assignment_id"] == ASSIGNMENT for a in users[u].assignments())
                page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
                _login(page, setup.url, u, prepared.passwords[u])
                if n == 0:  # one learner through the assignment-list panel, the other through its REST endpoint
                    _fetch_in_ui(page, setup.url, u)
                else:
                    users[u].nbgrader("fetch", ASSIGNMENT)
                assert (setup.home / u / ASSIGNMENT / "l1.ipynb").exists()
                _open_and_run(page, setup.url, u, f"{ASSIGNMENT}/l1.ipynb")
                _click_answers(page, key, plan[u])
                pages[u] = page

            expected = {}
            for u in learners:
                saved = load_answers(answers_path(setup.home / u / ASSIGNMENT, "l1")).answers
                assert {q: a.value for q, a in saved.items()} == plan[u], "the clicks are what the answers file holds"
                expected[u] = auto_score(grade_quiz(key, u, saved))
                result = users[u].nbgrader("submit", ASSIGNMENT)
                assert result.get("success", True) is not False, result
            assert expected[learners[0]] > expected[learners[1]]

            # the instructor runs the dashboard notebook in the browser: grade, analytics, exports
            ins_page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            _login(ins_page, setup.url, setup.instructor, prepared.passwords[setup.instructor])
            _open_and_run(ins_page, setup.url, setup.instructor, "instructor.ipynb")
            assert ins_page.locator("a.pq-formgrader").get_attribute("target") == "_blank"  # own tab: the iframe is blank
            try:
                ins_page.locator(".jp-OutputArea-output a", has_text="report.html").wait_for(timeout=180_000)
            except Exception:
                ins_page.screenshot(path="/tmp/pq-hub-instructor.png", full_page=True)
                raise
            report = setup.home / setup.instructor / "exports" / "report.html"
            assert report.exists() and "党员教育培训分析报告" in report.read_text(encoding="utf-8")

            for u in learners:
                users[u].nbgrader("fetch_feedback", ASSIGNMENT)
                feedback = sorted((setup.home / u / ASSIGNMENT / "feedback").glob("*/l1.html"))
                assert feedback, f"no feedback fetched for {u}"
                page = pages[u]
                rel = feedback[-1].relative_to(setup.home / u)
                page.goto(f"{setup.url}/user/{u}/files/{rel}")
                total = page.locator(".total").inner_text()
                assert f"{expected[u]:g}" in total.replace(".0 ", " ") or str(round(expected[u], 2)) in total, total

            # the ledger and the training file hold both
            ledger = json.loads(setup.settings_file.read_text())["ledger_url"]
            for u in learners:
                records = learner_records(ledger, u)
                assert [r.score for r in records] == [pytest.approx(expected[u])]
            training = next((setup.home / setup.instructor / "exports").glob("培训档案*.csv"))
            text = training.read_text(encoding="utf-8-sig")
            for p in prepared.learners:
                assert p.name in text

            # 我的学习档案 comes from the hub's records service: own rows for a learner's token, nothing without one
            settings = json.loads(setup.settings_file.read_text())
            service = f"http://127.0.0.1:{settings['records_port']}/services/records/me"
            assert httpx.get(service, follow_redirects=False).status_code != 200
            for u in learners:
                mine = httpx.get(service, headers=users[u].auth).json()
                assert mine["learner"] == u and {r["learner_id"] for r in mine["records"]} == {u}
                env = users[u].execute(users[u].start_kernel(), "import os; print(os.environ.get('PARTYQUIZ_LEDGER_URL'))")[0]
                assert env.strip() == "None", "a learner's server must not know the ledger"

            # 我的学习档案: own record only
            names = {p.id: p.name for p in prepared.learners}
            for u in learners:
                page = pages[u]
                _open_and_run(page, setup.url, u, "my_records.ipynb")
                table = page.locator("table.pq-records")
                try:
                    table.wait_for(timeout=60_000)
                except Exception:
                    page.screenshot(path="/tmp/pq-hub-records.png")
                    print(users[u].execute(users[u].start_kernel(), "from partyquiz.hub.dashboard import my_records; import os; print(os.environ.get('PARTYQUIZ_LEDGER_URL')); print(my_records())"))
                    raise
                shown = table.inner_text()
                assert u in shown and ASSIGNMENT.split("-l")[0] in shown
                other = next(x for x in learners if x != u)
                assert other not in shown and names[other] not in shown
        finally:
            browser.close()
    for user in users.values():
        user.close()
