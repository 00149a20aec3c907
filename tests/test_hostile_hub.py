"""`partyquiz serve` end to end through the exchange service, with one honest and one hostile learner.

Real hub, real single-user servers, nbgrader's Assignment List REST endpoints (what the panel
and the learner app call), the instructor's grading run in the instructor's own kernel (what
the dashboard does). The attacker edits their own nbgrader config to claim the honest learner's
student id, forges `timestamp.txt`, adds a `/dev/zero` link, a `loop -> ..` link and a
`partyquiz/` package of their own, then submits. Nothing of that may change the honest
learner's score, attribution, date or feedback.
"""
from __future__ import annotations

import datetime as dt
import json
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from conftest import REPO, require
from partyquiz.answers import AnswerStore, answers_path, load_answers
from partyquiz.authoring import load_course
from partyquiz.build import quiz_key
from partyquiz.hub import prepare_hub, start_hub
from partyquiz.model import Answer, now_iso
from partyquiz.records.ledger import learner_records
from partyquiz.scoring import auto_score, grade_quiz
from partyquiz.simulate import right_answer, wrong_answer

sys.path.insert(0, str(Path(__file__).parent))
from helpers_hub import HubUser, hub_setup  # noqa: E402

pytestmark = [pytest.mark.slow]
ASSIGNMENT = "jiaoyu-guanli-l1"


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    require((REPO / "node_modules/.bin/configurable-http-proxy").exists(), "configurable-http-proxy in node_modules (npm install)")
    hub_dir = tmp_path_factory.mktemp("hub")
    setup = hub_setup(hub_dir, learners=2, courses=[REPO / "courses" / "jiaoyu-guanli"])
    prepared = prepare_hub(setup, say=lambda _: None)
    proc = start_hub(setup)
    users = {}
    try:
        learners = [p.id.lower() for p in prepared.learners]
        users = {u: HubUser(setup.url, u, prepared.passwords[u]) for u in [*learners, setup.instructor]}
        for user in users.values():
            assert user.login()
            user.make_token()
        with ThreadPoolExecutor(3) as pool:
            list(pool.map(lambda u: u.spawn(), users.values()))
        yield setup, learners, users
    finally:
        for user in users.values():
            user.close()
        proc.stop()


def _answer(folder: Path, key, learner: str, right: bool) -> dict:
    import random

    rng = random.Random(learner)
    drawn = grade_quiz(key, learner, {}).drawn
    values = {q: (right_answer(key.questions[q]) if right else wrong_answer(key.questions[q], rng)) for q in drawn}
    AnswerStore(folder, key.notebook, meta={"learner": learner, "assignment": key.assignment}).save_many(
        {q: Answer(value=v, saved_at=now_iso()) for q, v in values.items()})
    return values


@pytest.fixture(scope="module")
def played(hub):
    setup, (honest, evil), users = hub
    course = load_course(REPO / "courses" / "jiaoyu-guanli")
    key = quiz_key(course, course.lessons[0])
    before = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    # the honest learner: fetch through the Assignment List endpoint, answer, submit
    assert users[honest].nbgrader("fetch", ASSIGNMENT).get("success", True) is not False
    values = _answer(setup.home / honest / ASSIGNMENT, key, honest, right=True)
    assert users[honest].nbgrader("submit", ASSIGNMENT).get("success", True) is not False
    expected = auto_score(grade_quiz(key, honest, load_answers(answers_path(setup.home / honest / ASSIGNMENT, "l1")).answers))
    # the attacker: claims the honest learner's id in their own config, forges the time,
    # answers wrongly what the honest learner drew, adds links and a package of their own
    config = setup.home / evil / ".jupyter" / "nbgrader_config.py"
    config.write_text(config.read_text() + f"\nc.CourseDirectory.student_id = {honest!r}\n")
    assert users[evil].nbgrader("fetch", ASSIGNMENT).get("success", True) is not False
    folder = setup.home / evil / ASSIGNMENT
    _answer(folder, key, honest, right=False)
    (folder / "timestamp.txt").write_text("2019-06-01 10:00:00.000000 UTC")
    (folder / "zero").symlink_to("/dev/zero")
    (folder / "loop").symlink_to("..")
    (folder / "partyquiz" / "grading").mkdir(parents=True)
    (folder / "partyquiz" / "__init__.py").write_text("")
    (folder / "partyquiz" / "grading" / "cell.py").write_text("def score_in_notebook(*a, **k):\n    return 20.0\n")
    (folder / "ipykernel_launcher.py").write_text("open('/tmp/pq-pwned', 'w').write('pwned')\n")
    assert users[evil].nbgrader("submit", ASSIGNMENT).get("success", True) is not False
    return {"key": key, "values": values, "expected": expected, "before": before}


