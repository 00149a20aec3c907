"""Generated per-user passwords for the local hub.

Why not a fixed password: the demo runs on machines that hold personnel data; a password in
the docs would be a password on every install. `serve` generates fresh passwords at each start,
prints them once, and keeps only salted PBKDF2 hashes in a mode-600 file the hub reads.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path

from jupyterhub.auth import Authenticator
from traitlets import Unicode

ITERATIONS = 120_000


def hash_password(password: str, salt: str | None = None) -> str:
    salt = salt or secrets.token_hex(8)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), ITERATIONS).hex()
    return f"pbkdf2_sha256${ITERATIONS}${salt}${digest}"


def check_password(password: str, stored: str) -> bool:
    try:
        _, iterations, salt, digest = stored.split("$")
    except ValueError:
        return False
    mine = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), int(iterations)).hex()
    return hmac.compare_digest(mine, digest)


def generate_passwords(users: list[str]) -> dict[str, str]:
    # 12 url-safe characters ≈ 72 bits: plenty for a local demo, short enough to type.
    return {user: secrets.token_urlsafe(9) for user in users}


def write_password_file(path: Path, passwords: dict[str, str]) -> None:
    """Hashes only, mode 600 from the first byte (never world-readable, not even briefly)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump({u: hash_password(p) for u, p in passwords.items()}, fh)
    os.replace(tmp, path)


class GeneratedPasswordAuthenticator(Authenticator):
    """Checks a user's password against the hash file written by `partyquiz serve`."""

    password_file = Unicode(config=True, help="JSON file {user: pbkdf2 hash}, mode 600")

    def _hashes(self) -> dict[str, str]:
        # Re-read on each login: a restart of `serve` rotates the passwords without a hub restart.
        try:
            return json.loads(Path(self.password_file).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.log.error("Cannot read password file %s", self.password_file)
            return {}

    async def authenticate(self, handler, data):
        username = self.normalize_username(data.get("username", ""))
        stored = self._hashes().get(username)
        if stored and check_password(data.get("password", ""), stored):
            return username
        return None
