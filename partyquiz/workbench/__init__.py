"""The instructor workbench: a Chinese page rendered by Voilà (`notebooks/workbench.ipynb`).

`show_workbench()` is all the notebook calls. The summaries are functions over the gradebook and
the ledger (`overview`, one SQL query each), the essay queue and its marks are `marking`, the
pages are ipywidgets (`pages`).
"""
from __future__ import annotations


def show_workbench(ins=None) -> None:
    from .pages import show_workbench as _show

    _show(ins)
