"""Small HTML pieces the workbench's pages share: tables, problem lists, error messages."""
from __future__ import annotations

import re
from html import escape
from pathlib import Path

from ..i18n import t


def table_html(headers: list[str], rows: list[list[str]], css: str) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table class='{css}'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def error_html(exc: BaseException) -> str:
    """What went wrong, for the page: a bad input file's problems by file name and row; anything
    else in a sentence saying what to do, with server paths cut down to file names."""
    problems = getattr(exc, "problems", None)
    if problems:
        return f"<div class='pq-wb pq-error'>{problems_html(problems)}</div>"
    text = re.sub(r"(?:/[^\s/:'\"]+)+/([^\s/:'\"]+)", r"\1", str(exc))[:300]
    return f"<p class='pq-bad pq-error'>{escape(t('workbench.error', error=text))}</p>"


def problems_html(problems) -> str:
    items = "".join(f"<li>{escape(_where(p))}{escape(p.message)}</li>" for p in problems)
    return f"<ul class='pq-problems pq-bad'>{items}</ul>"


def _where(problem) -> str:
    name = Path(problem.file).name
    if problem.line is None:
        return f"{name}："
    return t("workbench.row", file=name, row=problem.line) + (f"（{problem.column}）" if problem.column else "") + "："
