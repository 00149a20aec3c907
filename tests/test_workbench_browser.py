"""The instructor workbench through a real JupyterHub + Voilà + Chromium (issue 12's test).

Three learners have submitted a lesson with an essay. The instructor logs in and lands on the
workbench, presses 评分 (the progress bar reaches the total), marks two essays in the queue (the
learner's feedback then shows the marks), downloads every export (Playwright download events;
each xlsx opens with openpyxl and has Chinese headers), and uploads a roster with a bad row
(that row is named on the page). Two instructor pages marking the same essay at once: the
first save wins, the second is told.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from conftest import CHROMIUM_ARGS, REPO, require

sys.path.insert(0, str(Path(__file__).parent))
from helpers_grading import essay_course, submit_direct  # noqa: E402
from helpers_hub import browser_login, english_strings_in, start_app_hub  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.browser]
ACTIONS: list[str] = []  # what the instructor did, counted for the benchmark figure


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    require((REPO / "node_modules/.bin/configurable-http-proxy").exists(), "configurable-http-proxy in node_modules (npm install)")
    from partyquiz.build import quiz_key
    from partyquiz.draw import drawn_questions, seed_for

    tmp = tmp_path_factory.mktemp("wbhub")
    course = essay_course(tmp / "courses")
    setup, prepared, proc = start_app_hub(tmp / "hub", learners=3, courses=[tmp / "courses" / "course-essay"])
    key = quiz_key(course, course.lessons[0])
    site = setup.site()
    for n, p in enumerate(prepared.learners):
        student = p.id.lower()
        drawn = drawn_questions(key.quiz, seed_for(key.course_id, key.assignment, student, key.quiz.id))
        values = {q: key.questions[q].answer for q in drawn if key.questions[q].type == "truefalse"}
        values["es-xinde"] = f"学员{n + 1}：坚持三会一课，联系支部实际。"
        submit_direct(site, key, student, values)
    yield setup, prepared, key
    proc.stop()


def _click(page, locator, what: str):
    locator.click()
    ACTIONS.append(what)


def _tab(page, title: str):
    _click(page, page.locator(".lm-TabBar-tab", has_text=title).first, f"tab {title}")


def test_instructor_grades_marks_downloads_and_imports_in_the_browser(hub, chromium_path, tmp_path):
    import openpyxl
    from playwright.sync_api import sync_playwright

    setup, prepared, key = hub
    ins = setup.instructor
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport={"width": 1366, "height": 900}, accept_downloads=True).new_page()
            browser_login(page, setup.url, ins, prepared.passwords[ins], timeout=300_000)
            ACTIONS.append("log in")
            page.locator(".pq-workbench-title").wait_for(timeout=300_000)
            assert english_strings_in(page.locator("body").inner_text()) == []
            overview = page.locator("table.pq-overview")
            overview.wait_for()
            assert "NaN" not in overview.inner_text()

            # 评分: one button, the bar reaches the total, a Chinese summary card
            _tab(page, "评分")
            _click(page, page.locator("button.pq-grade"), "grade")
            card = page.locator(".pq-grade-card")
            card.wait_for(timeout=240_000)
            assert "已评分 3 份" in card.inner_text()
            bar = page.locator(f".pq-progress-{key.assignment}")
            assert "3 / 3" in page.locator(".pq-progress-label").first.inner_text()
            assert bar.count() == 1

            # two instructor pages have the same first essay open
            other = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
            browser_login(other, setup.url, ins, prepared.passwords[ins], timeout=300_000)
            other.locator(".pq-workbench-title").wait_for(timeout=300_000)
            other.locator(".lm-TabBar-tab", has_text="简答题批阅").first.click()

            # 简答题批阅: two essays, one at a time
            _tab(page, "简答题批阅")
            page.locator(".pq-essay-stem").wait_for()
            assert "学员 #1" in page.locator(".pq-essay-who").inner_text()  # blind marking is on
            assert "三会一课" in page.locator(".pq-essay-answer").inner_text()
            for score in ("4", "3"):
                field = page.locator(".pq-mark-score input")
                field.fill(score)
                ACTIONS.append("type score")
                _click(page, page.locator("button.pq-mark-save"), "save and next")
                page.locator(".pq-mark-saved", has_text=f"已保存 {score} 分").wait_for(timeout=300_000)

            # the other page still shows the first essay as unmarked: its save is refused and it is told
            other.locator(".pq-essay-stem").wait_for()
            other.locator(".pq-mark-score input").fill("1")
            other.locator("button.pq-mark-save").click()
            other.locator(".pq-mark-conflict").wait_for(timeout=60_000)
            assert "4 分" in other.locator(".pq-mark-conflict").inner_text()

            # the learners' feedback follows the marks
            learners = sorted(p.id.lower() for p in prepared.learners)
            marked = {}
            for student in learners:
                html_file = setup.grader_root / "feedback" / student / key.assignment / f"{key.notebook}.html"
                if html_file.exists() and 'data-pending="0"' in html_file.read_text(encoding="utf-8"):
                    marked[student] = html_file.read_text(encoding="utf-8")
            assert len(marked) == 2, sorted(marked)

            # 导出: every file downloads; xlsx files have Chinese headers
            _tab(page, "导出")
            _click(page, page.locator("button.pq-export"), "make exports")
            page.locator("a.pq-download").first.wait_for(timeout=180_000)
            assert str(setup.hub_dir) not in page.locator(".pq-downloads").inner_text()
            with page.expect_download() as info:  # everything at once: the fifth action
                _click(page, page.locator("a.pq-zip"), "download all")
            import zipfile

            zipped = tmp_path / "all.zip"
            info.value.save_as(zipped)
            assert any(n.endswith(".xlsx") for n in zipfile.ZipFile(zipped).namelist())
            anchors = page.locator("a.pq-download:not(.pq-report):not(.pq-zip)")
            names = []
            for n in range(anchors.count()):
                with page.expect_download() as info:
                    _click(page, anchors.nth(n), "download")
                target = tmp_path / info.value.suggested_filename
                info.value.save_as(target)
                names.append(target.name)
                if target.suffix == ".xlsx":
                    sheet = openpyxl.load_workbook(target, read_only=True).worksheets[0]
                    cells = [c for row in sheet.iter_rows(max_row=5, values_only=True) for c in row if isinstance(c, str)]
                    assert any(re.search(r"[\u4e00-\u9fff]", c) for c in cells), target.name
            assert any(n.endswith(".xlsx") for n in names) and any(n.endswith(".csv") for n in names)
            assert page.locator("a.pq-report").get_attribute("target") == "_blank"

            # 花名册: a bad row is named
            _tab(page, "花名册")
            bad = tmp_path / "花名册.csv"
            bad.write_bytes("工号,姓名,支部,人员类别\nu0001,张三,第一支部,普通党员\nu0002,,第一支部,普通党员\n".encode("gbk"))
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
    per_essay = ACTIONS.count("type score") / 2 + ACTIONS.count("save and next") / 2
    print(f"\nactions to grade a batch and download all exports: {len(grade_and_download)}; per essay: {per_essay:g}")
