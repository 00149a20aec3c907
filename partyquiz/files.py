"""File helpers every stage shares: atomic writes, hard-link placement, walking a folder.

Writes that matter go to a temp file in the same folder, are flushed to disk, then renamed over
the target, so a reader (or a crash) never sees half a file.
"""
from __future__ import annotations

import contextlib
import fnmatch
import os
import secrets
import shutil
import tempfile
from pathlib import Path
from typing import Iterator


@contextlib.contextmanager
def atomic_path(path: Path | str) -> Iterator[Path]:
    """A temp path beside `path`; renamed over `path` when the block ends without an error."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_bytes(path: Path | str, data: bytes) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_text(path: Path | str, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def staging_beside(final: Path) -> Path:
    """A fresh sibling name of the folder `final` to build it in before `swap_in_folder` (same file
    system): a failure on the way leaves `final` as it was."""
    final.parent.mkdir(parents=True, exist_ok=True)
    return final.with_name(f".{final.name}.new-{secrets.token_hex(4)}")


def swap_in_folder(staged: Path, final: Path) -> None:
    """Replace the folder `final` by `staged` (same file system) so a reader sees the old or the
    new folder whole, never a mix: two renames, then the old one is removed."""
    final.parent.mkdir(parents=True, exist_ok=True)
    if final.exists():
        old = final.with_name(f".{final.name}.old-{secrets.token_hex(4)}")
        os.rename(final, old)
        os.rename(staged, final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(staged, final)


def place(src: Path, target: Path) -> None:
    """Hard-link when possible (one system call, no data copied), else copy.

    Safe for grading's copies: nothing edits these files in place (the answer store and
    nbgrader's collect replace files, they never rewrite them), so a link never sees a later change.
    """
    try:
        os.link(src, target)
    except FileExistsError:
        os.unlink(target)
        os.link(src, target)
    except OSError:
        shutil.copyfile(src, target)


def ignored(name: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatch(name, pattern) for pattern in patterns)


def walk_files(folder: Path, ignore: list[str], prefix: str = "") -> list[tuple[str, os.DirEntry]]:
    """(relative path, entry) of every file under `folder`, skipping names matching `ignore`
    (nbgrader's `CourseDirectory.ignore`) at any depth; symlinks are not followed."""
    out = []
    with os.scandir(folder) as entries:
        for entry in entries:
            if ignored(entry.name, ignore):
                continue
            rel = prefix + entry.name
            if entry.is_dir(follow_symlinks=False):
                out.extend(walk_files(Path(entry.path), ignore, rel + "/"))
            elif entry.is_file(follow_symlinks=False):
                out.append((rel, entry))
    return out
