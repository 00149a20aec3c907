"""Benchmark: 1,000 simulated quiz submissions graded by the fast engine, and N of them by real
`nbgrader autograde`, in the same run; per-submission times, the ratio, and a score check.

    .venv/bin/python benchmarks/bench_grading.py [--n 1000] [--nbgrader 50] [--workers 2]

The nbgrader engine runs one process (nbgrader's own way: one submission at a time); the fast
engine runs with --workers processes. The time per submission of each engine is the wall time
of its grading batch (planning, grading, gradebook writes, autograded notebooks, feedback)
divided by the number of submissions.
"""
from __future__ import annotations

import argparse
import platform
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from helpers_grading import release, submit_direct  # noqa: E402

from partyquiz.authoring import load_course  # noqa: E402
from partyquiz.grading import gradebook as gbk  # noqa: E402
from partyquiz.grading.batch import grade_assignment  # noqa: E402
from partyquiz.grading.site import GraderSite  # noqa: E402
from partyquiz.settings import ensure_venv_on_path  # noqa: E402
from partyquiz.simulate import make_roster, simulated_answers  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--nbgrader", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    ensure_venv_on_path()
    course = load_course(REPO / "courses" / "jiaoyu-guanli")
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        base = Path(tmp)
        fast = GraderSite(root=base / "fast" / "grader", exchange=base / "fast" / "exchange")
        fast.prepare()
        assignment, key = release(fast, course)
        rng = random.Random(2026)
        roster = make_roster(args.n)
        t0 = time.perf_counter()
        for learner in roster:
            submit_direct(fast, key, learner.id, simulated_answers(key, learner.id, rng.random(), rng))
        print(f"laid out {args.n} submissions in {time.perf_counter() - t0:.1f} s")
        shutil.copytree(base / "fast", base / "nbg")
        nbg = GraderSite(root=base / "nbg" / "grader", exchange=base / "nbg" / "exchange")

        t0 = time.perf_counter()
        fs = grade_assignment(fast, course, assignment, engine="fast", workers=args.workers, collect=False, progress=True)
        fast_s = time.perf_counter() - t0
        assert fs.graded == args.n and not fs.failed, fs.failed[:3]

        t0 = time.perf_counter()
        again = grade_assignment(fast, course, assignment, engine="fast", workers=args.workers, collect=False, progress=False)
        rerun_s = time.perf_counter() - t0

        subset = [learner.id for learner in roster[: args.nbgrader]]
        t0 = time.perf_counter()
        ns = grade_assignment(nbg, course, assignment, engine="nbgrader", workers=1, collect=False, progress=True, students=subset)
        nbg_s = time.perf_counter() - t0
        assert ns.graded == len(subset) and not ns.failed, ns.failed[:3]

        a = gbk.read_rows(fast.gradebook_url, assignment, subset)
        b = gbk.read_rows(nbg.gradebook_url, assignment, subset)
        same = all(a[s] == b[s] for s in subset)
        per_fast, per_nbg = fast_s / args.n, nbg_s / len(subset)
        print(f"machine: {platform.node()}, {__import__('os').cpu_count()} cores, Python {platform.python_version()}")
        print(f"fast engine ({args.workers} workers): {args.n} in {fast_s:.2f} s = {per_fast * 1000:.2f} ms/submission, {args.n / fast_s:.0f} submissions/s")
        print(f"fast engine phases (cumulative s): {', '.join(f'{k} {v:.2f}' for k, v in fs.timings.items())}")
        print(f"re-run, nothing changed: {again.skipped} skipped, {again.graded} graded, {rerun_s:.2f} s")
        print(f"nbgrader autograde (1 process): {len(subset)} in {nbg_s:.1f} s = {per_nbg * 1000:.0f} ms/submission")
        print(f"ratio nbgrader/fast per submission: {per_nbg / per_fast:.0f}x")
        print(f"identical per-cell scores on the {len(subset)} graded by both: {same}")
        print(f"mean score (fast, all {args.n}): {fs.mean_score:.2f} / {fs.max_score:g}")


if __name__ == "__main__":
    main()
