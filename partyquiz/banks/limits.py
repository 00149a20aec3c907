"""Bounds on bank input (issue 13): a bank file is untrusted, so its size is capped before parsing.

- any bank file: `MAX_BANK_BYTES` on disk;
- an xlsx is a zip: the uncompressed sizes its members declare are added up and checked against
  `MAX_XLSX_UNPACKED_BYTES` before openpyxl opens it (2 MB can declare 1 GB of shared strings),
  and so is the compression ratio of every member.
Both limits are generous for real banks (a 5,000-question bank is about 1 MB as xlsx).
"""
from __future__ import annotations

import zipfile
from pathlib import Path

from ..errors import Problem
from ..i18n import t

MAX_BANK_BYTES = 50_000_000
MAX_XLSX_UNPACKED_BYTES = 200_000_000
MAX_RATIO = 200  # a member that unpacks to more than 200 × its packed size is a zip bomb


def _mb(n: int) -> str:
    return f"{n / 1_000_000:.0f} MB"


def size_problem(path: Path, limit: int = MAX_BANK_BYTES) -> Problem | None:
    size = path.stat().st_size
    if size > limit:
        return Problem(str(path), t("authoring.bank.too_large", size=_mb(size), limit=_mb(limit)))
    return None


def xlsx_problem(path: Path, limit: int = MAX_XLSX_UNPACKED_BYTES) -> Problem | None:
    """A problem if the workbook would unpack to more than `limit` bytes (checked from the zip index)."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except zipfile.BadZipFile as exc:
        return Problem(str(path), t("authoring.bank.not_xlsx", error=str(exc)[:200]))
    total = sum(m.file_size for m in members)
    if total > limit:
        return Problem(str(path), t("authoring.bank.xlsx_unpacks", size=_mb(total), limit=_mb(limit)))
    for m in members:
        if m.file_size > 1_000_000 and m.file_size > MAX_RATIO * max(m.compress_size, 1):
            return Problem(str(path), t("authoring.bank.xlsx_bomb", member=m.filename, ratio=m.file_size // max(m.compress_size, 1), size=_mb(m.file_size)))
    return None
