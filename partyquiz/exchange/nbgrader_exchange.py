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
import hashlib
import json
import os
import secrets
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from nbgrader.exchange import ExchangeError
from nbgrader.exchange.abc import (Exchange, ExchangeCollect, ExchangeFetchAssignment, ExchangeFetchFeedback,
                                   ExchangeList, ExchangeReleaseAssignment, ExchangeReleaseFeedback, ExchangeSubmit)
from nbgrader.utils import parse_utc
from traitlets import Bool, Int, Unicode, default

from ..files import swap_in_folder
from ..settings import settings
from .archive import DEFAULT_MAX_BYTES, RELEASE_FACTOR, SKIPPED, ArchiveError, pack, printable, skipped_list, unpack
from .client import ExchangeClient
from .store import StoreError, check_id, check_student



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
            self._client = ExchangeClient(self.url, self.token)
        return self._client

    @property
    def course_id(self) -> str:
        if not self.coursedir.course_id:
            self.fail("No course id specified. Re-run with --course flag.")
        return self.coursedir.course_id

    def local_assignment(self, assignment_id: str | None = None) -> Path:
        assignment_id = assignment_id or self.coursedir.assignment_id
        parts = [self.coursedir.course_id, assignment_id] if self.path_includes_course else [assignment_id]
        return Path(self.assignment_dir, *parts).absolute()

    def released_assignments(self) -> list[dict]:
        return self.client.json("GET", self.course_id)["assignments"]

    def init_src(self):
        pass

    def init_dest(self):
        pass

    def copy_files(self):
        pass


def _staging(next_to: Path) -> Path:
    next_to.parent.mkdir(parents=True, exist_ok=True)
    return next_to.with_name(f".{next_to.name}.new-{secrets.token_hex(4)}")


# --- learner side ------------------------------------------------------------------------------

class ServiceFetchAssignment(ServiceExchange, ExchangeFetchAssignment):
    def init_dest(self):
        self.dest_path = self.local_assignment()
        if self.dest_path.exists() and not self.replace_missing_files:
            self.fail(f"You already have a copy of the assignment in {self.dest_path}")

    def copy_files(self):
        data = self.client.request("GET", self.course_id, self.coursedir.assignment_id)
        staged = _staging(self.dest_path)
        try:
            files = unpack(data, staged, max_bytes=self.max_bytes * RELEASE_FACTOR)
            if not self.dest_path.exists():
                os.rename(staged, self.dest_path)
            else:  # replace_missing_files: only what the learner deleted comes back
                for rel in files:
                    target = self.dest_path / rel
                    if not target.exists():
                        target.parent.mkdir(parents=True, exist_ok=True)
                        shutil.copyfile(staged / rel, target)
        finally:
            shutil.rmtree(staged, ignore_errors=True)
        self.log.info("Fetched as: %s %s", self.course_id, self.coursedir.assignment_id)


class ServiceSubmit(ServiceExchange, ExchangeSubmit):
    def init_src(self):
        self.src_path = self.local_assignment()
        if not self.src_path.is_dir():
            self.fail(f"Assignment not found: {self.src_path}")

    def copy_files(self):
        try:
            packed = pack(self.src_path, ignore=tuple(self.coursedir.ignore), max_bytes=self.max_bytes, compress=False)
        except ArchiveError as exc:
            self.fail(f"Submission not sent: {exc}")
        for rel, why in packed.skipped:
            self.log.warning("Not submitted (%s): %s", why, rel)
        if self.strict:  # refuse before sending; otherwise one request, and a warning after
            released = next((a for a in self.released_assignments() if a["assignment_id"] == self.coursedir.assignment_id), None)
            if released is None:
                self.fail(f"Assignment not released: {self.coursedir.assignment_id}")
            if missing := _missing(released["notebooks"], packed.files):
                self.fail(f"Assignment {self.coursedir.assignment_id} not submitted. Missing notebooks: {', '.join(missing)}")
        meta = self.client.json("POST", self.course_id, self.coursedir.assignment_id, "submissions", body=packed.data,
                                headers={"X-Partyquiz-Skipped": json.dumps(packed.skipped, ensure_ascii=True)})
        if missing := _missing(meta.get("released_notebooks", []), packed.files):
            self.log.warning("Possible missing notebooks for assignment %s: %s", self.coursedir.assignment_id, ", ".join(missing))
        self.timestamp = meta["timestamp"]
        self.log.info("Submitted as: %s %s %s", self.course_id, self.coursedir.assignment_id, self.timestamp)


def _missing(released: list[str], files: list[str]) -> list[str]:
    sent = {f[:-6] for f in files if f.endswith(".ipynb") and "/" not in f}
    return sorted(set(released) - sent)


