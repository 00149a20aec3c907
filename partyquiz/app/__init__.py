"""The learner app: what a learner sees in Voilà instead of JupyterLab (no code, no menus).

`notebooks/app.ipynb` holds one cell, `from partyquiz.app import main; main()`. Pure parts in
`lessons.py` (states, hours, receipt, next steps); the exchange the learner's nbgrader config
selects in `exchange.py` (under the hub: the exchange service, without importing nbgrader); the
learner's own ledger rows in `records.py`; the pages in `pages.py`; the page agent that watches
the kernel in `agent.py`. See docs/learner-app.md.
"""
from __future__ import annotations

import sys
from pathlib import Path

# jsonschema (imported by nbformat, hence by nbgrader) loads `rfc3987_syntax` when installed, which
# compiles a Lark grammar at import: 2–9 s of the first page here, measured. It only checks the
# "iri" string format, which no notebook or nbgrader schema uses. Blocking it keeps the app's first
# page fast; jsonschema treats it as not installed.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


def nbgrader_without_server_extensions() -> None:
    """nbgrader's package `__init__` imports all four of its Jupyter server extensions (formgrader
    with Jupyter Server, tornado handlers, every nbgrader app): ~12 MB more in each learner's app
    kernel, measured, which needs only `coursedir`, `auth` and the exchange classes. The package
    is registered without running its `__init__`; its submodules import as usual. Only in the
    app's own kernel (`main`): elsewhere nbgrader is imported whole."""
    import importlib.util

    if "nbgrader" in sys.modules:
        return
    spec = importlib.util.find_spec("nbgrader")
    if spec is None or spec.loader is None:
        return
    package = importlib.util.module_from_spec(spec)
    sys.modules["nbgrader"] = package
    try:
        from nbgrader._version import __version__
    except ImportError:  # an nbgrader without _version: import it whole after all
        del sys.modules["nbgrader"]
        return
    package.__version__ = __version__
    _exchange_package_on_demand()


def _exchange_package_on_demand() -> None:
    """`nbgrader.exchange`'s own `__init__` imports its ExchangeFactory, hence the folder exchange
    and the gradebook (SQLAlchemy's ORM, ≈ 30 MB, measured), which the hub's exchange service
    classes never use. The package is registered with its names looked up on first use (PEP 562):
    `from nbgrader.exchange import ExchangeError` costs only the abstract classes."""
    import importlib
    import importlib.util

    spec = importlib.util.find_spec("nbgrader.exchange")
    if spec is None or spec.loader is None or "nbgrader.exchange" in sys.modules:
        return
    package = importlib.util.module_from_spec(spec)

    def lookup(name: str):
        if name == "ExchangeFactory":
            return importlib.import_module("nbgrader.exchange.exchange_factory").ExchangeFactory
        if name == "default":
            return importlib.import_module("nbgrader.exchange.default")
        abstract = importlib.import_module("nbgrader.exchange.abc")
        if hasattr(abstract, name):
            return getattr(abstract, name)
        raise AttributeError(f"module 'nbgrader.exchange' has no attribute {name!r}")

    package.__getattr__ = lookup  # type: ignore[attr-defined]
    sys.modules["nbgrader.exchange"] = package
    sys.modules["nbgrader"].exchange = package  # type: ignore[attr-defined]


def main(home: str | Path | None = None, learner: str | None = None):
    """Display the app. `home`: PARTYQUIZ_HOME, else the folder the notebook runs in (Voilà runs
    it in the learner's home). Returns None: the notebook cell shows the app once."""
    from IPython.display import display

    nbgrader_without_server_extensions()
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
