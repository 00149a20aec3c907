"""Shared fixtures. Area-specific helpers live in tests/helpers_<area>.py."""
from __future__ import annotations

import os
import shutil
import socket
import tempfile
from pathlib import Path

import pytest

from partyquiz.grading.site import GraderSite
from partyquiz.settings import ensure_venv_on_path

REPO = Path(__file__).resolve().parents[1]
COURSES = REPO / "courses"
ON_CI = os.environ.get("CI", "").lower() == "true"

ensure_venv_on_path()
os.environ.setdefault("PARTYQUIZ_LANG", "zh-CN")
# A command run without --ledger uses the default ledger under PARTYQUIZ_VAR: never the repository's var/
os.environ.setdefault("PARTYQUIZ_VAR", tempfile.mkdtemp(prefix="partyquiz-test-var-"))


@pytest.fixture(autouse=True)
def _reset_language():
    """`set_language` (e.g. from a CLI test's `--lang en`) is process-wide: give every test the default back."""
    from partyquiz.i18n import set_language

    yield
    set_language(None)


def require(condition: bool, what: str) -> None:
    """Skip when a real service or program is missing here; under CI=true that is a failure."""
    if condition:
        return
    if ON_CI:
        pytest.fail(f"{what} is required under CI=true but missing", pytrace=False)
    pytest.skip(f"{what} not available")


def postgres_available(host: str = "127.0.0.1", port: int = 5432) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def postgres_url() -> str:
    """A fresh database on the real PostgreSQL server, dropped afterwards."""
    require(postgres_available(), "PostgreSQL on 127.0.0.1:5432")
    import uuid

    import psycopg2

    name = f"pq_test_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.cursor() as cur:
            cur.execute(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")
            cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()


@pytest.fixture
def chromium_path() -> str:
    path = shutil.which("chromium")
    require(path is not None, "Debian's chromium")
    return path


CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@pytest.fixture
def site(tmp_path: Path) -> GraderSite:
    """An empty nbgrader course root with its own exchange and SQLite gradebook."""
    site = GraderSite(root=tmp_path / "grader", exchange=tmp_path / "exchange")
    site.prepare()
    return site


@pytest.fixture(scope="session")
def sample_course():
    from partyquiz.authoring import load_course

    return load_course(COURSES / "jiaoyu-guanli")
