"""A learner in a real browser: JupyterLab on 127.0.0.1, Debian's Chromium driven by Playwright.

Runs the lesson notebook, answers every question type by clicking and typing, restarts the
kernel, reloads the page, runs it again and checks every answer is shown again and is in the
answers file; checks Chinese text was drawn with a CJK font.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import CHROMIUM_ARGS, require
from helpers_widgets import (build_lesson, every_type_course, open_notebook, platform_fonts, restart_kernel, run_all,
                             running_lab, wait_for_answers)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def lab_and_browser(tmp_path_factory):
    """One JupyterLab and one Chromium for this module: starting them is most of the time."""
    import shutil

    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    require(chromium is not None, "Debian's chromium")
    home = tmp_path_factory.mktemp("lab") / "home"
    graded = build_lesson(home, every_type_course("graded", time_limit=40))
    practice_course = every_type_course("practice")
    practice_course.id = "practice"
    practice = build_lesson(home, practice_course)
    with running_lab(home) as lab, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            yield lab, browser, graded, practice
        finally:
            browser.close()

EXPECTED = {
    "q-single": ["quarter"],
    "q-multiple": ["zhengzhi", "jingshen"],
    "q-tf": True,
    "q-fill": ["月", "半年"],
    "q-num": "32",
    "q-match": {"dahui": "每季度", "zhiwei": "每月"},
    "q-essay": "坚持三会一课，增强党性。",
}


def q(page, qid: str):
    return page.locator(f".pq-qid-{qid}")


def answer_by_hand(page) -> None:
    q(page, "q-single").locator("label", has_text="每季度一次").click()
    q(page, "q-multiple").locator(".pq-option-jingshen input").check()
    q(page, "q-multiple").locator(".pq-option-zhengzhi input").check()
    # keyboard only: focus the first true/false radio button and press Space
    q(page, "q-tf").locator("input[type=radio]").first.focus()
    page.keyboard.press("Space")
    # blanks found by their visible label (label ↔ input association), Tab to the next blank
    q(page, "q-fill").get_by_label("第 1 空").press_sequentially("月")
    page.keyboard.press("Tab")
    page.keyboard.type("半年")
    q(page, "q-num").locator("input").press_sequentially("32")
    q(page, "q-match").locator(".pq-match-dahui select").select_option(label="每季度")
    q(page, "q-match").locator(".pq-match-zhiwei select").select_option(label="每月")
    q(page, "q-essay").locator("textarea").press_sequentially(EXPECTED["q-essay"])


def shown_answers(page) -> dict:
    """What the page shows, read back from the DOM in answer-value shape."""
    def checked(locator) -> bool:
        return locator.is_checked()

    def selected(select) -> str:
        return select.evaluate("s => s.selectedIndex < 0 ? '' : s.options[s.selectedIndex].text")

    multiple = q(page, "q-multiple")
    return {
        "q-single": ["quarter"] if checked(q(page, "q-single").locator("label", has_text="每季度一次").locator("input")) else None,
        "q-multiple": [o for o in ("zhengzhi", "jingshen") if checked(multiple.locator(f".pq-option-{o} input"))]
        if not checked(multiple.locator(".pq-option-chengfa input")) else "extra",
        "q-tf": checked(q(page, "q-tf").locator("input[type=radio]").first),
        "q-fill": [q(page, "q-fill").locator(f".pq-blank-{n} input").input_value() for n in (1, 2)],
        "q-num": q(page, "q-num").locator("input").input_value(),
        "q-match": {p: selected(q(page, "q-match").locator(f".pq-match-{p} select")) for p in ("dahui", "zhiwei")},
        "q-essay": q(page, "q-essay").locator("textarea").input_value(),
    }


def test_learner_answers_every_type_and_finds_them_after_restart_and_reload(tmp_path: Path, lab_and_browser):
    lab, browser, folder, _practice = lab_and_browser
    notebook = f"{folder.name}/l1.ipynb"
    page = browser.new_page(viewport={"width": 1280, "height": 1400})
    try:
        open_notebook(page, lab, notebook)
        run_all(page, 7)
        assert page.locator(".pq-progress").inner_text().startswith("已答 0 / 7 题")
        answer_by_hand(page)

        on_disk = wait_for_answers(folder, EXPECTED)
        assert on_disk == EXPECTED
        page.locator(".pq-saved-ok").nth(6).wait_for(timeout=10_000)
        assert page.locator(".pq-saved-ok").first.inner_text().startswith("已保存 ")
        assert page.locator(".pq-progress").inner_text().startswith("已答 7 / 7 题")

        restart_kernel(page)
        page.reload()
        open_notebook(page, lab, notebook)
        run_all(page, 7)
        assert shown_answers(page) == EXPECTED
        assert page.locator(".pq-progress").inner_text().startswith("已答 7 / 7 题")
        assert wait_for_answers(folder, EXPECTED, timeout=0) == EXPECTED  # re-rendering changed nothing

        # the time left counts down on its own (a kernel thread), from the file's started_at
        first = page.locator(".pq-time-left").inner_text()
        assert first.startswith("剩余时间 ")
        page.wait_for_function("old => document.querySelector('.pq-time-left').innerText !== old", arg=first, timeout=5_000)

        page.screenshot(path=str(tmp_path / "quiz.png"), full_page=True)
        assert (tmp_path / "quiz.png").stat().st_size > 20_000
        fonts = platform_fonts(page, ".pq-qid-q-single .pq-stem p")
        cjk = [f for f in fonts if "CJK" in f["familyName"] or f["familyName"].endswith((" SC", " CN"))]
        assert cjk and sum(f["glyphCount"] for f in cjk) >= 10, f"Chinese drawn without a CJK font: {fonts}"
    finally:
        page.close()


def test_practice_verdict_and_two_tabs_of_one_notebook(lab_and_browser):
    lab, browser, _graded, folder = lab_and_browser
    notebook = f"{folder.name}/l1.ipynb"
    context = browser.new_context(viewport={"width": 1280, "height": 1400})
    try:
        tab_a = context.new_page()
        open_notebook(tab_a, lab, notebook)
        run_all(tab_a, 7)
        single = q(tab_a, "q-single")
        single.locator("label", has_text="每月一次").click()
        single.locator(".pq-check").click()
        single.locator(".pq-wrong").wait_for()
        assert "每季度召开一次" in single.locator(".pq-explanation").inner_text()  # 解析 at once
        single.locator(".pq-retry").click()
        single.locator("label", has_text="每季度一次").click()
        single.locator(".pq-check").click()
        single.locator(".pq-right").wait_for()
        assert single.locator(".pq-feedback").inner_text().startswith("✔ 回答正确")

        # a second tab of the same notebook, which never saw tab A's answers being given
        tab_b = context.new_page()
        open_notebook(tab_b, lab, notebook)
        run_all(tab_b, 7)
        q(tab_b, "q-tf").locator("label", has_text="正确").click()
        assert wait_for_answers(folder, {"q-single": ["quarter"], "q-tf": True}) == {"q-single": ["quarter"], "q-tf": True}
        q(tab_a, "q-num").locator("input").press_sequentially("32")  # back in tab A
        expected = {"q-single": ["quarter"], "q-tf": True, "q-num": "32"}
        assert wait_for_answers(folder, expected) == expected
    finally:
        context.close()
