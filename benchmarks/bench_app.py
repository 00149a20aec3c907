"""The learner app (Voilà + Chromium), measured as a learner meets it.

1. actions: login → first question visible, and last answer → submitted (counted clicks/taps;
   the hub's login form counts as one, as in the issue).
2. page open → first question visible, p50/p95, for 1 learner and for N at once (N pages, each
   its own kernel and its own learner home, on one Jupyter server with Voilà's server extension,
   as many learners' servers on one machine would be; the cold kernel start is included).
3. lesson open → interactive with a warm server: from pressing 开始学习 on an already fetched
   lesson to the 开始答题 button enabled in the page (p50/p95).
4. click → answer on disk: a radio button tapped in the app until the answers file holds it.

The same run also measures JupyterLab for the first figure: the old way (nbgrader's Assignment
List, a notebook, Run All) took ≈ 12 actions to the first question (issue 11); the ratio is printed.

Run: `.venv/bin/python benchmarks/bench_app.py [--crowd 30] [--clicks 40] [--opens 10]`
Targets (issue 11): login → first question ≤ 4 actions; last answer → submitted ≤ 2;
lesson open → interactive ≤ 2 s p95 with warm servers; click → disk p95 < 100 ms.
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from helpers_app import Actions, app_course, card, learner_home, release, running_voila  # noqa: E402

from partyquiz.grading.site import GraderSite  # noqa: E402

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
OLD_ACTIONS_TO_FIRST_QUESTION = 12  # measured by hand before the app (issue 11)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


PAGES_PER_BROWSER = 5


def crowd_homes(root: Path, site: GraderSite, n: int) -> list[str]:
    """N learner homes under one server root: each with its own nbgrader student id and an app
    notebook that names its learner (one server stands in for N learners' servers)."""
    names = []
    for i in range(n):
        name = f"c{i:03d}"
        home = root / name
        home.mkdir(parents=True, exist_ok=True)
        (home / "nbgrader_config.py").write_text(f"c = get_config()  # noqa: F821\nc.CourseDirectory.student_id = {name!r}\n", encoding="utf-8")
        nb = json.loads((REPO / "notebooks" / "app.ipynb").read_text(encoding="utf-8"))
        nb["cells"][0]["source"] = ["from partyquiz.app import main\n", f"main(home={str(home)!r}, learner={name!r})"]
        (home / "app.ipynb").write_text(json.dumps(nb), encoding="utf-8")
        names.append(name)
    return names


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--crowd", type=int, default=30)
    parser.add_argument("--clicks", type=int, default=40)
    parser.add_argument("--opens", type=int, default=10)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    root = Path(tempfile.mkdtemp(prefix="bench-app-"))
    site = GraderSite(root=root / "grader", exchange=root / "exchange")
    release(site, app_course())
    home = learner_home(root / "homes", site)
    ledger = f"sqlite:///{root / 'ledger.db'}"
    out: dict = {}
    with running_voila(home, ledger) as server, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
        page.set_default_timeout(300_000)  # a loaded 2-core machine: the first kernel start is slow
        act = Actions(page, touch=True)
        act.count, act.log = 1, ["login"]
        start = time.perf_counter()
        page.goto(server.app_url(), wait_until="commit")
        act.press(card(page, "app-l1", "l1").locator(".pq-action"), "开始学习")
        act.press(page.locator(".pq-start-quiz"), "开始答题")
        page.locator(".pq-question").first.wait_for(timeout=120_000)
        out["single_first_question_s"] = time.perf_counter() - start
        out["actions_to_first_question"] = act.count

        # click → disk, in the app
        single = page.locator(".pq-qid-q-single")
        answers = home / "app-l1" / "l1.answers.json"
        labels = ["每季度一次", "每月一次"]
        latencies = []
        for i in range(args.clicks):
            want = ["quarter"] if i % 2 == 0 else ["month"]
            t0 = time.perf_counter()
            single.locator("label", has_text=labels[i % 2]).tap()
            while True:
                try:
                    if json.loads(answers.read_text(encoding="utf-8"))["answers"]["q-single"]["value"] == want:
                        break
                except (OSError, ValueError, KeyError):
                    pass
                time.sleep(0.001)
            latencies.append((time.perf_counter() - t0) * 1000)
            time.sleep(0.05)
        out["click_to_disk_ms"] = {"p50": statistics.median(latencies), "p95": percentile(latencies, 95), "max": max(latencies)}

        act2 = Actions(page, touch=True)
        act2.press(page.locator(".pq-submit"), "交卷")
        act2.press(page.locator(".pq-confirm-yes"), "确认交卷")
        page.locator(".pq-receipt").wait_for(timeout=120_000)
        out["actions_last_answer_to_submitted"] = act2.count

        # lesson open → interactive, warm server, lesson already fetched
        opens = []
        page.locator(".pq-nav-centre").tap()
        for _ in range(args.opens):
            page.locator(".pq-card-app-l3-l3 .pq-action").wait_for(timeout=60_000)
            t0 = time.perf_counter()
            page.locator(".pq-card-app-l3-l3 .pq-action").tap()
            page.locator(".pq-start-quiz:not([disabled])").wait_for(timeout=60_000)
            opens.append(time.perf_counter() - t0)
            page.locator(".pq-back").tap()
        out["lesson_open_to_interactive_s"] = {"p50": statistics.median(opens), "p95": percentile(opens, 95)}
        page.close()
        browser.close()

    # N learners at once: one server rooted above N homes, N pages opened together
    if args.crowd:
        crowd_root = root / "crowd"
        names = crowd_homes(crowd_root, site, args.crowd)
        (crowd_root / ".jupyter").mkdir(parents=True, exist_ok=True)
        shutil.copy(home / ".jupyter" / "jupyter_server_config.json", crowd_root / ".jupyter")
        (crowd_root / ".jupyter" / "nbgrader_config.py").write_text(
            f"c = get_config()  # noqa: F821\nc.CourseDirectory.course_id = {site.course_id!r}\nc.Exchange.root = {str(site.exchange)!r}\n", encoding="utf-8")
        with running_voila(crowd_root, ledger, learner="crowd") as server, sync_playwright() as pw:
            # one browser per PAGES_PER_BROWSER learners: each learner has a browser of their own in real
            # life, and one Chromium holding 30 pages to one host stalls on its own connection limits
            browsers = [pw.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
                        for _ in range(-(-len(names) // PAGES_PER_BROWSER))]
            times: list[float] = []
            failures: list[str] = []

            # Playwright's sync API is not thread-safe: open the pages one after the other
            # without waiting, then wait for all (the kernels run concurrently on the server).
            pages = []
            t_all = time.perf_counter()
            for i, name in enumerate(names):
                ctx = browsers[i // PAGES_PER_BROWSER].new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
                p = ctx.new_page()
                p.goto(f"{server.url}/voila/render/{name}/app.ipynb?token={server.token}", wait_until="commit")
                pages.append((name, p, time.perf_counter()))
            for name, p, t0 in pages:
                try:
                    p.locator(".pq-card-app-l2-l2 .pq-action").click(timeout=600_000)
                    p.locator(".pq-start-quiz").click(timeout=300_000)
                    p.locator(".pq-question").first.wait_for(timeout=300_000)
                    times.append(time.perf_counter() - t0)
                except Exception as exc:
                    failures.append(f"{name}: {str(exc).splitlines()[0]}")
            out["crowd"] = {"learners": args.crowd, "p50_s": statistics.median(times) if times else None,
                            "p95_s": percentile(times, 95) if times else None, "wall_s": time.perf_counter() - t_all,
                            "failures": failures}
            for browser in browsers:
                browser.close()
    out["actions_ratio_vs_old"] = OLD_ACTIONS_TO_FIRST_QUESTION / out["actions_to_first_question"]
    print(json.dumps(out, ensure_ascii=False, indent=1))
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
