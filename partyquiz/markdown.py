"""Markdown → safe HTML for question stems, options' feedback and explanations.

Why bleach after markdown-it: an ipywidgets `HTML` widget sets `innerHTML` without sanitising,
so `<img onerror=...>` in a question bank (or anything echoed back from a learner) would run.
Only a small set of tags and attributes survives; links may be http(s)/mailto; images may be
http(s), relative, or a `data:image/...` URI. A relative image that exists in the quiz folder is
inlined as a data URI: a widget's HTML is not resolved against the notebook's folder.
"""
from __future__ import annotations

import base64
import mimetypes
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import bleach
from markdown_it import MarkdownIt

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr", "strong", "b", "em", "i", "u", "s", "del", "sub", "sup", "code", "pre", "kbd",
        "blockquote", "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6",
        "table", "thead", "tbody", "tr", "th", "td", "a", "img", "span",
    }
)
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto", "data"})
_IMAGE_DATA = re.compile(r"^data:image/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/=\s]*$", re.I)
MAX_INLINE_IMAGE_BYTES = 2_000_000
# bleach(strip=True) keeps the text inside removed tags; for these the text is code, not prose
_DROP_BLOCKS = re.compile(r"<(script|style|template|noscript|iframe|object)\b[^>]*>.*?</\1\s*>", re.I | re.S)


def _allowed_attribute(tag: str, name: str, value: str) -> bool:
    if tag == "a":
        return name in ("href", "title") and not value.lower().startswith("data:")
    if tag == "img":
        if name == "src":
            return not value.lower().startswith("data:") or bool(_IMAGE_DATA.match(value))
        return name in ("alt", "title", "width", "height")
    if tag in ("th", "td"):
        return name == "align"
    return False


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # html=True: banks imported from Moodle XML hold HTML; bleach below keeps only safe parts.
    return MarkdownIt("commonmark", {"html": True, "linkify": False}).enable(["table", "strikethrough"])


def _inline_images(html: str, folder: Path | None) -> str:
    if folder is None:
        return html

    def replace(match: re.Match) -> str:
        src = match.group(2)
        if re.match(r"^[a-z][a-z0-9+.-]*:", src, re.I) or src.startswith("/"):
            return match.group(0)
        path = (folder / src).resolve()
        # only files inside the quiz folder: a bank must not read the learner's other files
        if folder.resolve() not in path.parents or not path.is_file() or path.stat().st_size > MAX_INLINE_IMAGE_BYTES:
            return match.group(0)
        mime = mimetypes.guess_type(path.name)[0] or ""
        if mime not in ("image/png", "image/jpeg", "image/gif", "image/webp"):
            return match.group(0)
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        return f'{match.group(1)}data:{mime};base64,{data}{match.group(3)}'

    return re.sub(r'(<img[^>]*\ssrc=")([^"]*)(")', replace, html)


# CommonMark's flanking rule: `**营造深厚的学习风气。**在` stays literal, because a closing `**`
# after punctuation must be followed by space or punctuation, and `在` is neither. Chinese text has
# no spaces, so every emphasis whose inner edge is punctuation (。，“”《》…) is at risk. Such pairs
# are written as HTML tags instead, which every renderer (JupyterLab, nbconvert/Voilà, formgrader,
# markdown-it) takes as they are; the text between them is still Markdown.
_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(`+)(?:.+?)\1")
_STRONG = re.compile(r"(?<![*\\])\*\*(?=\S)(?!\*)(.+?)(?<=\S)(?<![*\\])\*\*(?!\*)")
_EM = re.compile(r"(?<![*\\])\*(?=[^\s*])(.+?)(?<=[^\s*\\])\*(?!\*)")


def _is_punctuation(char: str) -> bool:
    return unicodedata.category(char)[0] in "PS"


def _tagged(pattern: re.Pattern, tag: str, text: str) -> str:
    def replace(match: re.Match) -> str:
        inner = match.group(1)
        if _is_punctuation(inner[0]) or _is_punctuation(inner[-1]):
            return f"<{tag}>{inner}</{tag}>"
        return match.group(0)

    return pattern.sub(replace, text)


def _fix_line(line: str) -> str:
    parts, last = [], 0
    for span in _CODE_SPAN.finditer(line):  # code spans keep their asterisks
        parts.append(_tagged(_EM, "em", _tagged(_STRONG, "strong", line[last:span.start()])))
        parts.append(span.group(0))
        last = span.end()
    parts.append(_tagged(_EM, "em", _tagged(_STRONG, "strong", line[last:])))
    return "".join(parts)


def fix_cjk_emphasis(text: str) -> str:
    """Markdown whose bold/italic next to Chinese punctuation renders as meant (see above)."""
    if "*" not in (text or ""):
        return text
    out, fence = [], None
    for line in text.split("\n"):
        opened = _FENCE.match(line)
        if fence is not None:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = None
            out.append(line)
        elif opened:
            fence = opened.group(1)
            out.append(line)
        elif line.startswith(("    ", "\t")) and (not out or not out[-1].strip()):
            out.append(line)  # an indented code block
        else:
            out.append(_fix_line(line))
    return "\n".join(out)


def render_markdown(text: str, folder: Path | str | None = None, inline: bool = False) -> str:
    """Safe HTML for `text`. `inline` drops the surrounding paragraph (for one-line labels)."""
    md = _parser()
    text = fix_cjk_emphasis(text)
    html = md.renderInline(text or "") if inline else md.render(text or "")
    html = _DROP_BLOCKS.sub("", html)
    html = _inline_images(html, Path(folder) if folder is not None else None)
    return bleach.clean(html, tags=ALLOWED_TAGS, attributes=_allowed_attribute, protocols=ALLOWED_PROTOCOLS, strip=True)
