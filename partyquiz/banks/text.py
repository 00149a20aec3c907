"""Texts of other formats → the project's one text format: Markdown (with safe inline HTML).

Moodle keeps a format per text (html, moodle_auto_format, plain_text, markdown); GIFT marks it
with `[html]`, `[moodle]`, `[plain]`, `[markdown]` (default: moodle). The widgets render every
stem, option and feedback as Markdown and then sanitise it with bleach, so each text is turned
into Markdown that renders the way Moodle would show it:

- html: a small HTML → Markdown conversion. Paragraphs, line breaks, lists and headings become
  Markdown; inline formatting (strong, em, u, sub, sup, code, a, img) stays inline HTML, which
  Markdown passes through (CommonMark's `**` fails next to CJK punctuation, a tag never does);
  script/style/iframe… are dropped with their content, other tags dropped keeping their text.
- moodle: HTML allowed; a text without any tag or entity is taken as plain text.
- plain: shown as typed: characters Markdown would interpret are backslash-escaped, but only
  when they would change the rendering (so `党员是党的 ____ 和血液` stays readable).

The HTML tokenizer is our own and linear in the input: Python's html.parser takes minutes on a
600 KB text of unclosed `<` (issue 13), and every `<` here is examined once against the next `>`.
Images and links are passed to `media(src) -> src`, which the Moodle XML reader uses to turn
`@@PLUGINFILE@@/name` into a course media file (an empty result: the image shows its alt text,
the link its text); in Markdown text, which is otherwise kept as written, each
`@@PLUGINFILE@@/name` reference is passed to `media` the same way. A `<br>` at the start or end
of a block is dropped, as a browser shows it.
"""
from __future__ import annotations

import html
import re
from functools import lru_cache
from typing import Callable

FORMATS = ("html", "moodle", "plain", "markdown")
MOODLE_FORMAT_NAMES = {"html": "html", "moodle_auto_format": "moodle", "plain_text": "plain", "markdown": "markdown", "wiki_like": "plain"}

_BLOCK = {"p", "div", "section", "article", "header", "footer", "main", "aside", "nav", "figure", "figcaption",
          "address", "center", "dl", "dt", "dd", "fieldset", "form", "details", "summary", "caption", "blockquote"}
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_INLINE_KEEP = {"strong": "strong", "b": "strong", "em": "em", "i": "em", "u": "u", "s": "s", "strike": "s", "del": "del",
                "sub": "sub", "sup": "sup", "code": "code", "kbd": "kbd", "tt": "code", "ins": "u", "mark": "strong"}
_DROP_WITH_CONTENT = {"script", "style", "template", "noscript", "iframe", "object", "embed", "svg", "math", "head", "title", "textarea", "select"}
_VOID = {"br", "img", "hr", "input", "meta", "link", "wbr", "col", "area", "base", "source", "track", "param"}
_TABLE = {"table", "thead", "tbody", "tfoot", "tr", "th", "td"}
_SAFE_URL = re.compile(r"^(?:https?:|mailto:|data:image/(?:png|jpeg|gif|webp);base64,|[^:]*$)", re.I)
_TOKEN = re.compile(r"<!--.*?(?:-->|\Z)|<[A-Za-z/!?][^<>]*>", re.S)
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9:-]*)([^<>]*?)(/?)>", re.S)
_ATTR = re.compile(r"([^\s\"'>/=]+)(?:\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s\"'>]+))?")
_PLUGIN_FILE = re.compile(r"@@PLUGINFILE@@/[^\s\"')<>]+")  # a Moodle file reference in Markdown text
_MD_SPECIAL = re.compile(r"[\\`*_\[\]<>&~|]|^\s*(?:[#>+=-]|\d+[.)])", re.M)


# --- Markdown escaping -------------------------------------------------------------------------

_ESCAPES = str.maketrans({c: "\\" + c for c in "\\`*_[]<>~|"})


def escape_markdown(text: str) -> str:
    """Backslash-escape every character Markdown could read as syntax (CommonMark allows any)."""
    text = text.translate(_ESCAPES)
    text = re.sub(r"&(?=#?[A-Za-z0-9]+;)", r"\\&", text)
    return re.sub(r"^(\s*)([#>+=-]|\d+(?=[.)]))", r"\1\\\2", text, flags=re.M)


@lru_cache(maxsize=1)
def _md():
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


def plain_to_markdown(text: str) -> str:
    """Markdown that shows `text` as typed; unchanged when Markdown would show it so anyway."""
    if not _MD_SPECIAL.search(text):
        return text
    expected = "".join(f"<p>{html.escape(p.strip(), quote=False)}</p>\n" for p in re.split(r"\n\s*\n", text) if p.strip())
    if _md().render(text) == expected:
        return text
    return escape_markdown(text)


