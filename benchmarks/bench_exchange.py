"""The exchange service against nbgrader's filesystem exchange, in the same run (issue 13).

N learners (default 1,000, each a real hub user with their own token) each submit the lesson
once through nbgrader's exchange classes, then the instructor collects once. The same N
submissions go through nbgrader's own filesystem exchange in a second course root. Reported:
seconds for the N submits and the collect on each side, the ratio, and whether every
submission was collected under the right name (the answers file inside each collected folder
must be the one that learner wrote).

    .venv/bin/python benchmarks/bench_exchange.py [--learners 1000]
Only 127.0.0.1; everything under var/bench-exchange (removed first).
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from helpers_exchange import ExchangeHub  # noqa: E402

from partyquiz.answers import AnswerStore, answers_path  # noqa: E402
from partyquiz.authoring import load_course  # noqa: E402
from partyquiz.build import build_course, quiz_key  # noqa: E402
from partyquiz.grading.site import GraderSite  # noqa: E402
from partyquiz.model import Answer, now_iso  # noqa: E402
from partyquiz.scoring import grade_quiz  # noqa: E402
from partyquiz.simulate import right_answer  # noqa: E402

COURSE = REPO / "courses" / "jiaoyu-guanli"


def prepare_homes(base: Path, release: Path, key, learners: list[str]) -> None:
    """Each learner's fetched lesson with their answers saved, as the widgets leave it."""
    for learner in learners:
        folder = base / learner / key.assignment
        shutil.copytree(release, folder)
        drawn = grade_quiz(key, learner, {}).drawn
        store = AnswerStore(folder, key.notebook, meta={"learner": learner, "assignment": key.assignment})
        store.save_many({q: Answer(value=right_answer(key.questions[q]), saved_at=now_iso()) for q in drawn})


def run(site_for, instructor: GraderSite, homes: Path, key, learners: list[str]) -> dict:
    submit_times = []
    t0 = time.perf_counter()
    for learner in learners:
        t = time.perf_counter()
        site_for(learner).submit(key.assignment, learner, homes / learner)
        submit_times.append(time.perf_counter() - t)
    submit = time.perf_counter() - t0
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
    return {"submit_s": submit, "collect_s": collect, "total_s": submit + collect, "collected_right": right,
            "submit_p50_ms": 1000 * statistics.median(submit_times), "submit_p95_ms": 1000 * sorted(submit_times)[int(0.95 * (len(submit_times) - 1))]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--learners", type=int, default=1000)
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

    # the exchange service on a real hub, one hub user and token per learner
    hub = ExchangeHub(base / "hub", learners=learners, preset_tokens=True, ready_timeout=1200).start()
    try:
        t = time.perf_counter()
        tokens = {u: hub.token(u) for u in ["instructor", *learners]}
        token_s = time.perf_counter() - t
        svc = GraderSite(root=base / "svc" / "grader", extra=hub.config_for(tokens["instructor"]))
        build_course(course, svc.source)
        svc.generate_and_release(key.assignment)
        prepare_homes(base / "svc" / "homes", svc.release_dir(key.assignment), key, learners)
        sites = {u: GraderSite(root=svc.root, extra=hub.config_for(tokens[u])) for u in learners}

        filesystem = run(lambda u: fs, fs, base / "fs" / "homes", key, learners)
        service = run(lambda u: sites[u], svc, base / "svc" / "homes", key, learners)
    finally:
        hub.stop()
    n = len(learners)
    print(f"{n} submissions + one collect, {n} hub users with one token each")
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
