"""nbgrader's exchange classes, talking to the `exchange` hub service instead of a shared folder.

Selected through `ExchangeFactory` config (see `partyquiz.exchange.factory_config`), so the
Assignment List, the learner app, `NbGraderAPI` (collect, release, feedback) and `partyquiz
grade` all go through them. The learner side never sends a student id: the service takes it
from the hub token. Collect writes `timestamp.txt` from the service's clock and
`submission_secret.txt` with the attempt id (our feedback writer copies both, and release
feedback sends it back to name the attempt). Collect fetches the attempts with a few threads
(the service answers them concurrently).
"""
from __future__ import annotations

import datetime as dt
import glob
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from nbgrader.exchange import ExchangeError
from nbgrader.exchange.abc import (Exchange, ExchangeCollect, ExchangeFetchAssignment, ExchangeFetchFeedback,
                                   ExchangeList, ExchangeReleaseAssignment, ExchangeReleaseFeedback, ExchangeSubmit)
from nbgrader.utils import parse_utc
from traitlets import Bool, Int, Unicode, default

from ..files import staging_beside, swap_in_folder
from ..settings import settings
from .archive import DEFAULT_MAX_BYTES, RELEASE_FACTOR, SKIPPED, ArchiveError, pack, printable, skipped_list, unpack
from .client import ExchangeClient
from .learner import ServiceLearner
from .store import StoreError, check_id, check_student


class NbgraderClient(ExchangeClient):
    error = ExchangeError  # nbgrader's commands, its Assignment List and our callers catch nbgrader's own



def assignment_duedate(coursedir) -> dt.datetime | None:
    """The gradebook's due date of the assignment being collected (both collects take the last
    submission made on time, where there is one). nbgrader's gradebook is loaded here, on the
    instructor's side only: a learner's kernel imports these classes too and never needs it."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
        try:
            return gb.find_assignment(coursedir.assignment_id).duedate
        except MissingEntry:
            return None


def latest_on_time(records_oldest_first: list, duedate: dt.datetime | None, when) -> object:
    """The newest record made by `duedate` (`when(record)`: its naive-UTC time), else the newest:
    nbgrader's choice with `before_duedate`, the same in both collects."""
    on_time = [r for r in records_oldest_first if duedate and when(r) <= duedate]
    return (on_time or records_oldest_first)[-1]


class ServiceExchange(Exchange):
    url = Unicode("", help="The exchange service, e.g. http://127.0.0.1:8081/services/exchange/").tag(config=True)
    token = Unicode("", help="The caller's hub token; default $JUPYTERHUB_API_TOKEN").tag(config=True)
    max_bytes = Int(DEFAULT_MAX_BYTES, help="Largest submission (bytes of all files together)").tag(config=True)
    path_includes_course = Bool(False, help="Assignments live in ./<course>/<assignment>").tag(config=True)
    # The filesystem exchange's settings, accepted and unused (the service holds the files), so a
    # config written for both exchanges loads without warnings.
    root = Unicode("", help="unused: the exchange service keeps the files").tag(config=True)
    cache = Unicode("", help="unused: the exchange service keeps every attempt").tag(config=True)

    @default("url")
    def _url_default(self):
        return settings().exchange_url or ""

    @default("token")
    def _token_default(self):
        return settings().hub_api_token or ""

    @default("max_bytes")
    def _max_bytes_default(self):
        return settings().exchange_max_bytes or DEFAULT_MAX_BYTES

    _client: ExchangeClient | None = None

    @property
    def client(self) -> ExchangeClient:
        if self._client is None:
            self._client = NbgraderClient(self.url, self.token)
        return self._client

    @property
    def learner(self) -> ServiceLearner:
        """The learner's operations (learner.py), with this class's settings."""
        return ServiceLearner(self.client, self.course_id, Path(self.assignment_dir), self.path_includes_course,
                              self.max_bytes, tuple(self.coursedir.ignore), self.log)

    @property
    def course_id(self) -> str:
        if not self.coursedir.course_id:
            self.fail("No course id specified. Re-run with --course flag.")
        return self.coursedir.course_id

    def released_assignments(self) -> list[dict]:
        return self.learner.released_assignments()

    def init_src(self):
        pass

    def init_dest(self):
        pass

    def copy_files(self):
        pass


