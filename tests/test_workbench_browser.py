"""The instructor workbench through a real JupyterHub + Voilà + Chromium (issue 12's test, and
issue 16's workbench pages).

Six learners fetch the essay lesson and submit it through the hub's exchange service with their
own hub tokens (nbgrader's exchange classes, as in their servers). Then, in the browser:
- the instructor lands on the workbench; 作业总览 counts the six submissions still in the exchange;
- 评分: the progress bar is watched while it moves (every value it takes is recorded) and
  reaches the total; a Chinese summary card;
- two DIFFERENT instructor accounts have the same essay open and save at once: one save wins,
  the other is told; the next essay is saved with the keyboard (Enter in the score box) right
  after typing, a third with Ctrl+Enter from the comment box; the gradebook holds exactly the
  scores and the comment typed;
- a marked learner logs in: the learner app's result page shows the new total;
- 线下活动: a session entered by ticking members; 学习评价: 学风 and 评语 saved;
- 导出: every file is downloaded (xlsx opened with openpyxl, exact Chinese header row; CSV decoded
  with its BOM, header checked) and the report opens in a new tab;
- 花名册: a roster with a bad row names that row.
Then the same lesson's remaining essays in nbgrader's formgrader, scripted, counting actions.
"""
from __future__ import annotations

import csv
import re
import sys
import time
from pathlib import Path

import pytest

from conftest import CHROMIUM_ARGS, REPO, require

sys.path.insert(0, str(Path(__file__).parent))
from helpers_grading import essay_course  # noqa: E402
from helpers_records import EXPORT_HEADERS  # noqa: E402
from helpers_hub import HubUser, browser_login, english_strings_in, exchange_submit, start_app_hub, wait_or_screenshot  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.browser]
ACTIONS: list[str] = []  # what the instructor did, counted for the benchmark figure
LEARNERS = 6
SECOND = "instructor2"
# the files the browser test opens, with the header rows the training office reads
HEADERS = {name: EXPORT_HEADERS[name] for name in ("年度学时汇总", "支部汇总", "活动台账", "出勤明细", "量化考评")}
# records the progress label's text and the bar's width every time the page changes them
WATCH_BAR = """() => {
  window.__pqBar = [];
  new MutationObserver(() => {
    const label = document.querySelector('.pq-progress-label');
    if (label) { window.__pqBar.push(label.innerText); }
  }).observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true});
}"""


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    require((REPO / "node_modules/.bin/configurable-http-proxy").exists(), "configurable-http-proxy in node_modules (npm install)")
    from partyquiz.build import quiz_key
    from partyquiz.draw import drawn_questions, seed_for

    tmp = tmp_path_factory.mktemp("wbhub")
    course = essay_course(tmp / "courses")
    setup, prepared, proc = start_app_hub(tmp / "hub", learners=LEARNERS, courses=[tmp / "courses" / "course-essay"],
                                          co_instructors=(SECOND,))
    key = quiz_key(course, course.lessons[0])
    answers = {}
    try:
        for n, p in enumerate(prepared.learners):
            student = p.id.lower()
            drawn = drawn_questions(key.quiz, seed_for(key.course_id, key.assignment, student, key.quiz.id))
            values = {q: key.questions[q].answer for q in drawn if key.questions[q].type == "truefalse"}
            values["es-xinde"] = f"学员{n + 1}：坚持三会一课，联系支部实际。"
            user = HubUser(setup.url, student, prepared.passwords[student])
            assert user.login(), student
            # from the learner's own home, where the learner app keeps the lesson and its answers
            exchange_submit(setup, student, user.make_token(), key, values, setup.home / student)
            user.close()
            answers[student] = values
        assert not (setup.grader_root / "submitted").exists()  # nothing is collected before 评分
        yield setup, prepared, key, course, answers
    finally:
        proc.stop()


def _click(page, locator, what: str):
    locator.click()
    ACTIONS.append(what)


def _tab(page, title: str, count: bool = True):
    locator = page.locator(".lm-TabBar-tab", has_text=title).first
    if count:
        _click(page, locator, f"tab {title}")
    else:
        locator.click()