# --- HTML ---------------------------------------------------------------------------------------

def _tokens(source: str):
    """(kind, value…) tokens of an HTML text, in one linear pass (see the module docstring).

    A tag runs from `<` to the next `>` with no `<` in between, so each character is scanned
    once; an unclosed comment runs to the end, as in a browser.
    """
    pos, n = 0, len(source)
    for m in _TOKEN.finditer(source):
        if m.start() < pos:  # inside a dropped <script>…</script>
            continue
        yield ("text", source[pos:m.start()])
        pos = m.end()
        raw = m.group(0)
        if raw[1] in "!?":  # comment, doctype, CDATA, processing instruction: dropped
            continue
        tag = _TAG.fullmatch(raw)
        if tag is None:  # `a <- b`: not a tag, shown as typed
            yield ("text", raw)
            continue
        closing, name, attrs, selfclose = tag.group(1), tag.group(2).lower(), tag.group(3), tag.group(4)
        if closing:
            yield ("end", name)
            continue
        yield ("start", name, {k.lower(): html.unescape((v or "").strip("\"'")) for k, v in _ATTR.findall(attrs)})
        if name in _DROP_WITH_CONTENT and not selfclose:
            close = re.compile(rf"</{re.escape(name)}\s*>", re.I).search(source, pos)
            pos = n if close is None else close.end()
            yield ("end", name)
    yield ("text", source[pos:])


def _trim_breaks(body: str) -> str:
    """`body` without the spaces and hard breaks (`\\` + newline) at its ends; linear."""
    start, end = 0, len(body)
    while True:
        while start < end and body[start].isspace():
            start += 1
        if body.startswith("\\\n", start, end):
            start += 2
            continue
        break
    while end > start:
        if end - start >= 2 and body[end - 2:end] == "\\\n":
            end -= 2
        elif body[end - 1].isspace():
            end -= 1
        else:
            break
    return body[start:end]


class _Converter:
    def __init__(self, media: Callable[[str], str] | None) -> None:
        self.media = media
        self.blocks: list[str] = []  # finished paragraphs
        self.line: list[str] = []  # the paragraph being built
        self.prefix = ""  # list marker / heading marks of the current paragraph
        self.lists: list[list] = []  # [kind, counter]
        self.drop = 0
        self.pre = 0
        self.table: list[str] | None = None
        self.open_inline: list[str] = []

    def flush(self) -> None:
        body = re.sub(r"[ \t]*\\\n[ \t]*", "\\\n", "".join(self.line))
        # a <br> that starts or ends a block shows nothing in a browser (Moodle's editor writes
        # `<p>text<br></p>`): as a Markdown hard break there it would show a stray backslash
        body = _trim_breaks(body)
        if body:
            self.blocks.append(self.prefix + body)
        self.line, self.prefix = [], ""

    def text(self, data: str) -> None:
        if self.drop or not data:
            return
        data = html.unescape(data)
        if self.table is not None:
            self.table.append(html.escape(re.sub(r"\s+", " ", data), quote=False))
            return
        if self.pre:
            self.line.append(data)
            return
        data = re.sub(r"\s+", " ", data)
        if not self.line:
            data = data.lstrip()
        self.line.append(escape_markdown(data) if _MD_SPECIAL.search(data) else data)

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if name in _DROP_WITH_CONTENT:
            self.drop += 1
            return
        if self.drop:
            return
        if self.table is not None:
            if name in _TABLE:
                self.table.append(f"<{name}>")
            elif name == "br":
                self.table.append("<br>")
            elif name in _INLINE_KEEP:
                self.table.append(f"<{_INLINE_KEEP[name]}>")
            elif name == "img":
                self.table.append(self._img(attrs))
            return
        if name == "table":
            self.flush()
            self.table = ["<table>"]
        elif name == "br":
            self.line.append("\n" if self.pre else "\\\n")
        elif name == "pre":
            self.flush()
            self.pre += 1
        elif name in _BLOCK or name in _HEADINGS or name == "hr":
            self.flush()
            if name in _HEADINGS:
                self.prefix = "#" * int(name[1]) + " "
            if name == "hr":
                self.blocks.append("---")
        elif name in ("ul", "ol"):
            self.flush()
            self.lists.append([name, 0])
        elif name == "li":
            self.flush()
            kind = self.lists[-1] if self.lists else ["ul", 0]
            kind[1] += 1
            indent = "   " * max(len(self.lists) - 1, 0)
            self.prefix = indent + (f"{kind[1]}. " if kind[0] == "ol" else "- ")
        elif name in _INLINE_KEEP:
            tag = _INLINE_KEEP[name]
            self.line.append(f"<{tag}>")
            self.open_inline.append(tag)
        elif name == "a":
            href = attrs.get("href", "")
            if href and self.media is not None:  # a link to an embedded file becomes a course file too
                href = self.media(href)
            self.line.append(f'<a href="{html.escape(href)}">' if href and _SAFE_URL.match(href) and not href.lower().startswith("data:") else "<a>")
            self.open_inline.append("a")
        elif name == "img":
            self.line.append(self._img(attrs))

    def _img(self, attrs: dict[str, str]) -> str:
        src = attrs.get("src", "")
        if self.media is not None:
            src = self.media(src)
        if not src or not _SAFE_URL.match(src):
            return html.escape(attrs.get("alt", ""), quote=False)
        alt = f' alt="{html.escape(attrs["alt"])}"' if attrs.get("alt") else ""
        return f'<img src="{html.escape(src)}"{alt}>'

    def end(self, name: str) -> None:
        if name in _DROP_WITH_CONTENT:
            self.drop = max(self.drop - 1, 0)
            return
        if self.drop:
            return
        if self.table is not None:
            if name in _TABLE:
                self.table.append(f"</{name}>")
            elif name in _INLINE_KEEP:
                self.table.append(f"</{_INLINE_KEEP[name]}>")
            if name == "table":
                self.blocks.append("".join(self.table))
                self.table = None
            return
        if name == "pre" and self.pre:
            self.pre -= 1
            code = "".join(self.line).strip("\n")
            fence = "```" if "```" not in code else "~~~~"
            self.blocks.append(f"{fence}\n{code}\n{fence}")
            self.line, self.prefix = [], ""
        elif name in _BLOCK or name in _HEADINGS or name == "li":
            self.flush()
        elif name in ("ul", "ol"):
            self.flush()
            if self.lists:
                self.lists.pop()
        elif (name in _INLINE_KEEP and _INLINE_KEEP[name] in self.open_inline) or (name == "a" and "a" in self.open_inline):
            tag = _INLINE_KEEP.get(name, "a")
            while self.open_inline:  # close what was left open inside, as a browser does
                top = self.open_inline.pop()
                self.line.append(f"</{top}>")
                if top == tag:
                    break

    def result(self) -> str:
        if self.table is not None:
            self.blocks.append("".join(self.table) + "</table>")
            self.table = None
        while self.open_inline:
            self.line.append(f"</{self.open_inline.pop()}>")
        self.flush()
        out: list[str] = []
        for block in self.blocks:  # list items stay together, everything else is a paragraph
            is_item = bool(re.match(r"\s*(?:- |\d+\. )", block))
            if out and not (is_item and re.match(r"\s*(?:- |\d+\. )", out[-1].rsplit("\n", 1)[-1])):
                out.append("\n\n")
            elif out:
                out.append("\n")
            out.append(block)
        return "".join(out).strip()


