"""The answer store: one JSON file per notebook, beside it in the assignment folder.

Why a file: nbgrader re-executes notebooks in a fresh kernel, so widget state is lost; a file
in the assignment folder travels with `nbgrader submit` and is copied by autograde.

Every save re-reads the file under a lock and merges by question (newest `saved_at` wins), so
two tabs of one notebook never wipe each other's answers; the write is atomic (temp file +
rename + fsync) so a crash never leaves a torn file. A damaged file is reported and every
answer that can still be read is kept.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from .files import atomic_write_text
from .i18n import t
from .model import Answer, now_iso

SCHEMA = 1
MAX_ANSWERS_BYTES = 2_000_000  # a larger file is not an answers file: refuse to parse it
# Fields a retake carries into the new attempt's file: who, which assignment, the submission
# history and the study time (hours are credited for studying, not per attempt).
CARRIED_META = ("learner", "assignment", "attempts", "study")


def answers_path(folder: Path | str, notebook: str) -> Path:
    return Path(folder) / f"{notebook}.answers.json"


@dataclass
class LoadResult:
    answers: dict[str, Answer]
    problems: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)


def parse_answers(text: str, source: str = "answers.json") -> LoadResult:
    """Pure parser: keeps every readable answer, lists what it had to skip."""
    problems: list[str] = []
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return LoadResult({}, [t("core.answers.broken_json", file=source, line=exc.lineno, reason=exc.msg)])
    if not isinstance(data, dict) or not isinstance(data.get("answers", {}), dict):
        return LoadResult({}, [t("core.answers.not_answers", file=source)])
    answers: dict[str, Answer] = {}
    for qid, raw in data.get("answers", {}).items():
        try:
            if not isinstance(raw, dict):
                raise ValueError("not an object")
            answers[str(qid)] = Answer(value=raw.get("value"), saved_at=str(raw["saved_at"]), late=bool(raw.get("late", False)))
        except (KeyError, ValueError, TypeError) as exc:
            problems.append(t("core.answers.unreadable", file=source, question=qid, reason=exc))
    meta = {k: v for k, v in data.items() if k != "answers"}
    return LoadResult(answers, problems, meta)


def load_answers(path: Path) -> LoadResult:
    if not path.exists():
        return LoadResult({})
    if path.stat().st_size > MAX_ANSWERS_BYTES:
        return LoadResult({}, [t("core.answers.too_large", file=path, size=path.stat().st_size)])
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return LoadResult({}, [t("core.answers.not_utf8", file=path, reason=exc.reason)])
    return parse_answers(text, str(path))


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    lock = path.with_name(f".{path.name}.lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


class AnswerStore:
    """Answers of one learner to one notebook."""

    def __init__(self, folder: Path | str, notebook: str, *, meta: dict[str, Any] | None = None):
        self.path = answers_path(folder, notebook)
        self.notebook = notebook
        self.meta = dict(meta or {})
        self.problems: list[str] = []

    def load(self) -> dict[str, Answer]:
        result = load_answers(self.path)
        self.problems = result.problems
        return result.answers

    def save(self, question_id: str, value: Any, *, late: bool = False, saved_at: str | None = None) -> Answer:
        answer = Answer(value=value, saved_at=saved_at or now_iso(), late=late)
        self.save_many({question_id: answer})
        return answer

    def save_many(self, new: dict[str, Answer], *, update_meta: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
        """Merge `new` into the file; `update_meta(meta)` may change the file's other fields in
        the same locked read-modify-write (study time, submissions). Returns the meta written."""
        with _locked(self.path):
            current = load_answers(self.path)
            if current.problems and self.path.exists():
                self._keep_damaged_copy()
            merged = dict(current.answers)
            for qid, answer in new.items():
                old = merged.get(qid)
                if old is None or old.saved_at <= answer.saved_at:
                    merged[qid] = answer
            meta = {**current.meta, **self.meta, "schema": SCHEMA, "notebook": self.notebook, "updated_at": now_iso()}
            meta.setdefault("started_at", meta["updated_at"])
            if update_meta is not None:
                update_meta(meta)
            doc = {**meta, "answers": {q: a.model_dump() for q, a in sorted(merged.items())}}
            atomic_write_text(self.path, json.dumps(doc, ensure_ascii=False, indent=1))
            return meta

    def update_meta(self, change: Callable[[dict[str, Any]], None], *, start_clock: bool = False) -> dict[str, Any]:
        """Change the file's non-answer fields under the lock; answers are kept as they are.

        Without `start_clock` a file that did not exist yet gets no `started_at`: reading the
        lesson text must not start a quiz's time limit."""
        def guarded(meta: dict[str, Any]) -> None:
            if not start_clock and not had_start:
                meta.pop("started_at", None)
            change(meta)

        had_start = self.started_at() is not None
        return self.save_many({}, update_meta=guarded)

    def read_meta(self) -> dict[str, Any]:
        return load_answers(self.path).meta

    def archive_attempt(self, attempt: int) -> Path | None:
        """A retake starts from an empty sheet: the finished attempt's file is kept beside it
        (`<notebook>.answers.attempt-<n>.json`), never deleted, and the new file carries the
        history of submissions (`attempts`) forward."""
        with _locked(self.path):
            if not self.path.exists():
                return None
            current = load_answers(self.path)
            kept = self.path.with_name(f"{self.notebook}.answers.attempt-{attempt}.json")
            kept.write_bytes(self.path.read_bytes())
            carry = {k: current.meta[k] for k in CARRIED_META if k in current.meta}
            # `submitted_attempt` stays with the sheet: the new attempt is known to be unsubmitted
            # without comparing file times with the exchange's stamp (a quick retake fooled that)
            submitted = int(current.meta.get("submitted_attempt", attempt))
            doc = {**carry, "schema": SCHEMA, "notebook": self.notebook, "attempt": attempt + 1,
                   "submitted_attempt": min(submitted, attempt), "updated_at": now_iso(), "answers": {}}
            atomic_write_text(self.path, json.dumps(doc, ensure_ascii=False, indent=1))
            return kept

    def started_at(self) -> str | None:
        return load_answers(self.path).meta.get("started_at")

    def _keep_damaged_copy(self) -> None:
        # Before rewriting a damaged file, keep it for the instructor: nothing is ever thrown away.
        backup = self.path.with_name(f"{self.path.name}.damaged-{now_iso().replace(':', '')}")
        with contextlib.suppress(OSError):
            backup.write_bytes(self.path.read_bytes())
