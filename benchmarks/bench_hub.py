"""Load on the local hub: N learners at once (REST + kernel websockets, no browsers).

Each simulated learner logs in with the generated password, spawns their server, fetches the
lesson through nbgrader's assignment-list endpoints, starts a kernel in the lesson folder,
answers every drawn question by executing code that saves through the answer store (what the
widget does on a click), and submits. Then the instructor side collects, and every answer is
looked for in the collected submissions: the number lost must be 0.

    .venv/bin/python benchmarks/bench_hub.py [--learners 30]
Only 127.0.0.1; everything under var/bench-hub (removed first).
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from helpers_hub import HubUser  # noqa: E402

from partyquiz.answers import answers_path, load_answers  # noqa: E402
from partyquiz.authoring import load_course  # noqa: E402
from partyquiz.build import quiz_key  # noqa: E402
from partyquiz.draw import drawn_questions, seed_for  # noqa: E402
from partyquiz.grading.site import ensure_venv_on_path  # noqa: E402
from partyquiz.hub import HubSetup, free_port, prepare_hub, start_hub  # noqa: E402
from partyquiz.hub.process import descendants  # noqa: E402
from partyquiz.simulate import right_answer  # noqa: E402

COURSE = REPO / "courses" / "jiaoyu-guanli"


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def one_learner(setup, password: str, learner: str, key) -> dict:
    user = HubUser(setup.url, learner, password)
    t0 = time.monotonic()
    assert user.login(), learner
    user.make_token()
    spawn = user.spawn(timeout=300)
    user.nbgrader("fetch", key.assignment)
    lesson = user.client.get(user.url(f"api/contents/{key.assignment}/{key.notebook}.ipynb"), headers=user.auth)
    lesson.raise_for_status()  # open the lesson as JupyterLab does (contents API)
    kernel = user.start_kernel(key.assignment)
    ws = user.kernel_ws(kernel, timeout=300)
    user.execute(kernel, "import json\nfrom partyquiz.answers import AnswerStore\n"
                 f"store = AnswerStore('.', {key.notebook!r}, meta={{'learner': {learner!r}, 'assignment': {key.assignment!r}}})", ws=ws)
    drawn = drawn_questions(key.quiz, seed_for(key.course_id, key.assignment, learner, key.quiz.id))
    saves, answers = [], {}
    for qid in drawn:
        value = right_answer(key.questions[qid])
        answers[qid] = value
        _, seconds = user.execute(kernel, f"store.save({qid!r}, json.loads({json.dumps(value)!r}))", ws=ws)
        saves.append(seconds)
    ws.close()
    result = user.nbgrader("submit", key.assignment)
    ok = result.get("success", True) is not False
    user.close()
    return {"learner": learner, "spawn": spawn, "saves": saves, "answers": answers, "submitted": ok, "total": time.monotonic() - t0}


def rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--learners", type=int, default=30)
    args = parser.parse_args()
    ensure_venv_on_path()
    hub_dir = REPO / "var" / "bench-hub"
    shutil.rmtree(hub_dir, ignore_errors=True)
    setup = HubSetup(hub_dir=hub_dir, port=free_port(), learners=args.learners, courses=[COURSE])
    prepared = prepare_hub(setup, say=lambda _: None)
    course = load_course(COURSE)
    key = quiz_key(course, course.lessons[0])
    hub = start_hub(setup)
    try:
        t0 = time.monotonic()
        learners = [p.id for p in prepared.learners]
        with ThreadPoolExecutor(len(learners)) as pool:
            results = list(pool.map(lambda u: one_learner(setup, prepared.passwords[u], u, key), learners))
        wall = time.monotonic() - t0
        memory = rss_mb(descendants(hub.proc.pid))
        site = setup.site()
        site.collect(key.assignment)
        lost = 0
        for r in results:
            collected = load_answers(answers_path(site.root / "submitted" / r["learner"] / key.assignment, key.notebook)).answers
            lost += sum(1 for qid, value in r["answers"].items() if qid not in collected or collected[qid].value != value)
        saves = [s for r in results for s in r["saves"]]
        spawns = [r["spawn"] for r in results]
        print(json.dumps({
            "learners": len(results),
            "answers_saved": len(saves),
            "answers_lost": lost,
            "submitted": sum(r["submitted"] for r in results),
            "save_p50_ms": round(statistics.median(saves) * 1000, 1),
            "save_p95_ms": round(pct(saves, 95) * 1000, 1),
            "save_max_ms": round(max(saves) * 1000, 1),
            "spawn_p50_s": round(statistics.median(spawns), 1),
            "spawn_p95_s": round(pct(spawns, 95), 1),
            "spawn_max_s": round(max(spawns), 1),
            "wall_s": round(wall, 1),
            "rss_all_servers_mb": round(memory),
        }, indent=1))
        if lost:
            sys.exit(f"{lost} answers lost")
    finally:
        hub.stop()
        shutil.rmtree(hub_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