def html_to_markdown(source: str, media: Callable[[str], str] | None = None) -> str:
    """Sanitised Markdown rendering like `source` would in a browser; linear time."""
    if "<" not in source and "&" not in source:
        return plain_to_markdown(re.sub(r"[ \t\r\n]+", " ", source).strip())
    converter = _Converter(media)
    for token in _tokens(source):
        getattr(converter, token[0])(*token[1:])
    return converter.result()


def html_to_text(source: str) -> str:
    """Plain text of an HTML fragment (for answers compared with what a learner types)."""
    if "<" not in source and "&" not in source:
        return source.strip()
    parts: list[str] = []
    drop = 0
    for token in _tokens(source):
        if token[0] == "text" and not drop:
            parts.append(html.unescape(token[1]))
        elif token[0] == "start":
            if token[1] in _DROP_WITH_CONTENT:
                drop += 1
            elif token[1] in ("br", "p", "div", "li", "tr") or token[1] in _HEADINGS:
                parts.append("\n")
        elif token[0] == "end" and token[1] in _DROP_WITH_CONTENT:
            drop = max(drop - 1, 0)
    return re.sub(r"[ \t]*\n\s*", "\n", "".join(parts)).strip()


def to_markdown(text: str, fmt: str, media: Callable[[str], str] | None = None) -> str:
    """One text in format `fmt` (html, moodle, plain, markdown) → Markdown."""
    if fmt == "markdown":  # kept as written: only its file references change
        text = text.strip()
        if media is not None and "@@PLUGINFILE@@" in text:
            text = _PLUGIN_FILE.sub(lambda m: media(m.group(0)) or "", text)
        return text
    if fmt == "plain":
        return plain_to_markdown(text.strip())
    if fmt == "moodle" and "<" not in text and "&" not in text:
        return plain_to_markdown(text.strip())
    if fmt == "moodle":  # Moodle's auto-format: HTML allowed, a newline is a line break
        text = text.strip().replace("\r\n", "\n").replace("\n", "<br>")
    return html_to_markdown(text, media)