# --- learner side: adapters over learner.ServiceLearner --------------------------------------------

class ServiceFetchAssignment(ServiceExchange, ExchangeFetchAssignment):
    def copy_files(self):
        self.learner.fetch(self.coursedir.assignment_id, self.replace_missing_files)


class ServiceSubmit(ServiceExchange, ExchangeSubmit):
    def copy_files(self):
        self.timestamp = self.learner.submit(self.coursedir.assignment_id, strict=self.strict)


class ServiceFetchFeedback(ServiceExchange, ExchangeFetchFeedback):
    def copy_files(self):
        self.learner.fetch_feedback(self.coursedir.assignment_id)


class ServiceList(ServiceExchange, ExchangeList):
    @property
    def _one(self) -> str | None:
        """The assignment asked for, or None for all ('' and '*' mean all)."""
        return self.coursedir.assignment_id if self.coursedir.assignment_id not in ("", "*") else None

    def list_files(self):
        if self.inbound:
            return self._inbound()
        if self.cached:
            return self.learner.listing_submitted(self._one)
        return self.learner.listing_released(self._one)

    def remove_files(self):
        if self.inbound or self.cached:
            self.fail("Removing submissions is not possible: the exchange keeps every attempt.")
        listed = self.learner.listing_released(self._one)
        for info in listed:
            self.client.request("DELETE", self.course_id, info["assignment_id"])
            info["status"] = "removed"
        return listed

    def _inbound(self) -> list[dict]:
        learner, out = self.learner, []
        ids = [self._one] if self._one else [a["assignment_id"] for a in self.released_assignments()]
        for assignment in ids:
            every = self.client.json("GET", self.course_id, assignment, "collect")["students"]
            for student, attempts in sorted(every.items()):
                if attempts:
                    out.append(learner.group(student, assignment, [learner.submission(a) for a in attempts]))
        return out


# --- instructor side ---------------------------------------------------------------------------

class ServiceReleaseAssignment(ServiceExchange, ExchangeReleaseAssignment):
    force = Bool(False, help="Replace an assignment already released").tag(config=True)

    def init_src(self):
        self.src_path = Path(self.coursedir.format_path(self.coursedir.release_directory, ".", self.coursedir.assignment_id))
        if not self.src_path.is_dir():
            self.fail(f"Assignment not found: {self.src_path} (run `nbgrader generate_assignment` first)")

    def copy_files(self):
        if not self.force and any(a["assignment_id"] == self.coursedir.assignment_id for a in self.released_assignments()):
            self.fail(f"Destination already exists, add --force to overwrite: {self.course_id} {self.coursedir.assignment_id}")
        packed = pack(self.src_path, ignore=tuple(self.coursedir.ignore), max_bytes=self.max_bytes * RELEASE_FACTOR)
        self.client.request("PUT", self.course_id, self.coursedir.assignment_id, body=packed.data)
        self.log.info("Released as: %s %s", self.course_id, self.coursedir.assignment_id)


