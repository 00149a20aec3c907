"""`partyquiz …`: a thin face over the library. Each area adds its commands from its own module.

One style for every command:
- `--lang zh-CN|en` on every command; without it PARTYQUIZ_LANG decides, else Chinese. Help texts
  follow it too: `main()` reads `--lang` before the commands are defined. Any other value is a
  usage error.
- one name per thing: `--ledger` (the training-record ledger), `--gradebook` (nbgrader's),
  `--root` (the nbgrader course root, default from the settings); older spellings (`--db-url`,
  `--ledger-url`) still work but are hidden from the help.
- one way to fail: a usage error (bad option, missing argument) exits 2 as Typer does; anything
  else prints one message, in the interface language, and exits 1. Library exceptions
  (`PartyquizError`: bad input with file and row, nbgrader refusing a step; `ValueError`,
  `OSError`, a database that cannot be opened, a name that is not there) become that message,
  never a traceback.
"""
from __future__ import annotations

import contextlib
import re
import sys
from typing import Iterator, NoReturn, Optional

import typer
from rich.console import Console

from ..errors import InputError, NotFound, PartyquizError
from ..i18n import LANGUAGES, set_language, t
from ..settings import SettingsError, settings

app = typer.Typer(help=t("cli.help.app"), no_args_is_help=True, add_completion=False)
console = Console()
err = Console(stderr=True)


def _known_language(value: Optional[str]) -> Optional[str]:
    """`--lang` takes a catalog language (any case, `_` for `-`); anything else is a usage error."""
    if value is None:
        return None
    for lang in LANGUAGES:
        if value.replace("_", "-").lower() == lang.lower():
            return lang
    raise typer.BadParameter(t("cli.error.lang", value=value, choices=" | ".join(LANGUAGES)))


def lang_option() -> Optional[str]:
    """The `--lang` option every command takes (a fresh OptionInfo per command, as Typer wants)."""
    return typer.Option(None, "--lang", help=t("cli.help.lang"), show_default=False, metavar="|".join(LANGUAGES),
                        callback=_known_language)


def ledger_option() -> Optional[str]:
    """`--ledger`: the ledger URL; without it, the settings' default ledger (`ledger_or_default`)."""
    return typer.Option(None, "--ledger", help=t("cli.help.ledger"))


def gradebook_option() -> Optional[str]:
    """`--gradebook`: nbgrader's gradebook URL; without it, the settings', else the course root's SQLite file."""
    return typer.Option(None, "--gradebook", help=t("cli.help.gradebook"))


def hidden_alias(name: str) -> Optional[str]:
    """An older spelling of an option, still accepted but not shown in the help."""
    return typer.Option(None, name, hidden=True)


def grader_root_option():
    """`--root`: the nbgrader course root; without it, the settings' (`or_grader_root`, or GraderSite's default)."""
    return typer.Option(None, "--root", help=t("cli.help.grader_root"), show_default=False)


def or_grader_root(root):
    return root or settings().default_grader_root


def grader_site(gradebook: Optional[str] = None, root=None):
    """The nbgrader course the options name: `--root`, else the settings' course root; `--gradebook`,
    else the settings' gradebook, else the SQLite file in the course root."""
    from ..grading.site import GraderSite  # nbgrader's configuration: not for `partyquiz --help`

    given = {"root": root} if root else {}  # GraderSite defaults to the settings' course root itself
    return GraderSite(**given, db_url=gradebook or settings().gradebook_url)


def gradebook_or_default(url: Optional[str]) -> str:
    return grader_site(url).gradebook_url


def rules_option():
    """`--rules`: another hour-rules file than the shipped one."""
    return typer.Option(None, "--rules", help=t("cli.help.rules"))


def ledger_or_default(url: Optional[str]) -> str:
    return url or settings().ledger_url


def existing_ledger_or_default(url: Optional[str]) -> str:
    """`ledger_or_default`, for a command that only reads: a ledger file that is not there is an error."""
    from ..records.ledger import existing_ledger  # SQLAlchemy: not for `partyquiz --help`

    return existing_ledger(ledger_or_default(url))


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
    except SettingsError as exc:  # settings sit below the catalogs: the message is made here
        if exc.names:
            fail(t("cli.error.settings", file=exc.path, names=", ".join(exc.names)))
        fail(t("cli.error.settings_toml", file=exc.path, reason=exc.reason))
    except (PartyquizError, ValueError, OSError) as exc:
        fail(str(exc))
    except NotFound as exc:  # a lesson, assignment or question kind by a name that is not there
        fail(str(exc) if exc.worded else t("cli.error.not_found", what=exc))
    except Exception as exc:
        if not _is_database_error(exc):
            raise
        fail(t("cli.error.database", reason=_database_reason(exc)))


def _is_database_error(exc: Exception) -> bool:
    # SQLAlchemy is not imported for `partyquiz --help`; when it never was, this is not its error
    sa = sys.modules.get("sqlalchemy.exc")
    return sa is not None and isinstance(exc, sa.SQLAlchemyError)


def _database_reason(exc: Exception) -> str:
    """The driver's own words, first lines only, without SQLAlchemy's link or a password in a URL."""
    text = str(getattr(exc, "orig", None) or exc).split("(Background on this error")[0]
    text = re.sub(r"(\w+://[^:/@\s]*):[^@\s]*@", r"\1:***@", text)
    return " ".join(line.strip() for line in text.strip().splitlines()[:3])


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
