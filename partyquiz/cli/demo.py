"""`partyquiz demo`: the whole chain on embedded defaults."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..i18n import t
from . import app, failures, lang_option, use_language


@app.command(help=t("cli.help.demo"))
def demo(
    learners: int = typer.Option(30, help=t("cli.help.learners")),
    branches: int = typer.Option(3, help=t("cli.help.branches")),
    out: Path = typer.Option(Path("out"), help=t("cli.help.out_dir")),
    lang: Optional[str] = lang_option(),
) -> None:
    from ..demo import run_demo  # every stage, nbgrader included: loaded only when the demo runs

    use_language(lang)
    with failures():
        run_demo(learners=learners, branches=branches, out=out)
