"""Ledger schema versions: every ledger is brought to the newest alembic revision when opened.

The revisions live in `partyquiz/records/migrations/versions/` (package data, one linear
history, `NNNN_what.py` with revision "NNNN" and down_revision the one before). A ledger made
before migrations existed (tables, no version table) is taken as the baseline 0001 and then
upgraded. The version table has its own name so a ledger can share a PostgreSQL database with
the nbgrader gradebook, whose own alembic history uses `alembic_version`.
"""
from __future__ import annotations

import functools
from pathlib import Path

import sqlalchemy as sa

VERSION_TABLE = "partyquiz_ledger_version"
MIGRATIONS = Path(__file__).parent / "migrations"
# any advisory-lock key works as long as every partyquiz process uses the same one
_PG_LOCK_KEY = 7_151_262_001


def _config(connection: sa.Connection | None = None):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("version_table", VERSION_TABLE)
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@functools.lru_cache(maxsize=1)
def head_revision() -> str:
    """The newest revision in versions/ (read once per process)."""
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(_config()).get_heads()
    if len(heads) != 1:  # two files with the same down_revision: the history forked
        raise RuntimeError(f"ledger migrations have {len(heads)} heads {heads}: give each new revision the latest one as down_revision")
    return heads[0]


def current_revision(conn: sa.Connection) -> str | None:
    if not sa.inspect(conn).has_table(VERSION_TABLE):
        return None
    return conn.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()


def ensure_current(engine: sa.Engine) -> None:
    """Upgrade the ledger behind `engine` to the head revision (a no-op when it is there).

    The cheap path is one SELECT. Two processes opening a new SQLite ledger at once may race
    on CREATE TABLE; the loser re-checks and succeeds when the winner got it to head.
    """
    with engine.connect() as conn:
        if current_revision(conn) == head_revision():
            return
    try:
        _upgrade(engine)
    except sa.exc.DBAPIError:
        with engine.connect() as conn:
            if current_revision(conn) == head_revision():
                return
        _upgrade(engine)


def _upgrade(engine: sa.Engine) -> None:
    from alembic import command

    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":  # one upgrader at a time; the others wait, then see head
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
        if current_revision(conn) == head_revision():
            return
        command.upgrade(_config(conn), "head")
