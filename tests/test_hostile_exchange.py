"""Hostile learners against the exchange service, on a real JupyterHub with two learner accounts.

`u0001` is honest: fetches, answers every question right, submits. `u0002` attacks: submits
as u0001, forges times, tries to overwrite or read u0001's attempt and feedback, releases,
collects, uploads links, climbing names and zip bombs. Each attack must fail safe (refused, or
stored under the attacker's own name with the server's time) and u0001's result must be the
one their answers earn. The instructor then grades through the same service (`grade_assignment`:
collect → fast engine → feedback released) and each learner fetches only their own feedback.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import REPO, require
from partyquiz.answers import AnswerStore
from partyquiz.authoring import load_course
from partyquiz.build import build_course, quiz_key
from partyquiz.grading import gradebook as gbk
from partyquiz.grading.batch import grade_assignment
from partyquiz.grading.site import GraderSite, NbgraderError
from partyquiz.model import Answer, now_iso
from partyquiz.scoring import auto_score, grade_quiz
from partyquiz.simulate import right_answer, wrong_answer

sys.path.insert(0, str(Path(__file__).parent))
from helpers_exchange import PROXY, ExchangeHub  # noqa: E402

pytestmark = [pytest.mark.slow]
COURSE = "partyquiz"


def _zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _answer(folder: Path, key, learner: str, right: bool) -> dict:
    import random

    rng = random.Random(learner)
    drawn = grade_quiz(key, learner, {}).drawn
    values = {q: (right_answer(key.questions[q]) if right else wrong_answer(key.questions[q], rng)) for q in drawn}
    store = AnswerStore(folder, key.notebook, meta={"learner": learner, "assignment": key.assignment})
    store.save_many({q: Answer(value=v, saved_at=now_iso()) for q, v in values.items()})
    return values


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    require(PROXY.exists(), "configurable-http-proxy in node_modules (npm install)")
    base = tmp_path_factory.mktemp("hostile-exchange")
    hub = ExchangeHub(base / "hub", max_bytes=1_000_000).start()
    try:
        tokens = {u: hub.token(u) for u in ("instructor", "u0001", "u0002")}
        sites = {u: GraderSite(root=base / "grader", extra=hub.config_for(t)) for u, t in tokens.items()}
        course = load_course(REPO / "courses" / "jiaoyu-guanli")
        lesson = course.lessons[0]
        lesson.quiz.attempts = 3  # the service counts the attempts (audit H2; the last tests use them up)
        assignment = build_course(course, sites["instructor"].source)[0].name
        sites["instructor"].generate_and_release(assignment)
        yield {"hub": hub, "tokens": tokens, "sites": sites, "course": course, "assignment": assignment,
               "key": quiz_key(course, lesson), "base": base}
    finally:
        hub.stop()


@pytest.fixture(scope="module")
def played(world):
    """The honest learner's submission and the attacker's, before anything is graded."""
    a, key, sites, base = world["assignment"], world["key"], world["sites"], world["base"]
    before = dt.datetime.now(dt.timezone.utc)
    honest = base / "home-u0001"
    honest.mkdir()
    sites["u0001"].fetch(a, "u0001", honest)
    values = _answer(honest / a, key, "u0001", right=True)
    sites["u0001"].submit(a, "u0001", honest)
    after = dt.datetime.now(dt.timezone.utc)

    # the attacker: wrong answers, a forged time, a link to /dev/zero, a loop, a FIFO, and a
    # config that claims to be u0001 (GraderSite passes the student id as nbgrader's config would)
    evil = base / "home-u0002"
    evil.mkdir()
    sites["u0002"].fetch(a, "u0002", evil)
    folder = evil / a
    _answer(folder, key, "u0001", right=False)  # answers drawn as if they were u0001
    (folder / "timestamp.txt").write_text("2099-01-01 00:00:00.000000 UTC")
    (folder / "zero").symlink_to("/dev/zero")
    (folder / "loop").symlink_to("..")
    os.mkfifo(folder / "pipe")
    sites["u0002"].submit(a, "u0001", evil)
    # a bare POST whose "skipped files" header forges lines about u0001 for the collect log (audit H4)
    forged = [["x\nSKIPPED u0001: l1.answers.json (over the cap)", "symlink\r\nSKIPPED u0001: l1.ipynb"]]
    r = world["hub"].send("POST", f"api/courses/{COURSE}/assignments/{a}/submissions", world["tokens"]["u0002"],
                          content=_zip({"l1.ipynb": (evil / a / "l1.ipynb").read_bytes()}),
                          headers={"X-Partyquiz-Skipped": json.dumps(forged)})
    assert r.status_code == 200, r.text
    return {"values": values, "before": before, "after": after, "honest": honest, "evil": evil}


def test_attacker_submitting_as_another_is_stored_under_their_own_name(world, played):
    hub, t = world["hub"], world["tokens"]
    mine = hub.get(f"api/courses/{COURSE}/assignments/{world['assignment']}/submissions", t["u0001"]).json()
    theirs = hub.get(f"api/courses/{COURSE}/assignments/{world['assignment']}/submissions", t["u0002"]).json()
    assert mine["student"] == "u0001" and len(mine["attempts"]) == 1
    assert theirs["student"] == "u0002" and len(theirs["attempts"]) == 2
    assert all(a["student"] == "u0002" for a in theirs["attempts"])


def test_times_are_the_servers_not_the_learners(world, played):
    hub, t = world["hub"], world["tokens"]
    from nbgrader.utils import parse_utc

    for user in ("u0001", "u0002"):
        attempt = hub.get(f"api/courses/{COURSE}/assignments/{world['assignment']}/submissions", t[user]).json()["attempts"][0]
        stamp = parse_utc(attempt["timestamp"]).replace(tzinfo=dt.timezone.utc)  # nbgrader's naive UTC
        assert played["before"] - dt.timedelta(seconds=5) <= stamp <= dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=5)


def test_links_fifos_are_not_sent_and_are_reported(world, played):
    hub, t = world["hub"], world["tokens"]
    attempt = hub.get(f"api/courses/{COURSE}/assignments/{world['assignment']}/submissions", t["u0002"]).json()["attempts"][0]
    assert {tuple(s) for s in attempt["skipped"]} == {("zero", "symlink"), ("loop", "symlink"), ("pipe", "special file")}
    assert not {"zero", "loop", "pipe", "timestamp.txt"} & set(attempt["files"])


@pytest.mark.parametrize("method,path", [
    ("GET", "collect"),
    ("GET", "submissions/u0001/{attempt}"),
    ("GET", "feedback/u0001/{attempt}"),
    ("PUT", "feedback/u0001/{attempt}"),
    ("PUT", ""),
    ("DELETE", ""),
    ("POST", "submissions/u0001"),
])
def test_a_learner_cannot_touch_another_learners_work_or_the_instructors(world, played, method, path):
    hub, t, a = world["hub"], world["tokens"], world["assignment"]
    [victim] = hub.get(f"api/courses/{COURSE}/assignments/{a}/submissions", t["u0001"]).json()["attempts"]
    url = f"api/courses/{COURSE}/assignments/{a}" + ("/" + path.format(attempt=victim["attempt"]) if path else "")
    r = hub.send(method, url, t["u0002"], content=_zip({"l1.ipynb": b"{}"}) if method in ("PUT", "POST") else b"")
    assert r.status_code in (403, 404, 405), (method, path, r.status_code, r.text)
    # the honest learner's attempt and the release are unchanged
    again = hub.get(f"api/courses/{COURSE}/assignments/{a}/submissions", t["u0001"]).json()["attempts"]
    assert again == [victim]
    assert hub.get(f"api/courses/{COURSE}/assignments/{a}", t["u0001"]).status_code == 200


@pytest.mark.parametrize("token", [None, "not-a-token"])
def test_no_or_bad_token_is_refused(world, played, token):
    r = world["hub"].send("POST", f"api/courses/{COURSE}/assignments/{world['assignment']}/submissions", token, content=_zip({"l1.ipynb": b"{}"}))
    assert r.status_code == 403


def test_the_hubs_own_services_cannot_submit(world, played):
    r = world["hub"].send("POST", f"api/courses/{COURSE}/assignments/{world['assignment']}/submissions", world["hub"].tester,
                          content=_zip({"l1.ipynb": b"{}"}))
    assert r.status_code == 403


@pytest.mark.parametrize("entries,status", [
    ({"../../escape.py": b"print('x')"}, 400),
    ({"big.json": b"0" * 3_000_000}, 413),  # a zip bomb: small on the wire, over the cap unpacked
    # names that used to break unpacking half way (a 500 that left the staged files on disk, H1)
    ({"l1.ipynb": b"0" * 400_000, "x": b"a file", "x/y": b"then a folder"}, 400),
    ({"l1.ipynb": b"0" * 400_000, "n" * 300: b"too long a name"}, 400),
])
def test_hostile_uploads_are_refused_and_store_nothing(world, played, entries, status):
    hub, t, a = world["hub"], world["tokens"], world["assignment"]
    r = hub.send("POST", f"api/courses/{COURSE}/assignments/{a}/submissions", t["u0002"], content=_zip(entries))
    assert r.status_code == status, r.text
    assert r.json()["error"]  # a message that says what is wrong
    staging = hub.data / COURSE / ".staging"
    assert not staging.is_dir() or not any(staging.iterdir())
    assert len(hub.get(f"api/courses/{COURSE}/assignments/{a}/submissions", t["u0002"]).json()["attempts"]) == 2
    assert not list(hub.data.rglob("escape.py"))


def test_a_body_over_the_cap_is_cut_off_and_stores_nothing(world, played):
    import httpx

    hub, t, a = world["hub"], world["tokens"], world["assignment"]
    try:
        r = hub.send("POST", f"api/courses/{COURSE}/assignments/{a}/submissions", t["u0002"], content=os.urandom(3_000_000))
        assert r.status_code >= 400
    except httpx.TransportError:
        pass  # tornado closes the connection as soon as Content-Length is over max_body_size
    assert len(hub.get(f"api/courses/{COURSE}/assignments/{a}/submissions", t["u0002"]).json()["attempts"]) == 2


def test_a_chunked_body_over_the_cap_is_cut_off_and_stores_nothing(world, played):
    """No Content-Length to refuse up front: the connection stops the body at the call's cap."""
    import httpx

    hub, t, a = world["hub"], world["tokens"], world["assignment"]
    # 4 MB of junk before a small zip: over the call's cap (1 MB + the zip allowance), yet it would
    # unpack to a valid attempt of two bytes if the service ever read it whole
    valid = os.urandom(4_000_000) + _zip({"l1.ipynb": b"{}"})

    def chunks():
        for at in range(0, len(valid), 64 * 1024):
            yield valid[at:at + 64 * 1024]

    try:
        r = hub.send("POST", f"api/courses/{COURSE}/assignments/{a}/submissions", t["u0002"], content=chunks())
        assert r.status_code >= 400
    except httpx.TransportError:
        pass  # tornado closes the connection once the body passes the cap
    assert len(hub.get(f"api/courses/{COURSE}/assignments/{a}/submissions", t["u0002"]).json()["attempts"]) == 2