def _wait_text(locator, pattern: str, timeout: float = 120) -> str:
    deadline = time.monotonic() + timeout
    while True:
        text = locator.inner_text()
        if re.search(pattern, text) or time.monotonic() > deadline:
            assert re.search(pattern, text), f"{pattern!r} not in {text!r}"
            return text
        time.sleep(0.5)


def _manual_scores(setup, key) -> dict[str, float]:
    from nbgrader.api import Gradebook

    with Gradebook(setup.site().gradebook_url) as gb:
        out = {}
        for sub in gb.assignment_submissions(key.assignment):
            for nb in sub.notebooks:
                for grade in nb.grades:
                    if grade.name.startswith("essay_") and grade.manual_score is not None:
                        out[sub.student.id] = grade.manual_score
        return out


def _comment(setup, key, student: str) -> str | None:
    from nbgrader.api import Gradebook

    with Gradebook(setup.site().gradebook_url) as gb:
        return gb.find_comment("essay_es-xinde", key.notebook, key.assignment, student).manual_comment


def test_instructor_grades_marks_downloads_and_imports_in_the_browser(hub, chromium_path, tmp_path):
    import openpyxl
    from playwright.sync_api import sync_playwright

    from partyquiz.scoring import auto_score

    setup, prepared, key, course, answers = hub
    ins = setup.instructor
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1366, "height": 900}, accept_downloads=True)
            page = context.new_page()
            browser_login(page, setup.url, ins, prepared.passwords[ins], timeout=300_000)
            ACTIONS.append("log in")
            page.locator(".pq-workbench-title").wait_for(timeout=300_000)
            assert english_strings_in(page.locator("body").inner_text()) == []
            overview = page.locator("table.pq-overview")
            overview.wait_for()
            assert "NaN" not in overview.inner_text()
            # 已提交 counts what waits in the exchange (asked after the first paint); nothing graded by opening
            row = overview.locator("tbody tr").first
            _wait_text(row, rf"\t{LEARNERS}\t0\t")

            # 评分: one button; the bar is seen moving (values between 0 and the total), then the total
            _tab(page, "评分")
            page.locator("button.pq-grade").wait_for()
            page.evaluate(WATCH_BAR)
            _click(page, page.locator("button.pq-grade"), "grade")
            card = page.locator(".pq-grade-card")
            card.wait_for(timeout=300_000)
            assert f"已评分 {LEARNERS} 份" in card.inner_text()
            seen = [tuple(map(int, m.groups())) for text in page.evaluate("window.__pqBar")
                    if (m := re.search(r"(\d+) / (\d+) 份", text))]
            assert seen and seen[-1] == (LEARNERS, LEARNERS), seen
            assert any(0 < done < total for done, total in seen[:-1]), f"the bar never showed a value between 0 and the total: {seen}"
            bar = page.locator(f".pq-progress-{key.assignment} .progress-bar")
            assert bar.evaluate("b => b.style.width") in ("100%", "100.0%")

            # two different instructor accounts open the marking queue: the same first essay
            other = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
            browser_login(other, setup.url, SECOND, prepared.passwords[SECOND], timeout=300_000)
            wait_or_screenshot(other.locator(".pq-workbench-title"), other, tmp_path / "second-instructor.png", 300_000)
            _tab(other, "简答题批阅", count=False)
            _tab(page, "简答题批阅")
            for p in (page, other):
                p.locator(".pq-essay-stem").wait_for(timeout=120_000)
            assert "学员 #1" in page.locator(".pq-essay-who").inner_text()  # blind marking is on
            assert not any(p.name in page.locator(".pq-essay").inner_text() for p in prepared.learners)
            assert "三会一课" in page.locator(".pq-essay-answer").inner_text()
            assert "言之有理即可" in page.locator(".pq-essay-reference").inner_text()  # the rubric from the course
            assert page.locator(".pq-essay-answer").inner_text() == other.locator(".pq-essay-answer").inner_text()

            # both type a score and save at once: the first instructor with the keyboard while the
            # cursor is still in the box (Ctrl+Enter), the second with the button
            page.locator(".pq-mark-score input").fill("4")
            ACTIONS.append("type score")
            other.locator(".pq-mark-score input").fill("1")
            page.locator(".pq-mark-score input").press("Control+Enter")
            ACTIONS.append("save and next (Ctrl+Enter)")
            other.locator("button.pq-mark-save").click()
            outcome = {}
            for name, p in (("first", page), ("second", other)):
                message = p.locator(".pq-mark-saved, .pq-mark-conflict").first
                message.wait_for(timeout=300_000)
                outcome[name] = message.inner_text()
            saved = [n for n, text in outcome.items() if "已保存" in text]
            told = [n for n, text in outcome.items() if "另一位教师" in text]
            assert len(saved) == 1 and len(told) == 1, outcome  # one save wins, the other is told
            winner = {"first": 4, "second": 1}[saved[0]]
            assert f"已保存 {winner} 分" in outcome[saved[0]] and f"评为 {winner} 分" in outcome[told[0]]

            # the next essay with Enter in the score box, pressed right after typing (no blur first)
            page.locator(".pq-essay-count", has_text="第 1 /").wait_for(timeout=120_000)
            field = page.locator(".pq-mark-score input")
            field.fill("3")
            ACTIONS.append("type score")
            field.press("Enter")
            ACTIONS.append("save and next (Enter)")
            page.locator(".pq-mark-saved", has_text="已保存 3 分").wait_for(timeout=300_000)
            # a third: score typed, then a comment, Ctrl+Enter pressed in the comment box
            page.locator(".pq-essay-count", has_text="第 1 /").wait_for(timeout=120_000)
            page.locator(".pq-mark-score input").fill("2.5")
            ACTIONS.append("type score")
            page.locator(".pq-mark-comment textarea").fill("联系支部实际还不够。")
            page.locator(".pq-mark-comment textarea").press("Control+Enter")
            ACTIONS.append("save and next (Ctrl+Enter)")
            page.locator(".pq-mark-saved", has_text="已保存 2.5 分").wait_for(timeout=300_000)
            marks = _manual_scores(setup, key)
            assert sorted(marks.values()) == sorted([float(winner), 3.0, 2.5]), marks  # exactly what was typed
            assert _comment(setup, key, next(s for s, v in marks.items() if v == 2.5)) == "联系支部实际还不够。"

            # a marked learner opens the learner app: the result page shows the new total
            student = next(s for s, v in marks.items() if v == 3.0)
            expected = auto_score(_auto(key, student, answers[student])) + 3.0
            learner = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
            browser_login(learner, setup.url, student, prepared.passwords[student], timeout=300_000)
            learner.locator(".pq-page-centre").wait_for(timeout=300_000)
            lesson_card = learner.locator(f".pq-card-{key.assignment}-{key.notebook}")
            see = lesson_card.locator(".pq-action-result-secondary")  # after a fail with retakes left, 查看结果 is the second button
            (see if see.count() else lesson_card.locator(".pq-action")).first.click()
            result = learner.locator(".pq-page-result .pq-result")
            wait_or_screenshot(result, learner, tmp_path / "learner.png", 180_000)
            total = _wait_text(result, r"总分：[\d.]+ /")
            assert re.search(rf"总分：{expected:g} / ", total), (expected, total)
            assert "待教师批阅" not in learner.locator(".pq-page-result").inner_text()
            learner.context.close()

            # 线下活动: a session entered by ticking members of the branch
            _tab(page, "线下活动")
            page.locator(".pq-se-title input").wait_for(timeout=120_000)
            page.locator(".pq-se-kind select").select_option(label="党课")
            page.locator(".pq-se-title input").fill("党课：学习新党章")
            page.locator(".pq-se-length input").fill("1.5")
            page.locator(".pq-se-length input").blur()
            page.locator(".pq-se-present input").nth(0).check()
            page.locator(".pq-se-present input").nth(1).check()
            page.locator(".pq-se-title input").click()  # the typed length and title are synced on leaving the box
            page.locator("button.pq-se-save").click()
            saved_session = page.locator(".pq-se-saved")
            saved_session.wait_for(timeout=120_000)
            assert "出席 2 人" in saved_session.inner_text() and "1.5 学时" in saved_session.inner_text()
            assert "党课：学习新党章" in page.locator(".pq-se-list").inner_text()

            # 学习评价: 学风、纪律 and 评语 for one member
            _tab(page, "学习评价")
            page.locator(".pq-ev-person select").wait_for(timeout=120_000)
            page.locator(".pq-ev-study select").select_option(label="优")
            page.locator(".pq-ev-discipline select").select_option(label="良")
            page.locator(".pq-ev-comment textarea").fill("学习认真，按时参加组织生活。")
            page.locator(".pq-ev-comment textarea").blur()
            page.locator("button.pq-ev-save").click()
            answer = page.locator(".pq-ev-message p").first
            answer.wait_for(timeout=120_000)
            assert "已保存" in answer.inner_text(), answer.inner_text()
            assert "学习认真" in page.locator(".pq-ev-list").inner_text()

            # 导出: everything downloads; the report opens in a new tab
            _tab(page, "导出")
            _click(page, page.locator("button.pq-export"), "make exports")
            page.locator("a.pq-zip").wait_for(timeout=300_000)
            assert str(setup.hub_dir) not in page.locator(".pq-downloads").inner_text()
            with page.expect_download() as info:  # everything at once: the fifth action
                _click(page, page.locator("a.pq-zip"), "download all")
            import zipfile

            zipped = tmp_path / "all.zip"
            info.value.save_as(zipped)
            inside = zipfile.ZipFile(zipped).namelist()
            assert "report.html" in inside and any(n.endswith("活动台账.xlsx") for n in inside), inside
            anchors = page.locator("a.pq-download:not(.pq-report):not(.pq-zip)")
            got = {}
            # The first file by its button. Chromium then refuses further quick downloads from one
            # tab ("this site is trying to download multiple files", no prompt when headless), so each
            # other button's link is opened in a tab of its own: the same URL, the same download.
            for n in range(anchors.count()):
                name, href = anchors.nth(n).get_attribute("download"), anchors.nth(n).get_attribute("href")
                tab = page if n == 0 else context.new_page()
                try:
                    with tab.expect_download(timeout=120_000) as info:
                        if n == 0:
                            anchors.nth(n).click()
                        else:
                            try:
                                tab.goto(setup.url + href, referer=page.url)  # Jupyter's files handler checks where a GET comes from
                            except Exception:  # "Download is starting": the page itself never loads
                                pass
                except Exception:
                    raise AssertionError(f"no download for {name} ({href}); got {sorted(got)}")
                assert info.value.suggested_filename == name
                target = tmp_path / name
                info.value.save_as(target)
                got[name] = target
                if tab is not page:
                    tab.close()
            assert len(got) == anchors.count() >= 2 * (3 + 5), sorted(got)  # xlsx + CSV of the main and the activity tables
            for title, header in HEADERS.items():
                sheet = openpyxl.load_workbook(got[f"{title}.xlsx"], read_only=True).worksheets[0]
                assert list(next(sheet.iter_rows(max_row=1, values_only=True))) == header, title
                raw = got[f"{title}.csv"].read_bytes()
                assert raw.startswith(b"\xef\xbb\xbf"), title  # the BOM: Excel reads it as UTF-8
                assert next(csv.reader(raw.decode("utf-8-sig").splitlines())) == header, title
            sheet = openpyxl.load_workbook(got["活动台账.xlsx"], read_only=True).worksheets[0]
            assert any(r[5] == "党课：学习新党章" for r in sheet.iter_rows(min_row=2, values_only=True))
            sheet = openpyxl.load_workbook(got["培训档案.xlsx"], read_only=True).worksheets[0]
            assert any(isinstance(c, str) and "姓名" in c for c in next(sheet.iter_rows(max_row=1, values_only=True)))
            with context.expect_page() as opened:
                _click(page, page.locator("a.pq-report"), "open report")
            report = opened.value
            report.wait_for_load_state()
            assert "/files/exports/report.html" in report.url and "download" not in report.url
            assert "党员教育培训分析报告" in report.locator("body").inner_text()
            report.close()

            # 花名册: a bad row is named
            _tab(page, "花名册")
            bad = tmp_path / "花名册.csv"
            bad.write_bytes("工号,姓名,支部,人员类别\nu0001,张三,第一支部,党员\nu0002,,第一支部,党员\n".encode("gbk"))
            with page.expect_file_chooser() as chooser:  # what a user does: press 上传花名册, pick the file
                _click(page, page.locator(".pq-roster-upload").first, "upload roster")
            chooser.value.set_files(str(bad))
            page.get_by_text("第 3 行").first.wait_for(timeout=60_000)
            assert english_strings_in(page.locator("body").inner_text()) == []
            # no code on the page: not even the Python repr of an object the notebook cell returned
            assert not re.search(r"<[A-Za-z_][\w.]* (?:object )?at 0x[0-9a-f]+>", page.locator("body").inner_text())
        finally:
            browser.close()
    grade_and_download = [a for a in ACTIONS if a in ("grade", "make exports", "download all", "tab 评分", "tab 导出")]
    assert len(grade_and_download) <= 5, grade_and_download
    saves = sum(1 for a in ACTIONS if a.startswith("save and next"))
    per_essay = (ACTIONS.count("type score") + saves) / saves
    print(f"\nactions to grade a batch and download all exports: {len(grade_and_download)}; per essay: {per_essay:g}")


