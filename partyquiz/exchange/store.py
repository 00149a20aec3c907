"""The exchange service's own files: releases, every attempt, feedback. No learner writes here.

Layout under the service's data folder (mode 700, readable only by the service's user):

    <course>/released/<assignment>/…                      what learners fetch
    <course>/attempts/<student>/<assignment>/<attempt>/    one folder per submission, all kept
        files/…        the learner's files (regular files only, server files dropped)
        meta.json      who (from the hub token), when (the service's clock), sizes, what was skipped
    <course>/feedback/<student>/<assignment>/<attempt>/<notebook>.html
    <course>/.staging/…                                    uploads being unpacked (swept at start)

An attempt becomes visible only when its meta.json exists (written last, atomically), so a
collect running during a submit never sees half of it. Course, assignment and attempt ids are
checked against one pattern before they become a path. A student is the hub user name; a name
outside that pattern (`张三`, `o'brien`) is kept in a folder named `~<hex of its UTF-8>`, and
meta.json carries the name itself.

What a learner may store is bounded (issue 13, H1/H2): per upload `Limits.max_bytes` and
`max_files`; per learner and course `Limits.quota_bytes` over all attempts; per assignment the
quiz's own `attempts` (from the released `<notebook>.quiz.json`, course.yml) and its lesson's
`deadline` (the end of that day in `DEADLINE_ZONE`), after which submissions are taken and marked
late unless the lesson says `after_deadline: closed`. A learner's submits run one at a time, so two at once
cannot both pass the attempt check.
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
import threading
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from ..files import swap_in_folder
from ..i18n import t
from .archive import (DEFAULT_MAX_BYTES, DEFAULT_MAX_FILES, RELEASE_FACTOR, ArchiveError, ArchiveTooBig, pack, printable,
                      skipped_list, unpack_counted)

ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")
# nbgrader's own timestamp format (Exchange.timestamp_format), so collect writes what autograde reads.
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f UTC"
# an assignment without a quiz file (code exercises) takes at most this many attempts: the
# largest `attempts` course.yml allows for a quiz (model.Quiz)
DEFAULT_MAX_ATTEMPTS = 20
DEADLINE_ZONE = "Asia/Shanghai"  # a lesson's `deadline` is a date; it ends at midnight here
MAX_STUDENT_BYTES = 120  # UTF-8 bytes of a hub name; its folder name (hex) stays under 255


class StoreError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def check_id(kind: str, value: str) -> str:
    if not isinstance(value, str) or not ID_PATTERN.match(value):
        raise StoreError(400, f"invalid {kind}: {printable(value, 120)!r}")
    return value


def check_student(name: str) -> str:
    """A hub user name that can name a folder on the grader's side too, or StoreError."""
    bad = (not isinstance(name, str) or not name or name in (".", "..") or name.startswith((".", "~"))
           or "/" in name or "\\" in name or len(name.encode("utf-8", "surrogatepass")) > MAX_STUDENT_BYTES
           or any(unicodedata.category(ch)[0] == "C" for ch in name))
    if bad:
        raise StoreError(400, f"invalid student id: {printable(name, 120)!r}")
    return name


def student_folder(name: str) -> str:
    """The folder a student's attempts live in: the name itself when it is a plain id."""
    check_student(name)
    return name if ID_PATTERN.match(name) else "~" + name.encode("utf-8").hex()


def student_from_folder(folder: str) -> str | None:
    if ID_PATTERN.match(folder):
        return folder
    if folder.startswith("~"):
        try:
            return check_student(bytes.fromhex(folder[1:]).decode("utf-8"))
        except (ValueError, StoreError):
            return None
    return None


def server_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def attempt_id(when: dt.datetime) -> str:
    """Sortable by time, unique even for two submits in one microsecond."""
    return when.strftime("%Y%m%dT%H%M%S%fZ") + "-" + secrets.token_hex(4)


@dataclass
class Limits:
    max_bytes: int = DEFAULT_MAX_BYTES  # one upload, unpacked
    max_files: int = DEFAULT_MAX_FILES
    quota_bytes: int | None = None  # one learner's attempts in one course; None: 10 × max_bytes

    @property
    def quota(self) -> int:
        return self.quota_bytes if self.quota_bytes is not None else 10 * self.max_bytes

    @property
    def release_bytes(self) -> int:
        """One release, unpacked."""
        return self.max_bytes * RELEASE_FACTOR


