"""Moving a folder over HTTP as a zip, without trusting either end.

`pack` reads only regular files, never follows a link and never opens a FIFO or a device (a
`/dev/zero` link in a submission would otherwise be read forever); it says what it skipped.
`unpack` writes only regular files into a folder it creates itself, refuses names that climb
out (`..`, absolute paths), and counts the bytes it really writes against the cap, so a zip
that lies about its sizes stops at the cap too. Whatever goes wrong while unpacking (a name that
is a file and a folder at once, a name too long for the file system, a full disk), the folder it
was writing is removed and the caller gets an ArchiveError naming the file: nothing half-written
is left behind.
"""
from __future__ import annotations

import fnmatch
import io
import os
import shutil
import stat
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_MAX_BYTES = 20 * 1024 * 1024  # a quiz notebook and its answers are a few hundred KB
DEFAULT_MAX_FILES = 500
RELEASE_FACTOR = 5  # a release (lesson notebook, quiz file, media) may be this many uploads' bytes
CHUNK = 1 << 16
MAX_NAME_BYTES = 255  # one path component, as every common Linux file system allows
MAX_PATH_BYTES = 1024  # a whole relative path: far from PATH_MAX (4096) wherever the folder is
MAX_DEPTH = 32
MAX_SKIPPED = 100  # skipped files reported per submission
SKIPPED = "SKIPPED"  # the log prefix GraderSite.collect reports from (both collects)
# Written by the exchange itself from the server's clock; a learner's copy is never taken.
SERVER_FILES = frozenset({"timestamp.txt", "submission_secret.txt"})


class ArchiveError(ValueError):
    """The folder or the upload breaks a rule; the message names the file."""


class ArchiveTooBig(ArchiveError):
    """Over a cap: too many bytes or files."""


@dataclass
class Packed:
    data: bytes
    files: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (relative path, why)
    bytes: int = 0
    changed: int = 0  # newest ctime in ns (the file system's clock) of the folders and files read


def printable(text: object, limit: int = 200) -> str:
    """`text` on one line, without control characters, at most `limit` characters: safe to log
    and to show in a summary that is split into lines (a learner chooses file names)."""
    out = "".join("?" if unicodedata.category(ch)[0] == "C" else ch for ch in str(text))
    return out if len(out) <= limit else out[: limit - 1] + "…"


def skipped_list(value: object) -> list[list[str]]:
    """A learner-sent list of (path, why) pairs made safe: printable, bounded, at most MAX_SKIPPED."""
    out = []
    if isinstance(value, list):
        for item in value[:MAX_SKIPPED]:
            if isinstance(item, (list, tuple)) and len(item) == 2:
                out.append([printable(item[0], 200), printable(item[1], 50)])
    return out


def _ignored(name: str, ignore: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatch(name, pattern) for pattern in ignore)