def _auto(key, student: str, values: dict):
    """The automatic part of a learner's score, from the answers they submitted."""
    from partyquiz.model import Answer, now_iso
    from partyquiz.scoring import grade_quiz

    return grade_quiz(key, student, {q: Answer(value=v, saved_at=now_iso()) for q, v in values.items()})


def test_formgrader_actions_per_essay_on_the_same_lesson(hub, chromium_path, tmp_path):
    """The same job in nbgrader's formgrader, scripted the way a marker uses it with the mouse:
    from the notebook's submission list, open a submission that needs manual grading, scroll to
    the essay if it is below the fold, type the score (formgrader saves on leaving the box), go
    back to the list. Counted like the queue's actions (typing into a box is one action)."""
    from playwright.sync_api import sync_playwright

    setup, prepared, key, course, answers = hub
    ins = setup.instructor
    waiting = [s for s in sorted(answers) if s not in _manual_scores(setup, key)]
    assert waiting, "the first test leaves essays for formgrader"
    base = f"{setup.url}/user/{ins}/formgrader"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
            browser_login(page, setup.url, ins, prepared.passwords[ins], timeout=300_000)
            setup_actions, per_essay, seconds = 0, [], []
            page.goto(f"{base}/gradebook")  # the workbench's formgrader link
            setup_actions += 1
            page.get_by_role("link", name=key.assignment).click()
            page.get_by_role("link", name=key.notebook, exact=True).click()
            setup_actions += 2
            for _ in waiting[:2]:
                started, actions = time.monotonic(), 0
                row = page.locator("tbody tr", has=page.locator(".needs-manual-grade span")).first
                row.wait_for(timeout=120_000)
                page.wait_for_load_state("networkidle")  # the list is drawn by script after its data arrives
                row.locator("a:visible").first.click()
                actions += 1
                page.wait_for_url("**/formgrader/submissions/**", timeout=120_000)
                score = page.locator("input.score#essay_es-xinde")
                wait_or_screenshot(score, page, tmp_path / "formgrader.png", 120_000)
                box = score.bounding_box()
                if box is None or box["y"] > page.viewport_size["height"]:
                    actions += 1  # scroll down past the lesson to the essay
                score.fill("2")
                actions += 1
                page.locator(".breadcrumb").get_by_role("link", name=key.notebook, exact=True).click()  # leaving the box saves it
                actions += 1
                page.wait_for_url(f"**/formgrader/gradebook/{key.assignment}/{key.notebook}", timeout=120_000)
                per_essay.append(actions)
                seconds.append(time.monotonic() - started)
        finally:
            browser.close()
    marks = _manual_scores(setup, key)
    assert sum(1 for s in waiting if marks.get(s) == 2.0) == 2, marks  # formgrader's saves reached the gradebook
    print(f"\nformgrader: {setup_actions} actions to reach the list, then per essay {per_essay} "
          f"({sum(seconds) / len(seconds):.1f} s each); the queue: 2 per essay (type the score, save and next)")
