"""Alembic migrations of the ledger (one linear history; see versions/ and docs/ledger-migrations.md)."""
