"""Alembic environment for the ledger: always run on a connection the library hands over.

`partyquiz.records.migrate.upgrade` passes its open connection in `config.attributes`; there is
no alembic.ini and no URL here, so the ledger is migrated exactly where the library opened it.
"""
from __future__ import annotations

from alembic import context

from partyquiz.records.ledger import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=True,  # SQLite cannot ALTER most things: alembic copies the table instead
    compare_type=True,
    version_table=context.config.get_main_option("version_table"),
)
with context.begin_transaction():
    context.run_migrations()
