"""Start a user's Jupyter server, or the kernel of an app page, without the optional imports that
nothing there uses: memory per active learner (issue 11 item 9, docs/performance.md).

    python -P -m partyquiz.launch singleuser [args]   # the hub's Spawner.cmd (jupyterhub-singleuser)
    python -P -m partyquiz.launch server [args]       # a plain jupyter-server (benchmarks, no hub)
    python -P -m partyquiz.launch kernel -f FILE      # the `partyquiz-page` kernelspec (hub/share/kernels)

`-P`: `python -m` would put the folder it starts in (the user's home) first on the import path, so
a folder there named like a package would be imported instead; nothing these processes import
lives in the user's folder. (Kernels started from JupyterLab are not affected.)

A module set to None in `sys.modules` imports as "not installed", which is how each library below
already treats a missing optional dependency. Measured per process (RSS):
- `rfc3987_syntax`: jsonschema's optional checker for the "iri" string format. Installed with
  jupyter-events' `jsonschema[format-nongpl]`; it compiles a Lark grammar at import: ≈ 16 MB and
  ≈ 1 s of every Jupyter server (jupyter-events validates its event schemas at start). No event,
  notebook or nbgrader schema uses the iri format.
- `httpx._main`: httpx's command line (the `httpx[cli]` extra: click, rich, pygments' lexers),
  which httpx imports when installed. JupyterLab's PyPI extension manager imports httpx, never
  its command line: ≈ 3 MB of every server.
- `debugpy`: ipykernel's debugger, ≈ 8 MB of every kernel. An app page is never debugged; the
  kernels a person starts in JupyterLab keep the debugger (they use `python3`).

It sits at the top of the package, not in `partyquiz.hub`, and imports nothing of partyquiz:
`python -m` runs the parent packages' `__init__` first, and the hub package's would bring the
settings (pydantic) into every user's server.
"""
from __future__ import annotations

import sys

SERVER_UNUSED = ("rfc3987_syntax", "httpx._main")
KERNEL_UNUSED = SERVER_UNUSED + ("debugpy",)
PAGE_KERNEL = "partyquiz-page"  # the kernelspec the app and workbench notebooks name


def skip_imports(names: tuple[str, ...]) -> None:
    for name in names:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]


def _entry(what: str):
    if what == "singleuser":
        skip_imports(SERVER_UNUSED)
        from jupyterhub.singleuser import main

        return main
    if what == "server":
        skip_imports(SERVER_UNUSED)
        from jupyter_server.serverapp import main

        return main
    if what == "kernel":
        skip_imports(KERNEL_UNUSED)
        from ipykernel.kernelapp import launch_new_instance

        return launch_new_instance
    raise SystemExit(f"usage: python -m partyquiz.launch singleuser|server|kernel [args]; not {what!r}")


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv:
        _entry("")
    start = _entry(argv[0])
    sys.argv = [sys.argv[0], *argv[1:]]
    sys.exit(start())


if __name__ == "__main__":
    main()
