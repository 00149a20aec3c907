"""A learner's side of the exchange service, without nbgrader: list, fetch, submit, fetch feedback.

nbgrader's learner classes for the service (`nbgrader_exchange.ServiceFetchAssignment`,
`ServiceSubmit`, `ServiceFetchFeedback`, `ServiceList`) are thin adapters over `ServiceLearner`,
so the Assignment List, `nbgrader submit` and the learner app do the same thing. The learner app
calls it directly when the learner's nbgrader config names those classes (the hub's default):
importing nbgrader's exchange interface costs every learner's kernel ≈ 11 MB (its `utils` imports
setuptools, its `auth` requests; measured), for the same HTTP calls.

Listings have the shape of nbgrader's `ExchangeList` (what the Assignment List and the app read).
The learner never sends a student id: the service takes it from the hub token.
"""
from __future__ import annotations

import glob
import hashlib
import json
import logging
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from ..files import staging_beside, swap_in_folder
from .archive import DEFAULT_MAX_BYTES, RELEASE_FACTOR, ArchiveError, pack, unpack
from .client import ExchangeClient

# nbgrader's CourseDirectory.ignore default: what a submission leaves out unless configured
NBGRADER_IGNORE = (".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback")


@dataclass
class ServiceLearner:
    client: ExchangeClient
    course_id: str
    assignment_dir: Path  # the learner's home: assignments are fetched into it
    path_includes_course: bool = False
    max_bytes: int = DEFAULT_MAX_BYTES
    ignore: tuple[str, ...] = NBGRADER_IGNORE
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("partyquiz.exchange"))

    def fail(self, message: str):
        raise self.client.error(message)

    def local_assignment(self, assignment_id: str) -> Path:
        parts = [self.course_id, assignment_id] if self.path_includes_course else [assignment_id]
        return Path(self.assignment_dir, *parts).absolute()

    def released_assignments(self) -> list[dict]:
        if not self.course_id:
            self.fail("No course id specified. Re-run with --course flag.")
        return self.client.json("GET", self.course_id)["assignments"]

    def attempts(self, assignment_id: str) -> dict:
        """This learner's attempts at one assignment, oldest first: {student, attempts: [...]}."""
        return self.client.json("GET", self.course_id, assignment_id, "submissions")

    # --- doing ---------------------------------------------------------------------------------
    def fetch(self, assignment_id: str, replace_missing_files: bool = False) -> Path:
        """The released files into the learner's folder; with `replace_missing_files`, only the
        files the learner deleted come back (their answers are never overwritten)."""
        dest = self.local_assignment(assignment_id)
        if dest.exists() and not replace_missing_files:
            self.fail(f"You already have a copy of the assignment in {dest}")
        data = self.client.request("GET", self.course_id, assignment_id)
        staged = staging_beside(dest)
        try:
            files = unpack(data, staged, max_bytes=self.max_bytes * RELEASE_FACTOR)
            if not dest.exists():
                os.rename(staged, dest)
            else:
                for rel in files:
                    target = dest / rel
                    if not target.exists():
                        target.parent.mkdir(parents=True, exist_ok=True)
                        shutil.copyfile(staged / rel, target)
        finally:
            shutil.rmtree(staged, ignore_errors=True)
        self.log.info("Fetched as: %s %s", self.course_id, assignment_id)
        return dest

    def submit(self, assignment_id: str, strict: bool = False) -> str:
        """Send the learner's folder as one new attempt; returns the service's timestamp."""
        src = self.local_assignment(assignment_id)
        if not src.is_dir():
            self.fail(f"Assignment not found: {src}")
        try:
            packed = pack(src, ignore=tuple(self.ignore), max_bytes=self.max_bytes, compress=False)
        except ArchiveError as exc:
            self.fail(f"Submission not sent: {exc}")
        for rel, why in packed.skipped:
            self.log.warning("Not submitted (%s): %s", why, rel)
        if strict:  # refuse before sending; otherwise one request, and a warning after
            released = next((a for a in self.released_assignments() if a["assignment_id"] == assignment_id), None)
            if released is None:
                self.fail(f"Assignment not released: {assignment_id}")
            if missing := missing_notebooks(released["notebooks"], packed.files):
                self.fail(f"Assignment {assignment_id} not submitted. Missing notebooks: {', '.join(missing)}")
        meta = self.client.json("POST", self.course_id, assignment_id, "submissions", body=packed.data,
                                headers={"X-Partyquiz-Skipped": json.dumps(packed.skipped, ensure_ascii=True)})
        if missing := missing_notebooks(meta.get("released_notebooks", []), packed.files):
            self.log.warning("Possible missing notebooks for assignment %s: %s", assignment_id, ", ".join(missing))
        self.log.info("Submitted as: %s %s %s", self.course_id, assignment_id, meta["timestamp"])
        return meta["timestamp"]

    def fetch_feedback(self, assignment_id: str) -> Path:
        """Every released feedback into `<assignment>/feedback/<timestamp>/`, one folder per attempt."""
        mine = self.attempts(assignment_id)
        dest = self.local_assignment(assignment_id) / "feedback"
        for attempt in mine["attempts"]:
            if not attempt.get("feedback"):
                continue
            data = self.client.request("GET", self.course_id, assignment_id, "feedback", mine["student"], attempt["attempt"])
            target = dest / attempt["timestamp"]
            staged = staging_beside(target)
            unpack(data, staged, max_bytes=self.max_bytes)
            swap_in_folder(staged, target)
            self.log.info("Fetched feedback: %s", target)
        return dest

    # --- listings, as nbgrader's ExchangeList gives them ----------------------------------------
    def listing_released(self, one: str | None = None) -> list[dict]:
        """Released assignments (or only `one`), `status` released / fetched."""
        out = []
        for a in self.released_assignments():
            if one and a["assignment_id"] != one:
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

    def listing_submitted(self, one: str | None = None) -> list[dict]:
        """This learner's submissions, per assignment, oldest first."""
        ids = [one] if one else [a["assignment_id"] for a in self.released_assignments()]
        out = []
        for assignment_id in ids:
            mine = self.attempts(assignment_id)
            if mine["attempts"]:
                out.append(self.group(mine["student"], assignment_id, [self.submission(a) for a in mine["attempts"]]))
        return out

    def group(self, student: str, assignment_id: str, submissions: list[dict]) -> dict:
        return {"course_id": self.course_id, "student_id": student, "assignment_id": assignment_id,
                "status": "submitted", "submissions": sorted(submissions, key=lambda s: s["timestamp"])}

    def submission(self, attempt: dict) -> dict:
        """One attempt, with whether its feedback is here, in the exchange, and newer there."""
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


def missing_notebooks(released: list[str], files: list[str]) -> list[str]:
    sent = {f[:-6] for f in files if f.endswith(".ipynb") and "/" not in f}
    return sorted(set(released) - sent)
