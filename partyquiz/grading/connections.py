"""One SQLAlchemy engine per gradebook URL in a process, without importing nbgrader.

Grading's bulk reads and writes (grading/gradebook.py re-exports `engine`) and the workbench's
plain-SQL pages (作业总览, the essay queue) share it, so a workbench kernel holds one pool per
gradebook, and the workbench's cold open does not pay for nbgrader's import (≈1.7 s).

A forked grading worker (grading/batch.py) must not use the parent's pooled connections
(SQLAlchemy's advice): the at-fork hook forgets them in the child.
"""
from __future__ import annotations

import os

import sqlalchemy as sa

_ENGINES: dict[str, sa.Engine] = {}


def engine(url: str) -> sa.Engine:
    if url not in _ENGINES:
        kwargs = {"connect_args": {"timeout": 60}} if url.startswith("sqlite") else {}
        _ENGINES[url] = sa.create_engine(url, **kwargs)
    return _ENGINES[url]


def _forget_engines_in_child() -> None:
    for eng in list(_ENGINES.values()):
        eng.dispose(close=False)
    _ENGINES.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_engines_in_child)
