"""Moving a folder over HTTP as a zip, without trusting either end.

`pack` reads only regular files, never follows a link and never opens a FIFO or a device (a
`/dev/zero` link in a submission would otherwise be read forever); it says what it skipped.
`unpack` writes only regular files into a folder it creates itself, refuses names that climb
out (`..`, absolute paths), and counts the bytes it really writes against the cap, so a zip
that lies about its sizes stops at the cap too.
"""
from __future__ import annotations

import fnmatch
import io
import os
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_MAX_BYTES = 20 * 1024 * 1024  # a quiz notebook and its answers are a few hundred KB
DEFAULT_MAX_FILES = 500
CHUNK = 1 << 16
# Written by the exchange itself from the server's clock; a learner's copy is never taken.
SERVER_FILES = frozenset({"timestamp.txt", "submission_secret.txt"})


class ArchiveError(ValueError):
    """The folder or the upload breaks a rule; the message names the file."""


@dataclass
class Packed:
    data: bytes
    files: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (relative path, why)
    bytes: int = 0


def _ignored(name: str, ignore: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatch(name, pattern) for pattern in ignore)


def _read_regular(path: str, budget: int) -> bytes:
    """The file's bytes, refusing anything that is not a regular file when opened (no races)."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ArchiveError(f"{path}: not a regular file")
        parts, left = [], budget + 1
        while left > 0:
            chunk = os.read(fd, min(CHUNK, left))
            if not chunk:
                break
            parts.append(chunk)
            left -= len(chunk)
        return b"".join(parts)
    finally:
        os.close(fd)


def pack(folder: Path | str, *, ignore: tuple[str, ...] | list[str] = (), max_bytes: int = DEFAULT_MAX_BYTES,
         max_files: int = DEFAULT_MAX_FILES, drop_server_files: bool = True, only: set[str] | None = None) -> Packed:
    """Zip the regular files under `folder`; links, FIFOs, devices and sockets are skipped and listed.

    `only`: when given, just these relative paths (e.g. a quiz notebook and its answers file).
    Raises ArchiveError when the files together exceed `max_bytes` or `max_files`.
    """
    folder = Path(folder)
    ignore = tuple(ignore)
    out = Packed(b"")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        stack = [(str(folder), "")]
        while stack:
            path, prefix = stack.pop()
            with os.scandir(path) as entries:
                for entry in sorted(entries, key=lambda e: e.name):
                    rel = prefix + entry.name
                    if _ignored(entry.name, ignore) or (drop_server_files and rel in SERVER_FILES):
                        continue
                    if entry.is_symlink():
                        out.skipped.append((rel, "symlink"))
                    elif entry.is_dir(follow_symlinks=False):
                        stack.append((entry.path, rel + "/"))
                    elif not entry.is_file(follow_symlinks=False):
                        out.skipped.append((rel, "special file"))
                    elif only is None or rel in only:
                        _add(zf, out, entry.path, rel, max_bytes, max_files)
    out.data = buf.getvalue()
    return out


def _add(zf: zipfile.ZipFile, out: Packed, path: str, rel: str, max_bytes: int, max_files: int) -> None:
    if len(out.files) >= max_files:
        raise ArchiveError(f"{rel}: more than {max_files} files")
    try:
        data = _read_regular(path, max_bytes - out.bytes)
    except ArchiveError:
        out.skipped.append((rel, "special file"))
        return
    except OSError as exc:  # ELOOP: became a link after the scan
        out.skipped.append((rel, f"unreadable ({exc.strerror})"))
        return
    out.bytes += len(data)
    if out.bytes > max_bytes:
        raise ArchiveError(f"{rel}: the files are larger than {max_bytes} bytes in all")
    zf.writestr(rel, data)
    out.files.append(rel)


def safe_name(name: str) -> str:
    """A relative POSIX path with no way out of its folder, or ArchiveError."""
    if not name or "\\" in name or "\0" in name or name.startswith("/"):
        raise ArchiveError(f"{name!r}: not a relative path")
    parts = name.rstrip("/").split("/")
    if any(p in ("", ".", "..") for p in parts) or ":" in parts[0]:
        raise ArchiveError(f"{name!r}: path leaves the folder")
    return "/".join(parts)


def unpack(data: bytes, dest: Path | str, *, max_bytes: int = DEFAULT_MAX_BYTES, max_files: int = DEFAULT_MAX_FILES,
           drop_server_files: bool = True) -> list[str]:
    """Write the zip's regular files into `dest` (which must not exist yet); returns their names."""
    dest = Path(dest)
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise ArchiveError(f"not a zip archive: {exc}") from None
    with zf:
        infos = [i for i in zf.infolist() if not i.is_dir()]
        if len(infos) > max_files:
            raise ArchiveError(f"more than {max_files} files")
        names = [safe_name(i.filename) for i in infos]
        if len(set(names)) != len(names):
            raise ArchiveError("a file name appears twice")
        if sum(i.file_size for i in infos) > max_bytes:
            raise ArchiveError(f"larger than {max_bytes} bytes unpacked")
        dest.mkdir(parents=True, exist_ok=False)
        written, total = [], 0
        for info, name in zip(infos, names):
            if drop_server_files and name in SERVER_FILES:
                continue
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
            with os.fdopen(fd, "wb") as fh, zf.open(info) as src:
                while chunk := src.read(CHUNK):
                    total += len(chunk)
                    if total > max_bytes:
                        raise ArchiveError(f"{name}: larger than {max_bytes} bytes unpacked")
                    fh.write(chunk)
            written.append(name)
        return written