@pytest.fixture(scope="module")
def graded(world, played):
    site = world["sites"]["instructor"]
    summary = grade_assignment(site, world["course"], world["assignment"], engine="fast", progress=False)
    return summary


def test_the_honest_learner_gets_what_their_answers_earn(world, played, graded):
    a, key, site = world["assignment"], world["key"], world["sites"]["instructor"]
    rows = gbk.read_rows(site.gradebook_url, a, ["u0001", "u0002"])
    honest = sum(v or 0 for nb in rows["u0001"].notebooks.values() for v in nb.auto_scores.values())
    expected = auto_score(grade_quiz(key, "u0001", {q: Answer(value=v, saved_at=now_iso()) for q, v in played["values"].items()}))
    assert honest == pytest.approx(expected) and expected > 0
    assert not graded.failed


def test_collected_submission_carries_the_servers_time_and_no_links(world, played, graded):
    site, a = world["sites"]["instructor"], world["assignment"]
    from nbgrader.utils import parse_utc

    for user in ("u0001", "u0002"):
        folder = site.root / "submitted" / user / a
        stamp = parse_utc((folder / "timestamp.txt").read_text())
        assert stamp.year == dt.datetime.now(dt.timezone.utc).year
        assert not any(p.is_symlink() for p in folder.rglob("*"))
        assert not {"zero", "loop", "pipe"} & {p.name for p in folder.iterdir()}


