"""`partyquiz …`: a thin face over the library. Each area adds its commands from its own module."""
from __future__ import annotations

import typer

app = typer.Typer(help="partyquiz：党员教育与干部培训的在线学习与测验 / party-education quizzes on Jupyter", no_args_is_help=True, add_completion=False)


def _register() -> None:
    # Imported for their side effect of adding @app.command()s; one module per area.
    from . import activities, authoring, demo, grading, hub, records  # noqa: F401


def main() -> None:
    _register()
    app()
