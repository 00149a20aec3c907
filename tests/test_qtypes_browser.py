"""Cloze and description in a real browser (JupyterLab + Debian's Chromium): the learner types
into the blanks inside the sentence and picks from the inline menu; the answers file holds
them at once; the description is text with no number and does not count in the progress."""
from __future__ import annotations

import pytest
from conftest import CHROMIUM_ARGS, require
from helpers_widgets import build_lesson, open_notebook, run_all, running_lab, wait_for_answers
from test_qtypes_widgets import course

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_learner_fills_a_cloze_inline_next_to_a_description(tmp_path):
    import shutil

    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    require(chromium is not None, "Debian's chromium")
    home = tmp_path / "home"
    folder = build_lesson(home, course("graded"))
    expected = {"ex-cloze": {"pinci": "月", "cishu": "２", "ke": "dangke"}}
    with running_lab(home) as lab, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1200})
        try:
            open_notebook(page, lab, f"{folder.name}/l1.ipynb")
            run_all(page, 3)
            text = page.locator(".pq-qid-ex-description")
            assert "以下几题围绕" in text.inner_text() and "第 1 题" not in text.inner_text()
            assert page.locator(".pq-progress").inner_text().startswith("已答 0 / 2 题")
            cloze = page.locator(".pq-qid-ex-cloze")
            blank = cloze.locator(".pq-cloze-pinci input")
            # the blank sits on the line of the sentence around it, not below the stem
            sentence = cloze.get_by_text("支委会一般每", exact=False).first.bounding_box()
            box = blank.bounding_box()
            assert abs((box["y"] + box["height"] / 2) - (sentence["y"] + sentence["height"] / 2)) < box["height"]
            blank.press_sequentially("月")
            cloze.locator(".pq-cloze-cishu input").press_sequentially("２")
            cloze.locator(".pq-cloze-ke select").select_option(label="党课")
            assert wait_for_answers(folder, expected) == expected
            page.locator(".pq-qid-ex-cloze .pq-saved-ok").wait_for(timeout=10_000)
            assert page.locator(".pq-progress").inner_text().startswith("已答 1 / 2 题")
            page.screenshot(path=str(tmp_path / "cloze.png"), full_page=True)
        finally:
            page.close()
            browser.close()