@pytest.fixture(scope="module")
def graded(hub, played):
    setup, _, users = hub
    ins = users[setup.instructor]
    code = ("import json\nfrom partyquiz.hub.dashboard import Instructor, grade_all\n"
            "s = grade_all(Instructor.from_env(), progress=False)\n"
            "print(json.dumps([[x.assignment, x.graded, x.failed, x.problems] for x in s], ensure_ascii=False))")
    out, _ = ins.execute(ins.start_kernel(), code, timeout=600)
    return json.loads(out.strip().splitlines()[-1])


def _exchange(setup) -> str:
    port = json.loads(setup.settings_file.read_text())["exchange_port"]
    return f"http://127.0.0.1:{port}/services/exchange/api/courses/partyquiz/assignments/{ASSIGNMENT}"


def test_service_attributes_each_submission_to_the_token_owner(hub, played):
    setup, (honest, evil), users = hub
    for u in (honest, evil):
        mine = httpx.get(_exchange(setup) + "/submissions", headers=users[u].auth).json()
        assert mine["student"] == u and len(mine["attempts"]) == 1


def test_no_learner_writable_exchange_folder_is_used(hub, played):
    setup, _, _ = hub
    inbound = setup.exchange / "partyquiz" / "inbound"
    assert not inbound.exists() or not any(inbound.iterdir())


def test_a_learner_cannot_collect_or_read_another_learners_attempt(hub, played):
    setup, (honest, evil), users = hub
    assert httpx.get(_exchange(setup) + "/collect", headers=users[evil].auth).status_code == 403
    [attempt] = httpx.get(_exchange(setup) + "/submissions", headers=users[honest].auth).json()["attempts"]
    r = httpx.get(_exchange(setup) + f"/submissions/{honest}/{attempt['attempt']}", headers=users[evil].auth)
    assert r.status_code == 403


def test_grading_through_the_service_gives_the_honest_learner_their_score(hub, played, graded):
    setup, (honest, evil), _ = hub
    [[assignment, n, failed, _]] = [g for g in graded if g[0] == ASSIGNMENT]
    assert n == 2 and failed == []
    ledger = json.loads(setup.settings_file.read_text())["ledger_url"]
    [mine] = learner_records(ledger, honest)
    assert mine.score == pytest.approx(played["expected"])
    [theirs] = learner_records(ledger, evil)
    assert theirs.score < played["expected"]
    # the dates are the service's, this year, not 2019
    for record in (mine, theirs):
        assert record.completed_at >= played["before"].replace(microsecond=0) - dt.timedelta(seconds=5)


def test_learner_files_never_reach_the_grader(hub, played, graded):
    setup, (_, evil), _ = hub
    collected = setup.grader_root / "submitted" / evil / ASSIGNMENT
    assert not any(p.is_symlink() for p in collected.rglob("*"))
    graded_folder = setup.grader_root / "autograded" / evil / ASSIGNMENT
    assert not (graded_folder / "partyquiz").exists() and not (graded_folder / "ipykernel_launcher.py").exists()


def test_each_learner_fetches_their_own_feedback(hub, played, graded):
    setup, learners, users = hub
    for u in learners:
        users[u].nbgrader("fetch_feedback", ASSIGNMENT)
        pages = sorted((setup.home / u / ASSIGNMENT / "feedback").glob("*/l1.html"))
        assert pages, f"no feedback for {u}"
        text = pages[-1].read_text(encoding="utf-8")
        assert u in text and all(o not in text for o in learners if o != u)


def test_assignment_list_shows_the_submission_with_the_servers_time(hub, played, graded):
    setup, (honest, _), users = hub
    listed = users[honest].client.get(users[honest].url("assignments"), headers=users[honest].auth,
                                      params={"course_id": "partyquiz"}).json()["value"]
    submitted = [a for a in listed if a["status"] == "submitted" and a["assignment_id"] == ASSIGNMENT]
    assert submitted and not submitted[0]["submissions"][0]["timestamp"].startswith("2019")