def test_resubmission_keeps_both_attempts_and_collect_takes_the_newest(world, played, graded):
    a, sites, hub, t = world["assignment"], world["sites"], world["hub"], world["tokens"]
    sites["u0001"].submit(a, "u0001", played["honest"])
    attempts = hub.get(f"api/courses/{COURSE}/assignments/{a}/submissions", t["u0001"]).json()["attempts"]
    assert len(attempts) == 2
    sites["instructor"].collect(a)
    secret = (sites["instructor"].root / "submitted" / "u0001" / a / "submission_secret.txt").read_text()
    assert secret == attempts[-1]["attempt"]


def test_each_learner_fetches_only_their_own_feedback(world, played, graded):
    a, sites, hub, t = world["assignment"], world["sites"], world["hub"], world["tokens"]
    assert graded.feedback == 2
    honest_fb = sites["u0001"].fetch_feedback(a, "u0001", played["honest"])
    pages = list(honest_fb.rglob("*.html"))
    assert len(pages) == 1 and "u0001" in pages[0].read_text(encoding="utf-8")
    evil_fb = sites["u0002"].fetch_feedback(a, "u0001", played["evil"])  # claims u0001 again
    evil_pages = list(evil_fb.rglob("*.html"))
    assert len(evil_pages) == 1 and "u0001" not in evil_pages[0].read_text(encoding="utf-8")


def test_assignment_list_sees_submissions_and_feedback_through_the_service(world, played, graded):
    from nbgrader.auth import Authenticator
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.exchange import ExchangeFactory

    config = world["sites"]["u0001"].config(student_id="u0001")
    config.Exchange.assignment_dir = str(played["honest"])
    config.ExchangeList.cached = True
    coursedir = CourseDirectory(config=config)
    lister = ExchangeFactory(config=config).List(coursedir=coursedir, authenticator=Authenticator(config=config), config=config)
    [listed] = lister.start()
    assert listed["student_id"] == "u0001" and len(listed["submissions"]) >= 1
    assert listed["submissions"][0]["has_exchange_feedback"]


