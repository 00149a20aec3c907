"""`partyquiz serve`: parse options, call partyquiz.hub.serve."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..i18n import language, t
from . import app, failures, hidden_alias, lang_option, ledger_option, use_language


@app.command(help=t("cli.help.serve"))
def serve(
    port: int = typer.Option(8000, help=t("cli.help.port")),
    learners: int = typer.Option(5, help=t("cli.help.hub_learners")),
    roster: Optional[Path] = typer.Option(None, help=t("cli.help.roster_file")),
    hub_dir: Optional[Path] = typer.Option(None, help=t("cli.help.hub_dir")),
    ledger: Optional[str] = ledger_option(),
    ledger_url: Optional[str] = hidden_alias("--ledger-url"),  # the old name of --ledger
    course: Optional[list[Path]] = typer.Option(None, help=t("cli.help.hub_courses")),
    lang: Optional[str] = lang_option(),
) -> None:
    from ..hub import HubSetup, default_hub_dir, serve as run  # the hub, its exchange and records service: loaded for this command only

    use_language(lang)
    with failures():
        setup = HubSetup(hub_dir=hub_dir or default_hub_dir(), port=port, learners=learners, roster_file=roster,
                         ledger_url=ledger or ledger_url, lang=language())
        if course:
            setup.courses = [Path(c) for c in course]
        run(setup)