class ServiceFetchFeedback(ServiceExchange, ExchangeFetchFeedback):
    def copy_files(self):
        assignment = self.coursedir.assignment_id
        mine = self.client.json("GET", self.course_id, assignment, "submissions")
        dest = self.local_assignment() / "feedback"
        for attempt in mine["attempts"]:
            if not attempt.get("feedback"):
                continue
            data = self.client.request("GET", self.course_id, assignment, "feedback", mine["student"], attempt["attempt"])
            target = dest / attempt["timestamp"]
            staged = _staging(target)
            unpack(data, staged, max_bytes=self.max_bytes)
            swap_in_folder(staged, target)
            self.log.info("Fetched feedback: %s", target)


class ServiceList(ServiceExchange, ExchangeList):
    @property
    def _one(self) -> str | None:
        """The assignment asked for, or None for all ('' and '*' mean all)."""
        return self.coursedir.assignment_id if self.coursedir.assignment_id not in ("", "*") else None

    def _assignment_ids(self) -> list[str]:
        if self._one:
            return [self._one]
        return [a["assignment_id"] for a in self.released_assignments()]

    def list_files(self):
        if self.inbound:
            return self._inbound()
        if self.cached:
            return self._mine()
        return self._released()

    def remove_files(self):
        if self.inbound or self.cached:
            self.fail("Removing submissions is not possible: the exchange keeps every attempt.")
        listed = self._released()
        for info in listed:
            self.client.request("DELETE", self.course_id, info["assignment_id"])
            info["status"] = "removed"
        return listed

    def _released(self) -> list[dict]:
        out = []
        for a in self.released_assignments():
            if self._one and a["assignment_id"] != self._one:
                continue
            local = self.local_assignment(a["assignment_id"])
            info = {"course_id": self.course_id, "assignment_id": a["assignment_id"]}
            if local.exists():
                info.update(status="fetched", path=str(local),
                            notebooks=[{"notebook_id": Path(p).stem, "path": p} for p in sorted(glob.glob(str(local / "*.ipynb")))])
            else:
                info.update(status="released", path=a["assignment_id"],
                            notebooks=[{"notebook_id": n, "path": f"{n}.ipynb"} for n in a["notebooks"]])
            out.append(info)
        return out

    def _mine(self) -> list[dict]:
        out = []
        for assignment in self._assignment_ids():
            mine = self.client.json("GET", self.course_id, assignment, "submissions")
            if mine["attempts"]:
                out.append(self._group(mine["student"], assignment, [self._submission(a) for a in mine["attempts"]]))
        return out

    def _inbound(self) -> list[dict]:
        out = []
        for assignment in self._assignment_ids():
            every = self.client.json("GET", self.course_id, assignment, "collect")["students"]
            for student, attempts in sorted(every.items()):
                if attempts:
                    out.append(self._group(student, assignment, [self._submission(a) for a in attempts]))
        return out

    def _group(self, student: str, assignment: str, submissions: list[dict]) -> dict:
        return {"course_id": self.course_id, "student_id": student, "assignment_id": assignment,
                "status": "submitted", "submissions": sorted(submissions, key=lambda s: s["timestamp"])}

    def _submission(self, attempt: dict) -> dict:
        local_dir = self.local_assignment(attempt["assignment"]) / "feedback" / attempt["timestamp"]
        notebooks = []
        for rel in attempt["files"]:
            if not rel.endswith(".ipynb") or "/" in rel:
                continue
            nb = rel[:-6]
            local = local_dir / f"{nb}.html"
            exchange_sha = attempt.get("feedback", {}).get(nb)
            local_sha = hashlib.sha256(local.read_bytes()).hexdigest() if local.is_file() else None
            notebooks.append({"notebook_id": nb, "path": rel, "has_local_feedback": local_sha is not None,
                              "has_exchange_feedback": exchange_sha is not None,
                              "local_feedback_path": str(local) if local_sha else None,
                              "feedback_updated": bool(local_sha and exchange_sha and local_sha != exchange_sha)})
        has_local = bool(notebooks) and all(n["has_local_feedback"] for n in notebooks)
        return {"course_id": attempt["course"], "student_id": attempt["student"], "assignment_id": attempt["assignment"],
                "timestamp": attempt["timestamp"], "attempt": attempt["attempt"], "status": "submitted",
                "path": str(self.local_assignment(attempt["assignment"])), "notebooks": notebooks,
                "has_local_feedback": has_local,
                "has_exchange_feedback": bool(notebooks) and all(n["has_exchange_feedback"] for n in notebooks),
                "feedback_updated": any(n["feedback_updated"] for n in notebooks),
                "local_feedback_path": str(local_dir) if has_local else None}


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
        staged = _staging(dest)
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
