"""Bank tests check their messages in English (the catalogs' en texts; Chinese is the default and
conftest gives every test Chinese back). Import these autouse fixtures into a test module."""
from __future__ import annotations

import pytest

from partyquiz import i18n


@pytest.fixture(autouse=True, scope="module")
def english_for_module_fixtures():
    i18n.set_language("en")  # before the module's shared parses (conftest resets after each test)


@pytest.fixture(autouse=True)
def english_messages():
    i18n.set_language("en")
