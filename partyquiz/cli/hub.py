"""`partyquiz` commands for the hub stage (parse options, call the library)."""
from __future__ import annotations

from . import app  # noqa: F401
