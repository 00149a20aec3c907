"""The workbench's pages (ipywidgets). Opening shows numbers; nothing is graded by opening."""
from __future__ import annotations

from ..i18n import t


def show_workbench(**kwargs) -> None:
    import ipywidgets as w
    from IPython.display import display

    display(w.HTML(f"<h1 class='pq-workbench-title'>{t('workbench.title')}</h1>"))
