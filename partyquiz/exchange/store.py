"""The exchange service's own files: releases, every attempt, feedback. No learner writes here.

Layout under the service's data folder (mode 700, readable only by the service's user):

    <course>/released/<assignment>/…                      what learners fetch
    <course>/attempts/<student>/<assignment>/<attempt>/    one folder per submission, all kept
        files/…        the learner's files (regular files only, server files dropped)
        meta.json      who (from the hub token), when (the service's clock), sizes, what was skipped
    <course>/feedback/<student>/<assignment>/<attempt>/<notebook>.html

An attempt becomes visible only when its meta.json exists (written last, atomically), so a
collect running during a submit never sees half of it. Ids are checked against one pattern
before they become a path.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import secrets
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..files import swap_in_folder
from .archive import DEFAULT_MAX_BYTES, DEFAULT_MAX_FILES, ArchiveError, pack, unpack

ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")
# nbgrader's own timestamp format (Exchange.timestamp_format), so collect writes what autograde reads.
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f UTC"


class StoreError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def check_id(kind: str, value: str) -> str:
    if not isinstance(value, str) or not ID_PATTERN.match(value):
        raise StoreError(400, f"invalid {kind}: {value!r}")
    return value


def server_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def attempt_id(when: dt.datetime) -> str:
    """Sortable by time, unique even for two submits in one microsecond."""
    return when.strftime("%Y%m%dT%H%M%S%fZ") + "-" + secrets.token_hex(4)


@dataclass
class Limits:
    max_bytes: int = DEFAULT_MAX_BYTES
    max_files: int = DEFAULT_MAX_FILES


def _write_json(path: Path, doc: dict) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".meta.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, ensure_ascii=False)
    os.replace(tmp, path)


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


class Store:
    def __init__(self, root: Path | str, limits: Limits | None = None):
        self.root = Path(root)
        self.limits = limits or Limits()
        self.root.mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o700)

    def _course(self, course: str) -> Path:
        return self.root / check_id("course id", course)

    def _unpack(self, data: bytes, dest: Path) -> list[str]:
        try:
            return unpack(data, dest, max_bytes=self.limits.max_bytes, max_files=self.limits.max_files)
        except ArchiveError as exc:
            shutil.rmtree(dest, ignore_errors=True)
            raise StoreError(413 if "larger" in str(exc) or "more than" in str(exc) else 400, str(exc)) from None

    def _staging(self, course: str) -> Path:
        base = self._course(course) / ".staging"
        base.mkdir(parents=True, exist_ok=True)
        return base / secrets.token_hex(8)

    # --- releases --------------------------------------------------------------------------
    def release(self, course: str, assignment: str, data: bytes) -> list[str]:
        check_id("assignment id", assignment)
        staged = self._staging(course)
        files = self._unpack(data, staged)
        swap_in_folder(staged, self._course(course) / "released" / assignment)
        return files

    def unrelease(self, course: str, assignment: str) -> bool:
        folder = self._course(course) / "released" / check_id("assignment id", assignment)
        if not folder.exists():
            return False
        shutil.rmtree(folder)
        return True

    def released(self, course: str) -> list[dict]:
        base = self._course(course) / "released"
        if not base.is_dir():
            return []
        out = []
        for folder in sorted(p for p in base.iterdir() if p.is_dir() and ID_PATTERN.match(p.name)):
            notebooks = sorted(p.stem for p in folder.glob("*.ipynb"))
            out.append({"assignment_id": folder.name, "notebooks": notebooks})
        return out

    def released_zip(self, course: str, assignment: str) -> bytes:
        folder = self._course(course) / "released" / check_id("assignment id", assignment)
        if not folder.is_dir():
            raise StoreError(404, f"assignment not released: {assignment}")
        return pack(folder, max_bytes=self.limits.max_bytes * 5, drop_server_files=False).data

    # --- attempts --------------------------------------------------------------------------
    def _attempts_dir(self, course: str, student: str, assignment: str) -> Path:
        return self._course(course) / "attempts" / check_id("student id", student) / check_id("assignment id", assignment)

    def submit(self, course: str, assignment: str, student: str, data: bytes, skipped: list | None = None) -> dict:
        """A new attempt by `student` (the caller the hub named), stamped with this server's clock."""
        if not (self._course(course) / "released" / check_id("assignment id", assignment)).is_dir():
            raise StoreError(404, f"assignment not released: {assignment}")
        when = server_now()
        attempt = attempt_id(when)
        folder = self._attempts_dir(course, student, assignment) / attempt
        staged = self._staging(course)
        files = self._unpack(data, staged / "files")
        size = sum((staged / "files" / f).stat().st_size for f in files)
        meta = {"student": student, "assignment": assignment, "course": course, "attempt": attempt,
                "timestamp": when.strftime(TIMESTAMP_FORMAT), "files": files, "bytes": size,
                "skipped": [list(s) for s in (skipped or [])][:100]}
        folder.parent.mkdir(parents=True, exist_ok=True)
        os.rename(staged, folder)
        _write_json(folder / "meta.json", meta)  # last: the attempt exists from here on
        return meta

    def attempts(self, course: str, assignment: str, student: str) -> list[dict]:
        base = self._attempts_dir(course, student, assignment)
        if not base.is_dir():
            return []
        out = []
        for folder in sorted(base.iterdir()):
            meta = _read_json(folder / "meta.json")
            if meta is not None:
                meta["feedback"] = self._feedback_names(course, student, assignment, folder.name)
                out.append(meta)
        return out

    def students(self, course: str, assignment: str) -> list[str]:
        base = self._course(course) / "attempts"
        if not base.is_dir():
            return []
        check_id("assignment id", assignment)
        return sorted(p.name for p in base.iterdir() if (p / assignment).is_dir() and ID_PATTERN.match(p.name))

    def attempt_zip(self, course: str, assignment: str, student: str, attempt: str) -> bytes:
        folder = self._attempts_dir(course, student, assignment) / check_id("attempt id", attempt)
        if not (folder / "meta.json").is_file():
            raise StoreError(404, f"no such attempt: {student} {assignment} {attempt}")
        return pack(folder / "files", max_bytes=self.limits.max_bytes).data

    # --- feedback --------------------------------------------------------------------------
    def _feedback_dir(self, course: str, student: str, assignment: str, attempt: str) -> Path:
        return self._course(course) / "feedback" / check_id("student id", student) / check_id("assignment id", assignment) / check_id("attempt id", attempt)

    def _feedback_names(self, course: str, student: str, assignment: str, attempt: str) -> dict[str, str]:
        """Notebook → SHA-256 of its feedback page (the client compares it with its own copy)."""
        folder = self._feedback_dir(course, student, assignment, attempt)
        if not folder.is_dir():
            return {}
        return {p.stem: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.html"))}

    def release_feedback(self, course: str, assignment: str, student: str, attempt: str, data: bytes) -> list[str]:
        if not (self._attempts_dir(course, student, assignment) / check_id("attempt id", attempt) / "meta.json").is_file():
            raise StoreError(404, f"no such attempt: {student} {assignment} {attempt}")
        staged = self._staging(course)
        files = self._unpack(data, staged)
        if any(not f.endswith(".html") or "/" in f for f in files):
            shutil.rmtree(staged, ignore_errors=True)
            raise StoreError(400, "feedback must be .html files")
        swap_in_folder(staged, self._feedback_dir(course, student, assignment, attempt))
        return files

    def feedback_zip(self, course: str, assignment: str, student: str, attempt: str) -> bytes:
        folder = self._feedback_dir(course, student, assignment, attempt)
        if not folder.is_dir():
            raise StoreError(404, "no feedback for this attempt")
        return pack(folder, max_bytes=self.limits.max_bytes).data
