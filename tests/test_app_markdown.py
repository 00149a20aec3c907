"""Chinese bold and italic render as meant: CommonMark's flanking rule is fixed at build time.

`**营造深厚的学习风气。**在` stays literal in JupyterLab, nbconvert/Voilà and markdown-it, because
the closing `**` follows punctuation and precedes a letter. The build writes such pairs as tags.
Checked on every shipped course, with the renderer Voilà uses (nbconvert's) and markdown-it.
"""
from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import nbformat
import pytest
from markdown_it import MarkdownIt

from partyquiz.authoring import load_course
from partyquiz.build import build_course
from partyquiz.markdown import fix_cjk_emphasis, render_markdown

COURSES = sorted(Path(__file__).resolve().parents[1].glob("courses/*/course.yml"))


def visible_text(html: str) -> str:
    html = re.sub(r"<code>.*?</code>", "", html, flags=re.S)  # code keeps its asterisks on purpose
    return unescape(re.sub(r"<[^>]+>", "", html))


@pytest.mark.parametrize("source, expected", [
    ("**营造深厚的学习风气。**在", "<strong>营造深厚的学习风气。</strong>在"),
    ("在**“三会一课”**制度", "在<strong>“三会一课”</strong>制度"),
    ("这是*强调。*在", "这是<em>强调。</em>在"),
    ("**加粗**普通", "**加粗**普通"),  # already renders: left as written
    ("`**“x”**`", "`**“x”**`"),  # code span
    ("a * b * c", "a * b * c"),
])
def test_fix_cjk_emphasis(source, expected):
    assert fix_cjk_emphasis(source) == expected


def test_fenced_code_keeps_its_asterisks():
    text = "```\n**“x”**在\n```\n**“y”**在"
    assert fix_cjk_emphasis(text) == "```\n**“x”**在\n```\n<strong>“y”</strong>在"


def test_question_stems_render_bold():
    assert render_markdown("**营造深厚的学习风气。**在全党", inline=True) == "<strong>营造深厚的学习风气。</strong>在全党"


@pytest.mark.parametrize("course_yml", COURSES, ids=[p.parent.name for p in COURSES])
def test_no_literal_asterisks_in_any_shipped_lesson(course_yml: Path, tmp_path: Path):
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    course = load_course(course_yml.parent)
    assert any("**" in text for text in course.lesson_text.values()), "the course has bold text to check"
    markdown_it = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    for built in build_course(course, tmp_path):
        nb = nbformat.read(built.notebook, as_version=4)
        for cell in nb.cells:
            if cell.cell_type != "markdown":
                continue
            for renderer in (markdown2html_mistune, markdown_it.render):
                html = renderer(cell.source)
                assert "**" not in visible_text(html), f"{built.notebook.name}: literal ** in {cell.source[:80]!r}"
                assert "<strong>" in html or "**" not in cell.source