@dataclass(frozen=True)
class Policy:
    """What an assignment's release allows: how many attempts, until when."""

    attempts: int = DEFAULT_MAX_ATTEMPTS
    closes_at: dt.datetime | None = None  # UTC; None: no deadline
    late_ok: bool = True  # the lesson's `after_deadline: late` (the default) takes work after the deadline, marked late

    def as_json(self) -> dict:
        return {"attempts": self.attempts, "closes_at": self.closes_at.isoformat() if self.closes_at else None,
                "late_ok": self.late_ok}


def policy_of(folder: Path) -> Policy:
    """The rules in a released folder's quiz files (`<notebook>.quiz.json`, written from course.yml)."""
    attempts, closes, late = [], [], []
    for path in sorted(folder.glob("*.quiz.json")):
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            quiz, lesson = doc.get("quiz") or {}, doc.get("lesson") or {}
            attempts.append(max(1, int(quiz.get("attempts", 1))))
            late.append(lesson.get("after_deadline", "late") != "closed")
            if lesson.get("deadline"):
                closes.append(_end_of_day(dt.date.fromisoformat(str(lesson["deadline"]))))
        except (OSError, ValueError, TypeError, AttributeError):
            continue  # the instructor's release; a file we cannot read adds no rule
    if not attempts:
        return Policy()
    return Policy(attempts=min(attempts), closes_at=min(closes) if closes else None, late_ok=all(late))


def _local(when: dt.datetime) -> str:
    """The last minute of a deadline day, as the learner reads it (DEADLINE_ZONE)."""
    from zoneinfo import ZoneInfo

    return (when - dt.timedelta(minutes=1)).astimezone(ZoneInfo(DEADLINE_ZONE)).strftime("%Y-%m-%d %H:%M")  # …23:59


def _end_of_day(day: dt.date) -> dt.datetime:
    from zoneinfo import ZoneInfo

    midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=ZoneInfo(DEADLINE_ZONE))
    return midnight.astimezone(dt.timezone.utc)


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


def _version(path: Path) -> tuple | None:
    """Changes whenever the folder is replaced or an entry is added or removed."""
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_ctime_ns)


@dataclass
class _Release:
    version: tuple
    notebooks: list[str]
    policy: Policy
    zip: bytes | None = None


