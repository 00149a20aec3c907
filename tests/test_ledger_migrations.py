"""Ledger migrations: a ledger written before migrations existed upgrades in place, rows intact,
on SQLite and on the real PostgreSQL; the migrated schema is exactly the tables the code uses."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from partyquiz.exports import branch_summary
from partyquiz.records import ledger as L
from partyquiz.records import migrate

FIXTURES = Path(__file__).parent / "fixtures"
V0_TABLES = ("learners", "courses", "lessons", "questions", "batches", "records", "items")


def _rows(url: str, columns: dict[str, list[str]] | None = None) -> dict[str, list[tuple]]:
    """Every row of the v0 tables, only the v0 columns (later revisions may add some)."""
    engine = sa.create_engine(url)
    out = {}
    with engine.connect() as conn:
        meta = sa.MetaData()
        meta.reflect(conn, only=V0_TABLES)
        for name in V0_TABLES:
            table = meta.tables[name]
            cols = [table.c[c] for c in (columns or {}).get(name, [c.name for c in table.columns])]
            out[name] = [tuple(r) for r in conn.execute(sa.select(*cols).order_by(*table.primary_key.columns))]
    engine.dispose()
    return out


def _v0_columns() -> dict[str, list[str]]:
    engine = sa.create_engine(f"sqlite:///{FIXTURES / 'ledger-v0.sqlite'}")
    with engine.connect() as conn:
        inspector = sa.inspect(conn)
        cols = {name: [c["name"] for c in inspector.get_columns(name)] for name in V0_TABLES}
    engine.dispose()
    return cols


def _schema_differences(url: str) -> list:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        ours = lambda name, type_, *_: type_ != "table" or name in L.metadata.tables  # noqa: E731 (not a gradebook table)
        context = MigrationContext.configure(conn, opts={"compare_type": True, "version_table": migrate.VERSION_TABLE,
                                                         "include_name": lambda name, type_, parent: ours(name, type_)})
        diffs = compare_metadata(context, L.metadata)
    engine.dispose()
    return diffs


def _upgrades_in_place(url: str, before: dict[str, list[tuple]]) -> None:
    with L.engine_for(url) as engine, engine.connect() as conn:
        assert migrate.current_revision(conn) == migrate.head_revision()
    assert _rows(url, _v0_columns()) == before  # every record, regrade link and item kept
    # what a user sees: a01's regrade history (7 → 13, the first superseded by the second)
    history = L.record_history(url, "a01", "c1", "l1")
    assert [(h["score"], h["passed"], h["current"], h["batch_id"]) for h in history] == [(7, False, False, "b1"), (13, True, True, "b2")]
    assert history[0]["superseded_by"] == history[1]["id"]
    assert {r.lesson_id: r.hours for r in L.learner_records(url, "a03")} == {"l1": 2.0, "l2": 1.0}
    assert [b["branch"] for b in branch_summary(url)] == ["一支部", "二支部"]
    assert _schema_differences(url) == []


def test_v0_sqlite_ledger_upgrades_in_place(tmp_path):
    path = tmp_path / "ledger.db"
    shutil.copyfile(FIXTURES / "ledger-v0.sqlite", path)
    url = f"sqlite:///{path}"
    before = _rows(url)
    assert len(before["records"]) == 5 and len(before["learners"]) == 4 and len(before["items"]) == 2
    with sa.create_engine(url).connect() as conn:
        assert migrate.current_revision(conn) is None  # a ledger from before migrations
    _upgrades_in_place(url, before)
    # a new record id continues after the old ones (the autoincrement survived)
    with L.engine_for(url) as engine, engine.begin() as conn:
        conn.execute(sa.insert(L.records).values(
            learner_id="a04", course_id="c1", lesson_id="l2", assignment="c1-l2", score=9, max_score=10, passed=True,
            hours=1, batch_id="b3", late=False, current=True))
        assert conn.execute(sa.select(sa.func.max(L.records.c.id))).scalar() == 6


@pytest.mark.postgres
def test_v0_postgresql_ledger_upgrades_in_place(postgres_url):
    engine = sa.create_engine(postgres_url)
    with engine.begin() as conn:
        conn.exec_driver_sql((FIXTURES / "ledger-v0.postgresql.sql").read_text(encoding="utf-8"))
    engine.dispose()
    before = _rows(postgres_url)
    assert before == _rows(f"sqlite:///{FIXTURES / 'ledger-v0.sqlite'}")  # the dump is the same ledger
    _upgrades_in_place(postgres_url, before)
    with L.engine_for(postgres_url) as engine, engine.begin() as conn:
        new_id = conn.execute(sa.insert(L.records).values(
            learner_id="a04", course_id="c1", lesson_id="l2", assignment="c1-l2", score=9, max_score=10, passed=True,
            hours=1, batch_id="b3", late=False, current=True).returning(L.records.c.id)).scalar()
    assert new_id == 6


def test_new_sqlite_ledger_has_exactly_the_tables_the_code_uses(tmp_path):
    url = f"sqlite:///{tmp_path / 'new' / 'ledger.db'}"
    with L.engine_for(url):
        pass
    assert _schema_differences(url) == []
    with L.engine_for(url) as engine, engine.connect() as conn:  # opening again changes nothing
        assert migrate.current_revision(conn) == migrate.head_revision()


@pytest.mark.postgres
def test_new_postgresql_ledger_beside_an_nbgrader_gradebook(postgres_url):
    from nbgrader.api import Gradebook

    Gradebook(postgres_url).close()  # nbgrader's own alembic_version lives in the same database
    with L.engine_for(postgres_url):
        pass
    assert _schema_differences(postgres_url) == []
    with sa.create_engine(postgres_url).connect() as conn:
        nbgrader_version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    assert nbgrader_version and nbgrader_version != migrate.head_revision()


def test_revisions_form_one_numbered_line():
    files = sorted(p for p in (migrate.MIGRATIONS / "versions").glob("*.py") if p.name != "__init__.py")
    previous = None
    for number, path in enumerate(files, start=1):
        assert re.fullmatch(r"\d{4}_[a-z0-9_]+\.py", path.name), path.name
        text = path.read_text(encoding="utf-8")
        assert f'revision = "{number:04d}"' in text, f"{path.name}: revision must be {number:04d}"
        expected = "None" if previous is None else f'"{previous}"'
        assert f"down_revision = {expected}" in text, f"{path.name}: down_revision must be {expected}"
        previous = f"{number:04d}"
    assert migrate.head_revision() == previous
