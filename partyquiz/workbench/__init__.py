"""The instructor workbench: a Chinese page rendered by Voilà (`notebooks/workbench.ipynb`).

`show_workbench()` is all the notebook calls. The summaries are pure functions over the gradebook
and the ledger (`overview`), the pages are ipywidgets (`pages`).
"""
from __future__ import annotations


def show_workbench(**kwargs) -> None:
    from .pages import show_workbench as _show

    _show(**kwargs)
