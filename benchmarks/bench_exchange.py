"""The exchange service against nbgrader's filesystem exchange, in the same run (issue 13).

N learners (default 1,000, each a real hub user with their own token) submit the lesson once
through nbgrader's exchange classes, then the instructor collects once. The same N submissions
go through nbgrader's own filesystem exchange in a second course root. Reported: seconds for
the N submits and the collect on each side, the ratio, and whether every submission was
collected under the right name (the answers file inside each collected folder must be the one
that learner wrote).

What it models, on both sides alike:
- Learners submit from their own servers at about the same time: `--workers` processes (default
  8) submit concurrently, each learner once; wall-clock time is measured.
- Each learner's token is a real server-style token made through the hub's API (one hash round
  per lookup, as the spawner's tokens), not a token preset in the hub's config (16,384 rounds).
- Each learner has opened the lesson first (the learner app lists the released assignments with
  the same token), untimed; the service keeps the hub's answer for a token for an hour.

    .venv/bin/python benchmarks/bench_exchange.py [--learners 1000] [--workers 8]
Only 127.0.0.1; everything under var/bench-exchange (removed first).
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import shutil
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

import httpx  # noqa: E402
from helpers_exchange import ExchangeHub  # noqa: E402

from partyquiz.answers import AnswerStore, answers_path  # noqa: E402
from partyquiz.authoring import load_course  # noqa: E402
from partyquiz.build import build_course, quiz_key  # noqa: E402
from partyquiz.grading.site import GraderSite  # noqa: E402
from partyquiz.model import Answer, now_iso  # noqa: E402
from partyquiz.scoring import grade_quiz  # noqa: E402
from partyquiz.simulate import right_answer  # noqa: E402

COURSE = REPO / "courses" / "jiaoyu-guanli"
# what the forked workers submit with: set in the parent before the pool starts
_JOB: dict = {}


def prepare_homes(base: Path, release: Path, key, learners: list[str]) -> None:
    """Each learner's fetched lesson with their answers saved, as the widgets leave it."""
    for learner in learners:
        folder = base / learner / key.assignment
        shutil.copytree(release, folder)
        drawn = grade_quiz(key, learner, {}).drawn
        store = AnswerStore(folder, key.notebook, meta={"learner": learner, "assignment": key.assignment})
        store.save_many({q: Answer(value=right_answer(key.questions[q]), saved_at=now_iso()) for q in drawn})


def _site(learner: str) -> GraderSite:
    job = _JOB
    if job["kind"] == "fs":
        return GraderSite(root=job["root"], exchange=job["exchange"])
    return GraderSite(root=job["root"], extra=job["configs"][learner])


def _warm(_n: int) -> int:
    """Run in each worker before timing: nbgrader's exchange classes loaded, as in a running server."""
    from nbgrader.exchange import ExchangeFactory  # noqa: F401

    return multiprocessing.current_process().pid


def _submit_chunk(learners: list[str]) -> list[float]:
    times = []
    for learner in learners:
        started = time.perf_counter()
        _site(learner).submit(_JOB["assignment"], learner, _JOB["homes"] / learner)
        times.append(time.perf_counter() - started)
    return times


def submit_all(job: dict, learners: list[str], workers: int) -> tuple[float, list[float]]:
    """All learners submit, `workers` at a time (forked processes); wall-clock seconds and each submit's."""
    _JOB.clear()
    _JOB.update(job)
    chunks = [learners[i::workers] for i in range(workers)]
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:
        list(pool.map(_warm, range(workers * 2)))  # every worker forked and warmed, untimed
        started = time.perf_counter()
        results = list(pool.map(_submit_chunk, chunks))
        wall = time.perf_counter() - started
    return wall, [t for chunk in results for t in chunk]


