"""nbgrader's folder exchange, collected safely: for the hub-less demo (`make demo`) only.

nbgrader's own collect copies a submission with `shutil.copytree`, which follows links: a
`zero -> /dev/zero` link in a submission copies for ever (fills the disk) and `loop -> ..`
aborts that learner. `SafeFolderCollect` copies through `archive.pack` instead: regular files
only, links and FIFOs/devices skipped and reported, at most `max_bytes` per submission, into a
staging folder that replaces the collected one only when it is whole (a failed copy keeps the
earlier collected submission). One learner's problem never stops the others.

Times: in a shared folder the learner writes `timestamp.txt` and the folder name
(`<student>+<assignment>+<time>+<random>`) themselves, so neither decides lateness or the
training year. Collect stamps each submission with the time its files last changed on the
exchange, read from the file system's own clock (`st_ctime`: no user can set it back; touching
a file only moves it later), never later than the collect itself; the newest submission of a
learner is the one that changed last. The time in the folder name is not read at all (nbgrader's
collect stopped for every learner at one name it could not parse).
"""
from __future__ import annotations

import datetime as dt
import glob
import os
import shutil
import stat
from collections import defaultdict
from pathlib import Path

from nbgrader.exchange.default import ExchangeCollect
from traitlets import Int, default

from ..files import staging_beside, swap_in_folder
from ..settings import settings
from .archive import DEFAULT_MAX_BYTES, SKIPPED, ArchiveError, pack, printable, unpack
from .nbgrader_exchange import assignment_duedate, latest_on_time
from .store import TIMESTAMP_FORMAT

_EPOCH = dt.datetime(1970, 1, 1)


def _utc(ns: int) -> dt.datetime:
    """A file-system time in ns as naive UTC to the microsecond (nbgrader's form), never later than now."""
    return min(_EPOCH + dt.timedelta(microseconds=ns // 1000), dt.datetime.now(dt.timezone.utc).replace(tzinfo=None))


def received_at(folder: Path | str) -> dt.datetime:
    """When the folder's contents last changed (newest ctime of it, its folders and files; links
    not followed), as naive UTC to the microsecond, at most now."""
    newest, stack = 0, [str(folder)]
    while stack:
        path = stack.pop()
        newest = max(newest, os.lstat(path).st_ctime_ns)
        with os.scandir(path) as entries:
            for entry in entries:
                st = entry.stat(follow_symlinks=False)
                newest = max(newest, st.st_ctime_ns)
                if stat.S_ISDIR(st.st_mode):
                    stack.append(entry.path)
    return _utc(newest)


class SafeFolderCollect(ExchangeCollect):
    max_bytes = Int(DEFAULT_MAX_BYTES, help="Largest submission collected (bytes of all files)").tag(config=True)

    @default("max_bytes")
    def _max_bytes_default(self):
        return settings().exchange_max_bytes or DEFAULT_MAX_BYTES

    def init_src(self):
        """nbgrader's choice of one submission per learner, by the exchange's clock, not by the name."""
        if not self.coursedir.course_id:
            self.fail("No course id specified. Re-run with --course flag.")
        self.course_path = os.path.join(self.root, self.coursedir.course_id)
        self.inbound_path = os.path.join(self.course_path, "inbound")
        if not os.path.isdir(self.inbound_path):
            self.fail(f"Course not found: {self.inbound_path}")
        student = self.coursedir.student_id or "*"
        pattern = os.path.join(self.inbound_path, f"{glob.escape(student) if student != '*' else '*'}+{glob.escape(self.coursedir.assignment_id)}+*")
        by_student: dict[str, list[dict]] = defaultdict(list)
        for path in glob.glob(pattern):
            record = self._record(Path(path))
            if record is not None:
                by_student[record["username"]].append(record)
        self.duedate = assignment_duedate(self.coursedir) if self.before_duedate else None
        self.src_records = []
        for records in by_student.values():
            records.sort(key=lambda r: r["timestamp"])
            self.src_records.append(latest_on_time(records, self.duedate, lambda r: r["timestamp"]))

    def _record(self, path: Path) -> dict | None:
        parts = path.name.rsplit("+", 3)
        if len(parts) < 3 or not parts[0] or path.is_symlink() or not path.is_dir():
            self.log.warning("%s %s: %s (not a submission folder)", SKIPPED, printable(parts[0] or "?"), printable(path.name))
            return None
        try:
            return {"username": parts[0], "filename": path.name, "timestamp": received_at(path)}
        except OSError as exc:
            self.log.warning("%s %s: %s (%s)", SKIPPED, printable(parts[0]), printable(path.name), exc.strerror)
            return None

    def copy_files(self):
        if not self.src_records:
            self.log.warning("No submissions of '%s' for course '%s' to collect", self.coursedir.assignment_id, self.coursedir.course_id)
        for rec in self.src_records:
            student = rec["username"]
            src = Path(self.inbound_path) / rec["filename"]
            dest = Path(self.coursedir.format_path(self.coursedir.submitted_directory, student, self.coursedir.assignment_id))
            if dest.is_dir() and not self._newer(dest, rec):
                continue
            try:
                self._copy(student, src, dest, rec["timestamp"])
            except (ArchiveError, OSError) as exc:
                self.log.warning("%s %s: %s (not collected; the rest goes on)", SKIPPED, printable(student), printable(exc))

    def _newer(self, dest: Path, rec: dict) -> bool:
        existing = self.coursedir.get_existing_timestamp(str(dest))
        return (self.update and (existing is None or rec["timestamp"] > existing)) or (self.before_duedate and existing != rec["timestamp"])

    def _copy(self, student: str, src: Path, dest: Path, received: dt.datetime) -> None:
        if src.is_symlink() or not src.is_dir():
            raise ArchiveError(f"{printable(src.name)}: not a folder")
        packed = pack(src, ignore=tuple(self.coursedir.ignore), max_bytes=self.max_bytes, drop_server_files=False)
        for rel, why in packed.skipped:
            self.log.warning("%s %s: %s (%s)", SKIPPED, printable(student), printable(rel), why)
        staged = staging_beside(dest)
        try:
            unpack(packed.data, staged, max_bytes=self.max_bytes, drop_server_files=False)
            # the exchange's clock, not the learner's timestamp.txt: a change during the copy only moves it later
            stamp = max(received, _utc(packed.changed))
            (staged / "timestamp.txt").write_text(stamp.strftime(TIMESTAMP_FORMAT), encoding="utf-8")
            swap_in_folder(staged, dest)
        finally:
            shutil.rmtree(staged, ignore_errors=True)
        self.log.info("Collected submission: %s %s", printable(student), self.coursedir.assignment_id)
