"""The analytics report: one offline HTML file, masked or pseudonymised, Chinese rendered in Chromium."""
from __future__ import annotations

import re

import pytest

from conftest import CHROMIUM_ARGS
from helpers_records import COURSE, ROSTER, empty_gradebook, small_gradebook, sqlite_url
from partyquiz.model import QuestionScore, QuizResult
from partyquiz.records.rollin import roll_in
from partyquiz.report import write_report

# the four hand-worked attempts of test_report_stats, as learners' quiz results on c1-l1
HAND = {"a01": (1, 1, 2), "a02": (1, 0, 1), "a03": (0, 1, 0), "a04": (0, 0, 1)}


def _result(learner: str, marks: tuple[int, int, int]) -> QuizResult:
    picks = {1: ["A"], 0: ["B"]}
    scores = [QuestionScore(question_id="q1", score=marks[0], max_score=1, answered=True, value=picks[marks[0]]),
              QuestionScore(question_id="q2", score=marks[1], max_score=1, answered=True, value=bool(marks[1])),
              QuestionScore(question_id="q3", score=marks[2], max_score=2, answered=marks[2] > 0, value=["A", "C"] if marks[2] else None)]
    return QuizResult(learner_id=learner, assignment="c1-l1", notebook="quiz", drawn=["q1", "q2", "q3"], scores=scores)


@pytest.fixture(scope="module")
def ledger(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("report")
    gradebook = empty_gradebook(tmp / "gradebook.db")
    small_gradebook(gradebook, {(who, "c1-l1"): sum(m) * 2.5 for who, m in HAND.items()})
    url = sqlite_url(tmp / "ledger.db")
    roll_in(url, gradebook, [COURSE], roster=ROSTER, results=[_result(w, m) for w, m in HAND.items()])
    return url


def test_report_is_self_contained_with_item_analysis(ledger, tmp_path):
    page = write_report(ledger, tmp_path / "report.html").read_text(encoding="utf-8")
    assert not re.search(r"(src|href)\s*=\s*['\"]?(https?:)?//", page)  # nothing fetched from anywhere
    assert "<script" not in page and page.count("<svg") >= 3
    for heading in ("成绩分布", "各支部完成情况与学时", "试题分析", "年度学时未达标人员"):
        assert heading in page
    # the hand-worked figures appear in the report's tables
    assert "<td class=\"n\">50.0</td><td class=\"n\">70.71</td><td class=\"n\">1.0</td>" in page
    assert "57.74" in page and "区分度低" in page
    assert "110101********1237" in page and "110101199001011237" not in page
    # the instructor's words: sections by course and lesson title, questions by number, a guide
    assert "<h3>党章学习 · 总纲</h3>" in page and "c1-l1" not in page
    assert "第 1 题" in page and "第 3 题" in page
    assert "得分率，越高越容易" in page and "内部一致性 CIC" in page and "误差比" in page and "请核对答案" in page
    # short of hours, by reason: a01 passed (4 of 4 → 100 %) but 2 online 学时 do not make 32;
    # a02, a03, a04 failed the lesson; nobody on the roster took no part at all
    assert "未参学（本年度没有任何学习记录）：0 人" in page
    assert "参学但有课时不合格（需补考）：3 人" in page and "已合格但学时不足或缺少规定的培训形式：1 人" in page
    # the branch table counts the roster and, apart, its party members (二支部: a 发展对象 and a cadre)
    assert "其中党员" in page and "党员人数" not in page


def test_negative_discrimination_is_flagged_check_the_key():
    from types import SimpleNamespace

    from partyquiz.report import QuestionInfo, _items

    # q1: x = 0,0,1,1 and the rest R = 1,1,0,0 → corr = −1 → index −100 (those who got it right did worse)
    marks = [(0, 1), (0, 1), (1, 0), (1, 0)]
    items = {"c1-l1": {n: [SimpleNamespace(question_id="q1", score=a, max_score=1, position=0, value='["B"]' if a else '["A"]'),
                           SimpleNamespace(question_id="q2", score=b, max_score=1, position=1, value="true")]
                       for n, (a, b) in enumerate(marks)}}
    info = {"q1": QuestionInfo("支部党员大会一般多久召开一次？", {"A": "每季度一次", "B": "每年一次"}, ["B"])}
    page = _items(items, info, {"c1-l1": "党章学习 · 总纲"}, 20)
    assert "-100.0" in page and "请核对答案" in page and 'class="neg"' in page
    # options as letters with their text, the key marked, the counts after
    assert "A. 每季度一次：2" in page and "B. 每年一次 ✓：2" in page and "支部党员大会一般多久召开一次？" in page


def test_pseudonymised_report_has_no_names_or_ids(ledger, tmp_path):
    page = write_report(ledger, tmp_path / "anon.html", pseudonymise=True).read_text(encoding="utf-8")
    for person in ROSTER:
        assert person.name not in page
        assert f">{person.id}<" not in page
    assert "学员0001" in page and "110101" not in page


@pytest.mark.browser
def test_chinese_renders_in_chromium(ledger, tmp_path, chromium_path):
    from playwright.sync_api import sync_playwright

    path = write_report(ledger, tmp_path / "report.html")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.goto(path.as_uri())
        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        # a CJK font is really used for the headings (not the tofu of a missing glyph) ...
        assert page.evaluate("document.fonts.check('16px \"Noto Sans CJK SC\"', '党员教育')")
        widths = page.evaluate("""() => {const c = document.createElement('canvas').getContext('2d');
            c.font = '20px "Noto Sans CJK SC"'; const a = c.measureText('党员教育').width;
            c.font = '20px monospace'; return [a, c.measureText('xxxx').width];}""")
        assert widths[0] > widths[1] * 1.5  # full-width glyphs, about twice a Latin letter
        # ... and the charts, whose labels are drawn as paths, are on the page at a visible size
        boxes = page.eval_on_selector_all(".chart svg", "els => els.map(e => e.getBoundingClientRect().height)")
        assert len(boxes) >= 3 and min(boxes) > 100
        assert page.inner_text("h1") == "党员教育培训分析报告"
        # the 提示 column keeps its words on one line (not one character per line)
        lines = page.eval_on_selector_all("td.hint", """els => els.filter(e => e.innerText).map(e => {
            const r = document.createRange(); r.selectNodeContents(e); return r.getClientRects().length;})""")
        assert lines and set(lines) == {1}, lines
        browser.close()
    assert (tmp_path / "report.png").stat().st_size > 20_000


def test_report_in_english_on_request(ledger, tmp_path):
    from partyquiz.i18n import set_language

    set_language("en")
    try:
        page = write_report(ledger, tmp_path / "en.html", pseudonymise=True).read_text(encoding="utf-8")
    finally:
        set_language(None)
    assert "Item analysis" in page and "Learner 0001" in page and "<html lang='en'>" in page
    assert "试题分析" not in page
