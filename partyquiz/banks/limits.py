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

MAX_BANK_BYTES = 50_000_000
MAX_XLSX_UNPACKED_BYTES = 200_000_000
MAX_RATIO = 200  # a member that unpacks to more than 200 × its packed size is a zip bomb


def _mb(n: int) -> str:
    return f"{n / 1_000_000:.0f} MB"


def size_problem(path: Path, limit: int = MAX_BANK_BYTES) -> Problem | None:
    size = path.stat().st_size
    if size > limit:
        return Problem(str(path), f"题库文件过大（{_mb(size)}，上限 {_mb(limit)}）/ bank file too large ({_mb(size)}, limit {_mb(limit)}): split it into several files")
    return None


def xlsx_problem(path: Path, limit: int = MAX_XLSX_UNPACKED_BYTES) -> Problem | None:
    """A problem if the workbook would unpack to more than `limit` bytes (checked from the zip index)."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except zipfile.BadZipFile as exc:
        return Problem(str(path), f"不是有效的 xlsx 文件 / not a valid xlsx file: {exc}")
    total = sum(m.file_size for m in members)
    if total > limit:
        return Problem(str(path), f"表格解压后过大（{_mb(total)}，上限 {_mb(limit)}）/ spreadsheet unpacks to {_mb(total)} (limit {_mb(limit)}): refused")
    for m in members:
        if m.file_size > 1_000_000 and m.file_size > MAX_RATIO * max(m.compress_size, 1):
            return Problem(str(path), f"表格中的 {m.filename} 压缩比异常（{m.file_size // max(m.compress_size, 1)}:1）/ member {m.filename} is a zip bomb ({_mb(m.file_size)} from {m.compress_size} bytes): refused")
    return None