@dataclass
class _Caches:
    """What the service would otherwise recompute on every call; checked against the folders' stat."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    # bumped once a release or unrelease is done: with coarse file times a whole swap can fall in
    # one tick, so the folder's stat alone would keep a listing made half way through it
    gen: int = 0
    listing: dict[str, tuple[tuple | None, int, list[dict]]] = field(default_factory=dict)
    releases: dict[tuple[str, str], _Release] = field(default_factory=dict)
    usage: dict[tuple[str, str], int] = field(default_factory=dict)  # (course, student folder) → bytes stored
    learner_locks: dict[tuple[str, str], threading.Lock] = field(default_factory=dict)
    feedback: dict[Path, tuple[tuple, dict[str, str]]] = field(default_factory=dict)


class Store:
    def __init__(self, root: Path | str, limits: Limits | None = None):
        self.root = Path(root)
        self.limits = limits or Limits()
        self.root.mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o700)
        self._caches = _Caches()

    def _course(self, course: str) -> Path:
        return self.root / check_id("course id", course)

    def sweep_staging(self) -> int:
        """Remove what an interrupted upload left in `<course>/.staging/` (at service start)."""
        removed = 0
        for staging in self.root.glob("*/.staging"):
            for entry in staging.iterdir():
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink(missing_ok=True)
                removed += 1
        return removed

    def _unpack(self, data: bytes, dest: Path, max_bytes: int | None = None, limit_message: str | None = None) -> tuple[list[str], int]:
        try:
            return unpack_counted(data, dest, max_bytes=max_bytes or self.limits.max_bytes, max_files=self.limits.max_files,
                                  limit_message=limit_message)
        except ArchiveError as exc:
            raise StoreError(413 if isinstance(exc, ArchiveTooBig) else 400, str(exc)) from None

    def _staging(self, course: str) -> Path:
        base = self._course(course) / ".staging"
        base.mkdir(parents=True, exist_ok=True)
        return base / secrets.token_hex(8)

    # --- releases --------------------------------------------------------------------------
    def release(self, course: str, assignment: str, data: bytes) -> list[str]:
        check_id("assignment id", assignment)
        staged = self._staging(course)
        try:
            files, _ = self._unpack(data, staged, max_bytes=self.limits.release_bytes)
            swap_in_folder(staged, self._course(course) / "released" / assignment)
        finally:
            shutil.rmtree(staged, ignore_errors=True)
            self._released_changed()  # also after a failed swap: it may have moved the old release away
        return files

    def unrelease(self, course: str, assignment: str) -> bool:
        folder = self._course(course) / "released" / check_id("assignment id", assignment)
        if not folder.exists():
            return False
        try:
            shutil.rmtree(folder)
        finally:
            self._released_changed()
        return True

    def _released_changed(self) -> None:
        with self._caches.lock:
            self._caches.gen += 1

    def released(self, course: str) -> list[dict]:
        base = self._course(course) / "released"
        with self._caches.lock:
            gen, hit = self._caches.gen, self._caches.listing.get(course)  # read before listing
        version = _version(base)
        if hit and hit[0] == version and hit[1] == gen and version is not None:
            return hit[2]
        out = []
        if base.is_dir():
            for folder in sorted(p for p in base.iterdir() if p.is_dir() and ID_PATTERN.match(p.name)):
                out.append({"assignment_id": folder.name, "notebooks": self._release(course, folder.name).notebooks})
        with self._caches.lock:
            self._caches.listing[course] = (version, gen, out)
        return out

    def _release(self, course: str, assignment: str) -> _Release:
        """The release's notebooks, rules and (on first fetch) archive, remade only when it changes."""
        folder = self._course(course) / "released" / check_id("assignment id", assignment)
        version = _version(folder)
        if version is None or not folder.is_dir():
            raise StoreError(404, f"assignment not released: {assignment}")
        with self._caches.lock:
            hit = self._caches.releases.get((course, assignment))
        if hit and hit.version == version:
            return hit
        made = _Release(version, sorted(p.stem for p in folder.glob("*.ipynb")), policy_of(folder))
        with self._caches.lock:
            self._caches.releases[(course, assignment)] = made
        return made

    def policy(self, course: str, assignment: str) -> Policy:
        return self._release(course, assignment).policy

    def released_zip(self, course: str, assignment: str) -> bytes:
        release = self._release(course, assignment)
        if release.zip is None:  # packed once per release, not once per fetch
            folder = self._course(course) / "released" / assignment
            release.zip = pack(folder, max_bytes=self.limits.release_bytes, drop_server_files=False).data
        return release.zip

    # --- attempts --------------------------------------------------------------------------
    def _attempts_dir(self, course: str, student: str, assignment: str) -> Path:
        return self._course(course) / "attempts" / student_folder(student) / check_id("assignment id", assignment)

    def _learner_lock(self, course: str, student: str) -> threading.Lock:
        with self._caches.lock:
            return self._caches.learner_locks.setdefault((course, student_folder(student)), threading.Lock())

    def _usage(self, course: str, student: str) -> int:
        key = (course, student_folder(student))
        with self._caches.lock:
            if key in self._caches.usage:
                return self._caches.usage[key]
        total = 0
        base = self._course(course) / "attempts" / key[1]
        for meta in base.glob("*/*/meta.json") if base.is_dir() else []:
            total += int((_read_json(meta) or {}).get("bytes", 0) or 0)
        with self._caches.lock:  # a submit that finished meanwhile has stored and added to the right count
            return self._caches.usage.setdefault(key, total)

    def check_may_submit(self, course: str, assignment: str, student: str, when: dt.datetime | None = None) -> Policy:
        """StoreError (403 / 404 / 413) when `student` may not submit `assignment` now; else its rules."""
        policy = self.policy(course, assignment)
        when = when or server_now()
        if policy.closes_at is not None and when >= policy.closes_at and not policy.late_ok:
            raise StoreError(403, t("grading.exchange.closed", assignment=assignment, deadline=_local(policy.closes_at)))
        if len(self._attempt_folders(course, assignment, student)) >= policy.attempts:
            raise StoreError(403, t("grading.exchange.attempts_used", assignment=assignment, n=policy.attempts))
        if self._usage(course, student) >= self.limits.quota:
            raise StoreError(413, t("grading.exchange.quota_used", mb=round(self.limits.quota / 1e6, 1)))
        return policy

    def _attempt_folders(self, course: str, assignment: str, student: str) -> list[Path]:
        base = self._attempts_dir(course, student, assignment)
        return sorted(p for p in base.iterdir() if (p / "meta.json").is_file()) if base.is_dir() else []

    def submit(self, course: str, assignment: str, student: str, data: bytes, skipped: list | None = None) -> dict:
        """A new attempt by `student` (the caller the hub named), stamped with this server's clock."""
        with self._learner_lock(course, student):  # one submit per learner at a time: the checks hold
            when = server_now()
            self.check_may_submit(course, assignment, student, when)
            room = self.limits.quota - self._usage(course, student)
            attempt = attempt_id(when)
            folder = self._attempts_dir(course, student, assignment) / attempt
            staged = self._staging(course)
            try:
                staged.mkdir()
                cap = min(self.limits.max_bytes, room)
                message = None if cap == self.limits.max_bytes else t("grading.exchange.quota_over", mb=round(self.limits.quota / 1e6, 1))
                files, size = self._unpack(data, staged / "files", max_bytes=cap, limit_message=message)
                meta = {"student": student, "assignment": assignment, "course": course, "attempt": attempt,
                        "timestamp": when.strftime(TIMESTAMP_FORMAT), "files": files, "bytes": size,
                        "skipped": skipped_list(skipped or [])}
                folder.parent.mkdir(parents=True, exist_ok=True)
                os.rename(staged, folder)
                _write_json(folder / "meta.json", meta)  # last: the attempt exists from here on
            except OSError as exc:
                shutil.rmtree(folder, ignore_errors=True)
                raise StoreError(500, f"the submission could not be stored ({exc.strerror or exc}); nothing was kept") from None
            finally:
                shutil.rmtree(staged, ignore_errors=True)
            with self._caches.lock:
                key = (course, student_folder(student))
                self._caches.usage[key] = self._caches.usage.get(key, 0) + size
            return meta

    def attempts(self, course: str, assignment: str, student: str) -> list[dict]:
        out = []
        for folder in self._attempt_folders(course, assignment, student):
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
        names = (student_from_folder(p.name) for p in base.iterdir() if (p / assignment).is_dir())
        return sorted(n for n in names if n is not None)

    def every_attempt(self, course: str, assignment: str) -> dict[str, list[dict]]:
        """Student → their attempts (for collect)."""
        return {s: self.attempts(course, assignment, s) for s in self.students(course, assignment)}

    def attempt_zip(self, course: str, assignment: str, student: str, attempt: str) -> bytes:
        folder = self._attempts_dir(course, student, assignment) / check_id("attempt id", attempt)
        if not (folder / "meta.json").is_file():
            raise StoreError(404, f"no such attempt: {student} {assignment} {attempt}")
        return pack(folder / "files", max_bytes=self.limits.max_bytes, compress=False).data

    # --- feedback --------------------------------------------------------------------------
    def _feedback_dir(self, course: str, student: str, assignment: str, attempt: str) -> Path:
        return (self._course(course) / "feedback" / student_folder(student) / check_id("assignment id", assignment)
                / check_id("attempt id", attempt))

    def _feedback_names(self, course: str, student: str, assignment: str, attempt: str) -> dict[str, str]:
        """Notebook → SHA-256 of its feedback page (the client compares it with its own copy)."""
        folder = self._feedback_dir(course, student, assignment, attempt)
        version = _version(folder)
        if version is None:
            return {}
        with self._caches.lock:
            hit = self._caches.feedback.get(folder)
        if hit and hit[0] == version:  # hashed once per release of feedback, not per listing
            return dict(hit[1])
        names = {p.stem: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.html"))}
        with self._caches.lock:
            self._caches.feedback[folder] = (version, names)
        return dict(names)

    def release_feedback(self, course: str, assignment: str, student: str, attempt: str, data: bytes) -> list[str]:
        if not (self._attempts_dir(course, student, assignment) / check_id("attempt id", attempt) / "meta.json").is_file():
            raise StoreError(404, f"no such attempt: {student} {assignment} {attempt}")
        staged = self._staging(course)
        try:
            files, _ = self._unpack(data, staged)
            if any(not f.endswith(".html") or "/" in f for f in files):
                raise StoreError(400, "feedback must be .html files")
            swap_in_folder(staged, self._feedback_dir(course, student, assignment, attempt))
        finally:
            shutil.rmtree(staged, ignore_errors=True)
        return files

    def feedback_zip(self, course: str, assignment: str, student: str, attempt: str) -> bytes:
        folder = self._feedback_dir(course, student, assignment, attempt)
        if not folder.is_dir():
            raise StoreError(404, "no feedback for this attempt")
        return pack(folder, max_bytes=self.limits.max_bytes).data