def run(job: dict, instructor: GraderSite, key, learners: list[str], workers: int) -> dict:
    submit, submit_times = submit_all(job, learners, workers)
    t1 = time.perf_counter()
    instructor.collect(key.assignment)
    collect = time.perf_counter() - t1
    right = 0
    for learner in learners:
        path = answers_path(instructor.root / "submitted" / learner / key.assignment, key.notebook)
        try:
            owner = json.loads(path.read_text(encoding="utf-8")).get("learner")
        except (OSError, ValueError):
            continue
        right += owner == learner
    ordered = sorted(submit_times)
    return {"submit_s": submit, "collect_s": collect, "total_s": submit + collect, "collected_right": right,
            "submit_p50_ms": 1000 * statistics.median(ordered), "submit_p95_ms": 1000 * ordered[int(0.95 * (len(ordered) - 1))]}


def make_tokens(hub: ExchangeHub, users: list[str]) -> dict[str, str]:
    """One server-style token per user through the hub's API (as the spawner makes them)."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        return dict(zip(users, pool.map(hub.token, users)))


def open_lesson(hub: ExchangeHub, tokens: dict[str, str]) -> None:
    """Each learner lists the released assignments once, as the learner app does when it opens."""
    def one(token: str) -> None:
        r = httpx.get(hub.exchange_url + "api/courses/partyquiz/assignments", headers={"Authorization": f"token {token}"}, timeout=120)
        r.raise_for_status()

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(one, tokens.values()))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--learners", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=8, help="learners submitting at the same time (processes), both exchanges")
    args = parser.parse_args()
    base = REPO / "var" / "bench-exchange"
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    learners = [f"b{i:04d}" for i in range(args.learners)]
    course = load_course(COURSE)
    key = quiz_key(course, course.lessons[0])

    # nbgrader's filesystem exchange
    fs = GraderSite(root=base / "fs" / "grader", exchange=base / "fs" / "exchange")
    build_course(course, fs.source)
    fs.generate_and_release(key.assignment)
    prepare_homes(base / "fs" / "homes", fs.release_dir(key.assignment), key, learners)

    # the exchange service on a real hub, one hub user and API-made token per learner
    hub = ExchangeHub(base / "hub", learners=learners, ready_timeout=1200).start()
    try:
        t = time.perf_counter()
        tokens = make_tokens(hub, ["instructor", *learners])
        token_s = time.perf_counter() - t
        svc = GraderSite(root=base / "svc" / "grader", extra=hub.config_for(tokens["instructor"]))
        build_course(course, svc.source)
        svc.generate_and_release(key.assignment)
        prepare_homes(base / "svc" / "homes", svc.release_dir(key.assignment), key, learners)
        open_lesson(hub, {u: tokens[u] for u in learners})

        filesystem = run({"kind": "fs", "root": fs.root, "exchange": fs.exchange, "assignment": key.assignment,
                          "homes": base / "fs" / "homes"}, fs, key, learners, args.workers)
        service = run({"kind": "svc", "root": svc.root, "configs": {u: hub.config_for(tokens[u]) for u in learners},
                       "assignment": key.assignment, "homes": base / "svc" / "homes"}, svc, key, learners, args.workers)
    finally:
        hub.stop()
    n = len(learners)
    print(f"{n} submissions ({args.workers} learners at a time) + one collect, {n} hub users with one API-made token each "
          f"(tokens made in {token_s:.1f} s, untimed)")
    for name, r in (("filesystem exchange (nbgrader)", filesystem), ("exchange service", service)):
        print(f"  {name:32s} submit {r['submit_s']:6.1f} s (p50 {r['submit_p50_ms']:.0f} ms, p95 {r['submit_p95_ms']:.0f} ms)"
              f"  collect {r['collect_s']:5.1f} s  total {r['total_s']:6.1f} s  collected+attributed {r['collected_right']}/{n}")
    print(f"  ratio service / filesystem: submit {service['submit_s'] / filesystem['submit_s']:.2f}x, "
          f"collect {service['collect_s'] / filesystem['collect_s']:.2f}x, total {service['total_s'] / filesystem['total_s']:.2f}x")
    ok = service["collected_right"] == n == filesystem["collected_right"]
    if not ok:
        raise SystemExit("not every submission was collected under the right name")


if __name__ == "__main__":
    main()
