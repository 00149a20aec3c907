"""Collect from nbgrader's folder exchange (the hub-less demo) without following links (issue 13).

Learners submit through nbgrader's own exchange classes; one adds `zero -> /dev/zero`,
`loop -> ..`, a FIFO; another sends more than the cap. Collect must finish, skip and report
those, collect everyone else whole, and keep an earlier collected copy when a newer one fails.
A third forges its time (`timestamp.txt` set to 2019, the folder renamed to a 2099 name): the
collected time is the exchange's clock, as the service's is under the hub (issue 13 item 3).
"""
from __future__ import annotations

import datetime as dt
import os

import pytest

from helpers_grading import release
from partyquiz.authoring import load_course
from partyquiz.grading.site import GraderSite

from conftest import REPO

pytestmark = [pytest.mark.slow]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    base = tmp_path_factory.mktemp("folder-collect")
    site = GraderSite(root=base / "grader", exchange=base / "exchange", extra={"SafeFolderCollect": {"max_bytes": 200_000}})
    course = load_course(REPO / "courses" / "jiaoyu-guanli")
    assignment, _ = release(site, course)
    homes = {}
    before = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    for learner in ("honest", "links", "big", "forger"):
        home = base / "home" / learner
        site.fetch(assignment, learner, home)
        homes[learner] = home / assignment
    for learner in ("honest", "links"):
        site.submit(assignment, learner, homes[learner].parent)
    # nbgrader's own submit would follow them too: plant them in the inbound copy, as a learner
    # with write access to the exchange folder can
    inbound = next((site.exchange / "partyquiz" / "inbound").glob("links+*"))
    (inbound / "zero").symlink_to("/dev/zero")
    (inbound / "loop").symlink_to("..")
    os.mkfifo(inbound / "pipe")
    site.submit(assignment, "big", homes["big"].parent)
    big = next((site.exchange / "partyquiz" / "inbound").glob("big+*"))
    (big / "blob.bin").write_bytes(os.urandom(300_000))
    site.submit(assignment, "forger", homes["forger"].parent)
    forged = next((site.exchange / "partyquiz" / "inbound").glob("forger+*"))
    (forged / "timestamp.txt").write_text("2019-01-01 00:00:00.000000 UTC")
    os.utime(forged / "timestamp.txt", (0, 0))  # mtimes are the learner's to set too
    forged.rename(forged.with_name(f"forger+{assignment}+2099-01-01 00:00:00.000000 UTC+x"))
    skipped = site.collect(assignment)
    after = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    return site, assignment, skipped, (before, after)


def test_collect_finishes_and_reports_what_it_skipped(demo):
    _, _, skipped, _ = demo
    text = "\n".join(skipped)
    assert "links: zero (symlink)" in text and "links: loop (symlink)" in text and "links: pipe (special file)" in text
    assert "big:" in text and "200000" in text


def test_everyone_else_is_collected_whole_and_without_links(demo):
    site, assignment, _, _ = demo
    for learner in ("honest", "links"):
        folder = site.root / "submitted" / learner / assignment
        assert (folder / "l1.ipynb").is_file() and (folder / "timestamp.txt").is_file()
        assert not any(p.is_symlink() for p in folder.rglob("*"))
        assert not {"zero", "loop", "pipe"} & {p.name for p in folder.iterdir()}
    assert not (site.root / "submitted" / "big" / assignment).exists()


def test_collected_times_are_the_exchanges_clock_not_the_learners(demo):
    from partyquiz.grading.engines import read_timestamp  # what both engines read

    site, assignment, _, (before, after) = demo
    for learner in ("honest", "links", "forger"):
        stamp = read_timestamp(site.root / "submitted" / learner / assignment)
        assert before <= stamp <= after, (learner, stamp)


def test_collect_again_takes_nothing_new_and_a_resubmission_replaces(demo):
    site, assignment, _, (before, after) = demo
    folder = site.root / "submitted" / "honest" / assignment
    first = (folder / "timestamp.txt").read_text()
    site.collect(assignment)
    assert (folder / "timestamp.txt").read_text() == first
    site.submit(assignment, "honest", site.root.parent / "home" / "honest")
    site.collect(assignment)
    assert (folder / "timestamp.txt").read_text() > first


@pytest.mark.parametrize("due,expect", [
    (None, "12:00"),  # no due date: the newest
    ("11:30", "11:00"),  # the newest made by the due date
    ("11:00", "11:00"),  # made at the due date is on time
    ("09:00", "12:00"),  # none on time: the newest all the same
])
def test_both_collects_take_the_newest_submission_made_on_time(due, expect):
    from partyquiz.exchange.nbgrader_exchange import latest_on_time

    def at(hhmm):
        return dt.datetime.combine(dt.date(2026, 5, 1), dt.time.fromisoformat(hhmm))

    records = [{"t": at(h)} for h in ("10:00", "11:00", "12:00")]
    assert latest_on_time(records, at(due) if due else None, lambda r: r["t"])["t"] == at(expect)
