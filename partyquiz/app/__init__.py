"""The learner app: what a learner sees in Voilà instead of JupyterLab (no code, no menus).

`notebooks/app.ipynb` holds one cell, `from partyquiz.app import main; main()`. Pure parts in
`lessons.py` (states, hours, receipt, next steps); the exchange through nbgrader's interface in
`exchange.py`; the learner's own ledger rows in `records.py`; the pages in `pages.py`; the page
agent that watches the kernel in `agent.py`. See docs/learner-app.md.
"""
from __future__ import annotations

import sys
from pathlib import Path

# jsonschema (imported by nbformat, hence by nbgrader) loads `rfc3987_syntax` when installed, which
# compiles a Lark grammar at import: 2–9 s of the first page here, measured. It only checks the
# "iri" string format, which no notebook or nbgrader schema uses. Blocking it keeps the app's first
# page fast; jsonschema treats it as not installed.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


def main(home: str | Path | None = None, learner: str | None = None):
    """Display the app. `home`: PARTYQUIZ_HOME, else the folder the notebook runs in (Voilà runs
    it in the learner's home). Returns None: the notebook cell shows the app once."""
    from IPython.display import display

    from ..settings import settings
    from .pages import LearnerApp

    try:
        app = LearnerApp(Path(home or settings().home or ".").expanduser(), learner)
        app.show_centre()
    except Exception:
        # Voilà shows the learner a Chinese "页面出错了…管理员可查看服务器日志" without the traceback
        # (show_tracebacks is off): the kernel's own stderr is the server's log, so it goes there.
        import traceback

        traceback.print_exc(file=sys.__stderr__)
        raise
    display(app.root)
    global current
    current = app


current = None  # the app of this kernel, for tests and the benchmark

__all__ = ["main"]