def test_only_instructors_release_or_collect_through_nbgrader_too(world, played):
    from partyquiz.grading.site import _check

    extra = {**world["hub"].config_for(world["tokens"]["u0002"]), "ServiceReleaseAssignment": {"force": True}}
    site = GraderSite(root=world["base"] / "grader", extra=extra)
    with pytest.raises(NbgraderError, match="403"):
        _check(site.api().release_assignment(world["assignment"]), "release")
    with pytest.raises(NbgraderError, match="403"):
        site.collect(world["assignment"])


# --- the caller is known before the body is read (audit H3) -------------------------------------

def _headers_only(hub, token: str | None, length: int, path: str) -> str:
    """Send a POST's headers announcing `length` bytes, none of the body; the first response line."""
    import socket

    lines = [f"POST {path} HTTP/1.1", f"Host: 127.0.0.1:{hub.exchange_port}", "Content-Type: application/zip",
             f"Content-Length: {length}"] + ([f"Authorization: token {token}"] if token else [])
    with socket.create_connection(("127.0.0.1", hub.exchange_port), timeout=20) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        answer = b""
        try:
            while chunk := sock.recv(65536):  # the server closes the connection after refusing
                answer += chunk
        except socket.timeout:
            pass
        return answer.decode("utf-8", "replace") or "no answer: the server waits for the body"


def test_a_stranger_is_refused_before_the_body_is_read(world, played):
    hub, a = world["hub"], world["assignment"]
    path = f"/services/exchange/api/courses/{COURSE}/assignments/{a}/submissions"
    answer = _headers_only(hub, None, 1_500_000, path)  # under the body cap: it used to be read whole first
    assert answer.startswith("HTTP/1.1 403"), answer
    answer = _headers_only(hub, "not-a-token", 1_500_000, path)
    assert answer.startswith("HTTP/1.1 403"), answer


def test_a_learner_announcing_more_than_the_cap_is_refused_before_the_body(world, played):
    hub, a = world["hub"], world["assignment"]
    answer = _headers_only(hub, world["tokens"]["u0002"], 50_000_000, f"/services/exchange/api/courses/{COURSE}/assignments/{a}/submissions")
    assert answer.startswith("HTTP/1.1 413") and "larger than" in answer, answer


def test_a_token_without_the_exchange_scope_is_refused(world, played):
    import httpx

    hub = world["hub"]
    r = httpx.post(f"{hub.url}/hub/api/users/u0001/tokens", headers={"Authorization": f"token {hub.tester}"},
                   json={"note": "no exchange scope", "scopes": ["read:users:name!user=u0001"]}, timeout=30)
    assert r.status_code in (200, 201), r.text
    narrow = r.json()["token"]
    r = hub.send("POST", f"api/courses/{COURSE}/assignments/{world['assignment']}/submissions", narrow, content=_zip({"l1.ipynb": b"{}"}))
    assert r.status_code == 403 and "may not use the exchange" in r.json()["error"]


def test_the_forged_skipped_lines_stay_the_uploaders_own(world, played, graded):
    lines = [p for s, p in graded.problems if s == "*"]
    skipped = [line for line in lines if "symlink" in line or "answers" in line]
    assert skipped and all(line.startswith("u0002:") and "\n" not in line for line in skipped), lines
    assert not any(line.startswith("u0001") for line in lines), lines


# --- the quiz's attempts are the service's rule too (audit H2); last: it uses them up -----------

def test_no_submission_after_the_quizs_attempts_are_used(world, played, graded):
    a, sites, hub, t = world["assignment"], world["sites"], world["hub"], world["tokens"]
    used = len(hub.get(f"api/courses/{COURSE}/assignments/{a}/submissions", t["u0001"]).json()["attempts"])
    for _ in range(3 - used):
        sites["u0001"].submit(a, "u0001", played["honest"])
    with pytest.raises(NbgraderError, match="3 次提交机会已用完"):
        sites["u0001"].submit(a, "u0001", played["honest"])
    listed = hub.get(f"api/courses/{COURSE}/assignments/{a}/submissions", t["u0001"]).json()
    assert len(listed["attempts"]) == 3 and listed["rules"]["attempts"] == 3
    # refused from the headers alone: no attempt left, so the body is never read
    answer = _headers_only(hub, t["u0001"], 1_500_000, f"/services/exchange/api/courses/{COURSE}/assignments/{a}/submissions")
    assert answer.startswith("HTTP/1.1 403") and "提交机会" in answer, answer