def _read_regular(path: str, budget: int, out: "Packed | None" = None) -> bytes:
    """The file's bytes, refusing anything that is not a regular file when opened (no races)."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ArchiveError(f"{path}: not a regular file")
        if out is not None:
            out.changed = max(out.changed, st.st_ctime_ns)
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
         max_files: int = DEFAULT_MAX_FILES, drop_server_files: bool = True, only: set[str] | None = None,
         compress: bool = True) -> Packed:
    """Zip the regular files under `folder`; links, FIFOs, devices and sockets are skipped and listed.

    `only`: when given, just these relative paths (e.g. a quiz notebook and its answers file).
    `compress=False` stores the files as they are (a notebook of a few hundred KB sent over a
    local network costs more CPU to deflate at both ends than it saves).
    Raises ArchiveError when the files together exceed `max_bytes` or `max_files`.
    """
    folder = Path(folder)
    ignore = tuple(ignore)
    out = Packed(b"")
    buf = io.BytesIO()
    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zipfile.ZipFile(buf, "w", compression=method, compresslevel=1 if compress else None) as zf:
        stack = [(str(folder), "")]
        while stack:
            path, prefix = stack.pop()
            out.changed = max(out.changed, os.lstat(path).st_ctime_ns)
            with os.scandir(path) as entries:
                for entry in sorted(entries, key=lambda e: e.name):
                    rel = prefix + entry.name
                    if _ignored(entry.name, ignore) or (drop_server_files and rel in SERVER_FILES):
                        continue
                    if _name_problem(rel):  # the other side would refuse the whole upload for it
                        out.skipped.append((printable(rel), "unsafe name"))
                    elif entry.is_symlink():
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
        raise ArchiveTooBig(f"{rel}: more than {max_files} files")
    try:
        data = _read_regular(path, max_bytes - out.bytes, out)
    except ArchiveError:
        out.skipped.append((rel, "special file"))
        return
    except OSError as exc:  # ELOOP: became a link after the scan
        out.skipped.append((rel, f"unreadable ({exc.strerror})"))
        return
    out.bytes += len(data)
    if out.bytes > max_bytes:
        raise ArchiveTooBig(f"{rel}: the files are larger than {max_bytes} bytes in all")
    zf.writestr(rel, data)
    out.files.append(rel)


def _name_problem(name: str) -> str | None:
    """Why `name` (a relative POSIX path from an archive) may not be written, or None."""
    if not name or "\\" in name or name.startswith("/"):
        return "not a relative path"
    if any(unicodedata.category(ch)[0] == "C" for ch in name):
        return "control character in the name"
    parts = name.rstrip("/").split("/")
    if any(p in ("", ".", "..") for p in parts) or ":" in parts[0]:
        return "path leaves the folder"
    if len(parts) > MAX_DEPTH:
        return f"more than {MAX_DEPTH} folders deep"
    if any(len(p.encode("utf-8")) > MAX_NAME_BYTES for p in parts) or len(name.encode("utf-8")) > MAX_PATH_BYTES:
        return "name too long"
    return None


def safe_name(name: str) -> str:
    """A relative POSIX path with no way out of its folder, or ArchiveError."""
    problem = _name_problem(name)
    if problem:
        raise ArchiveError(f"{printable(name)!r}: {problem}")
    return "/".join(name.rstrip("/").split("/"))


def _check_names(names: list[str]) -> None:
    """No name twice, and no name that is a file and also a folder of another (`x` and `x/y`)."""
    if len(set(names)) != len(names):
        raise ArchiveError("a file name appears twice")
    files = set(names)
    for name in names:
        parts = name.split("/")
        for i in range(1, len(parts)):
            folder = "/".join(parts[:i])
            if folder in files:
                raise ArchiveError(f"{printable(folder)!r} is a file and a folder at once")


def unpack(data: bytes, dest: Path | str, *, max_bytes: int = DEFAULT_MAX_BYTES, max_files: int = DEFAULT_MAX_FILES,
           drop_server_files: bool = True) -> list[str]:
    """Write the zip's regular files into `dest` (which must not exist yet); returns their names.

    On any failure `dest` is removed again and an ArchiveError names the file (an OSError such
    as a full disk too); nothing the call wrote stays behind.
    """
    return unpack_counted(data, dest, max_bytes=max_bytes, max_files=max_files, drop_server_files=drop_server_files)[0]


def unpack_counted(data: bytes, dest: Path | str, *, max_bytes: int = DEFAULT_MAX_BYTES, max_files: int = DEFAULT_MAX_FILES,
                   drop_server_files: bool = True, limit_message: str | None = None) -> tuple[list[str], int]:
    """`unpack`, also returning the bytes written. `limit_message`: the error when `max_bytes` is hit."""
    dest = Path(dest)
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:  # a lying header raises any of these
        raise ArchiveError(f"not a zip archive: {exc}") from None
    too_big = limit_message or f"larger than {max_bytes} bytes unpacked"
    with zf:
        infos = [i for i in zf.infolist() if not i.is_dir()]
        if len(infos) > max_files:
            raise ArchiveTooBig(f"more than {max_files} files")
        names = [safe_name(i.filename) for i in infos]
        _check_names(names)
        if sum(i.file_size for i in infos) > max_bytes:
            raise ArchiveTooBig(too_big)
        dest.mkdir(parents=True, exist_ok=False)
        try:
            return _write_all(zf, infos, names, dest, max_bytes, drop_server_files, too_big)
        except ArchiveError:
            shutil.rmtree(dest, ignore_errors=True)
            raise
        # a damaged member: a bad CRC, a garbled deflate stream (zlib.error), an unknown method or
        # encryption; an OSError while writing is already an ArchiveError (_write_all)
        except (zipfile.BadZipFile, EOFError, ValueError, NotImplementedError, RuntimeError, zlib.error) as exc:
            shutil.rmtree(dest, ignore_errors=True)
            raise ArchiveError(f"damaged archive: {exc}") from None
        except BaseException:
            shutil.rmtree(dest, ignore_errors=True)
            raise


def _write_all(zf: zipfile.ZipFile, infos: list, names: list[str], dest: Path, max_bytes: int, drop_server_files: bool,
               too_big: str) -> tuple[list[str], int]:
    written, total = [], 0
    for info, name in zip(infos, names):
        if drop_server_files and name in SERVER_FILES:
            continue
        target = dest / name
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
            with os.fdopen(fd, "wb") as fh, zf.open(info) as src:
                while chunk := src.read(CHUNK):
                    total += len(chunk)
                    if total > max_bytes:
                        raise ArchiveTooBig(f"{printable(name)}: {too_big}")
                    fh.write(chunk)
        except OSError as exc:  # named by its place in the archive, not by the server's path
            raise ArchiveError(f"{printable(name)}: cannot be written ({exc.strerror or exc})") from None
        written.append(name)
    return written, total
