"""nbgrader's folder exchange, collected safely: for the hub-less demo (`make demo`) only.

nbgrader's own collect copies a submission with `shutil.copytree`, which follows links: a
`zero -> /dev/zero` link in a submission copies for ever (fills the disk) and `loop -> ..`
aborts that learner. `SafeFolderCollect` copies through `archive.pack` instead: regular files
only, links and FIFOs/devices skipped and reported, at most `max_bytes` per submission, into a
staging folder that replaces the collected one only when it is whole (a failed copy keeps the
earlier collected submission). One learner's problem never stops the others.
"""
from __future__ import annotations

import shutil
import secrets
from pathlib import Path

from nbgrader.exchange.default import ExchangeCollect
from traitlets import Int, default

from ..files import swap_in_folder
from ..settings import settings
from .archive import DEFAULT_MAX_BYTES, ArchiveError, pack, unpack

SKIPPED = "SKIPPED"  # the log prefix GraderSite.collect reports from


class SafeFolderCollect(ExchangeCollect):
    max_bytes = Int(DEFAULT_MAX_BYTES, help="Largest submission collected (bytes of all files)").tag(config=True)

    @default("max_bytes")
    def _max_bytes_default(self):
        return settings().exchange_max_bytes or DEFAULT_MAX_BYTES

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
                self._copy(student, src, dest)
            except (ArchiveError, OSError) as exc:
                self.log.warning("%s %s: %s (not collected; the rest goes on)", SKIPPED, student, exc)

    def _newer(self, dest: Path, rec: dict) -> bool:
        existing = self.coursedir.get_existing_timestamp(str(dest))
        return (self.update and (existing is None or rec["timestamp"] > existing)) or (self.before_duedate and existing != rec["timestamp"])

    def _copy(self, student: str, src: Path, dest: Path) -> None:
        if src.is_symlink() or not src.is_dir():
            raise ArchiveError(f"{src.name}: not a folder")
        packed = pack(src, ignore=tuple(self.coursedir.ignore), max_bytes=self.max_bytes, drop_server_files=False)
        for rel, why in packed.skipped:
            self.log.warning("%s %s: %s (%s)", SKIPPED, student, rel, why)
        dest.parent.mkdir(parents=True, exist_ok=True)
        staged = dest.with_name(f".{dest.name}.new-{secrets.token_hex(4)}")
        try:
            unpack(packed.data, staged, max_bytes=self.max_bytes, drop_server_files=False)
            swap_in_folder(staged, dest)
        finally:
            shutil.rmtree(staged, ignore_errors=True)
        self.log.info("Collected submission: %s %s", student, self.coursedir.assignment_id)
