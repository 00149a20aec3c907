"""`partyquiz …`: a thin face over the library. Each area adds its commands from its own module.

One style for every command:
- `--lang zh-CN|en` on every command; without it PARTYQUIZ_LANG decides, else Chinese. Help texts
  follow it too: `main()` reads `--lang` before the commands are defined.
- one way to fail: a usage error (bad option, missing argument) exits 2 as Typer does; anything
  else prints one message, in the interface language, and exits 1. Library exceptions
  (`PartyquizError`: bad input with file and row, nbgrader refusing a step; `ValueError`,
  `OSError`) become that message, never a traceback.
"""
from __future__ import annotations

import contextlib
import sys
from typing import Iterator, NoReturn, Optional

import typer
from rich.console import Console

from ..errors import InputError, PartyquizError
from ..i18n import set_language, t
from ..settings import settings

app = typer.Typer(help=t("cli.help.app"), no_args_is_help=True, add_completion=False)
console = Console()
err = Console(stderr=True)


def lang_option() -> Optional[str]:
    """The `--lang` option every command takes (a fresh OptionInfo per command, as Typer wants)."""
    return typer.Option(None, "--lang", help=t("cli.help.lang"), show_default=False)


def ledger_option() -> Optional[str]:
    """`--ledger`: the ledger URL; without it, the settings' default ledger (`ledger_or_default`)."""
    return typer.Option(None, "--ledger", help=t("cli.help.ledger"))


def rules_option():
    """`--rules`: another hour-rules file than the shipped one."""
    return typer.Option(None, "--rules", help=t("cli.help.rules"))


def ledger_or_default(url: Optional[str]) -> str:
    return url or settings().ledger_url


def use_language(lang: Optional[str]) -> None:
    """An explicit `--lang` wins; without one PARTYQUIZ_LANG is left to decide (never overridden)."""
    if lang:
        set_language(lang)


def report_problems(problems) -> None:
    if problems:
        err.print(t("authoring.problems", n=len(problems)), style="bold red")
        for problem in problems:
            err.print(f"  {problem}", markup=False, highlight=False, soft_wrap=True)


def warn(warnings) -> None:
    """What was kept only in part: said, but not a failure."""
    if warnings:
        err.print(t("authoring.warnings", n=len(warnings)), style="bold yellow")
        for warning in warnings:
            err.print(f"  {warning}", markup=False, highlight=False, soft_wrap=True)


def fail(message: str) -> NoReturn:
    err.print(message, style="red", markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(1)


@contextlib.contextmanager
def failures() -> Iterator[None]:
    """Library errors inside the block → their message on stderr and exit 1."""
    try:
        yield
    except InputError as exc:
        report_problems(exc.problems)
        raise typer.Exit(1) from exc
    except (PartyquizError, ValueError, OSError) as exc:
        fail(str(exc))


def _language_from_argv(argv: list[str]) -> Optional[str]:
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
    return None


def _register() -> None:
    # Imported for their side effect of adding @app.command()s; one module per area.
    from . import activities, authoring, demo, grading, hub, records  # noqa: F401


def main() -> None:
    use_language(_language_from_argv(sys.argv[1:]))  # before the commands exist, so their help is in it too
    app.info.help = t("cli.help.app")
    _register()
    app()