class ServiceCollect(ServiceExchange, ExchangeCollect):
    """The newest attempt of each learner (or the newest before the due date) into submitted/.

    One learner's bad attempt is reported and skipped; the rest of the batch goes on.
    `self.skipped` and `self.failed` list what happened, for the batch summary.
    """

    threads = Int(8, help="Attempts fetched at once").tag(config=True)

    def init_src(self):
        every = self.client.json("GET", self.course_id, self.coursedir.assignment_id, "collect")["students"]
        wanted = self.coursedir.student_id if self.coursedir.student_id not in ("", "*") else None
        duedate = assignment_duedate(self.coursedir) if self.before_duedate else None
        self.records, self.skipped, self.failed = [], [], []
        for student, attempts in sorted(every.items()):
            if not attempts or (wanted and student != wanted):
                continue
            attempts = sorted(attempts, key=lambda a: a["attempt"])
            self.records.append(latest_on_time(attempts, duedate, lambda a: parse_utc(a["timestamp"])))

    def copy_files(self):
        if not self.records:
            self.log.warning("No submissions of '%s' for course '%s' to collect", self.coursedir.assignment_id, self.course_id)
        with ThreadPoolExecutor(max_workers=max(1, self.threads)) as pool:
            list(pool.map(self._collect_safely, self.records))

    def _collect_safely(self, record: dict) -> None:
        try:
            self._collect_one(record)
        except (ExchangeError, ArchiveError, StoreError, OSError) as exc:
            self.failed.append((printable(record["student"]), printable(exc)))
            self.log.warning("%s %s: %s (not collected; the rest goes on)", SKIPPED, printable(record["student"]), printable(exc))

    def _collect_one(self, record: dict) -> None:
        student, assignment = check_student(record["student"]), check_id("assignment id", record["assignment"])
        dest = Path(self.coursedir.format_path(self.coursedir.submitted_directory, student, assignment))
        for rel, why in skipped_list(record.get("skipped", [])):  # the learner's own words: one line each
            self.skipped.append((student, rel, why))
            self.log.warning("%s %s: %s (%s, not sent by the learner's server)", SKIPPED, student, rel, why)
        have = _read(dest / "submission_secret.txt")
        if have == record["attempt"]:
            self.log.info("No newer submission to collect: %s %s", student, assignment)
            return
        if dest.exists() and not (self.update or self.before_duedate):
            self.log.info("Submission already exists, use --update to update: %s %s", student, assignment)
            return
        data = self.client.request("GET", self.course_id, assignment, "submissions", student, record["attempt"])
        staged = staging_beside(dest)
        try:
            unpack(data, staged, max_bytes=self.max_bytes)
            # the service's clock and attempt id; nothing the learner wrote decides either
            (staged / "timestamp.txt").write_text(record["timestamp"], encoding="utf-8")
            (staged / "submission_secret.txt").write_text(record["attempt"], encoding="utf-8")
            swap_in_folder(staged, dest)
        finally:
            shutil.rmtree(staged, ignore_errors=True)
        self.log.info("Collected submission: %s %s %s", student, assignment, record["timestamp"])


class ServiceReleaseFeedback(ServiceExchange, ExchangeReleaseFeedback):
    def copy_files(self):
        student = self.coursedir.student_id if self.coursedir.student_id not in ("", "*") else "*"
        pattern = self.coursedir.format_path(self.coursedir.feedback_directory, student, self.coursedir.assignment_id)
        exclude = set(filter(None, (self.coursedir.student_id_exclude or "").split(",")))
        for folder in sorted(Path(p) for p in glob.glob(pattern)):
            sid = folder.parent.name
            attempt = _read(folder / "submission_secret.txt")
            pages = {p.name for p in folder.glob("*.html")}
            if sid in exclude or not pages:
                continue
            if not attempt:
                self.log.error("Feedback for %s has no attempt id (not collected through the exchange service)", sid)
                continue
            packed = pack(folder, only=pages, max_bytes=self.max_bytes)
            try:
                self.client.request("PUT", self.course_id, self.coursedir.assignment_id, "feedback", sid, attempt, body=packed.data)
            except ExchangeError as exc:  # one learner's feedback never stops the others
                self.log.error("Feedback not released for %s: %s", sid, exc)
                continue
            self.log.info("Releasing feedback for student '%s' on assignment '%s'", sid, self.coursedir.assignment_id)


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except OSError:
        return None
