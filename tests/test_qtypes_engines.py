"""The new kinds graded by both engines: real `nbgrader autograde` (the hidden test cell) and the
fast engine write the same gradebook scores for cloze, description, weighted blanks and
several-answer numericals, and those scores are the hand-worked ones."""
from __future__ import annotations

import shutil

import pytest
from helpers_grading import submit_direct
from test_qtypes_walk import walk_course

from partyquiz.build import build_course, quiz_key
from partyquiz.grading import gradebook as gbk
from partyquiz.grading.batch import grade_assignment
from partyquiz.grading.site import GraderSite

# what each learner typed, and the autograded total worked out by hand:
# single 1 + multiple 1 + truefalse 1 + fill 1 + numeric 1 + matching 1 + cloze 3 = 9 (essay by hand, description none)
SUBMISSIONS = {
    "u-right": ({"ex-single": ["quarter"], "ex-multiple": ["zhengzhi", "jingshen"], "ex-truefalse": True, "ex-fill": ["月", "半年"],
                 "ex-numeric": "32", "ex-matching": {"dahui": "每季度", "zhiwei": "每月"}, "ex-essay": "联系实际。",
                 "ex-cloze": {"pinci": "月", "cishu": "2", "ke": "dangke"}}, 9.0),
    # fill 1 × (1 + 0.5) / 2 = 0.75; numeric in the 50 % range 0.5; cloze 3 × (0 + 0.5 + 1) / 3 = 1.5
    "u-partial": ({"ex-fill": ["个月", "季度"], "ex-numeric": "２８", "ex-cloze": {"pinci": "季度", "cishu": "1", "ke": "dangke"},
                   "ex-description": "a value for a text item is ignored"}, 2.75),
    "u-blank": ({}, 0.0),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("kinds")
    course = walk_course()
    fast = GraderSite(root=base / "fast" / "grader", exchange=base / "fast" / "exchange")
    fast.prepare()
    build_course(course, fast.source)
    assignment = course.assignment_name(course.lessons[0])
    fast.generate_and_release(assignment)
    key = quiz_key(course, course.lessons[0])
    for student, (values, _total) in SUBMISSIONS.items():
        submit_direct(fast, key, student, values)
    shutil.copytree(base / "fast", base / "nbg")
    nbg = GraderSite(root=base / "nbg" / "grader", exchange=base / "nbg" / "exchange")
    summaries = {
        "fast": grade_assignment(fast, course, assignment, engine="fast", collect=False, progress=False),
        "nbgrader": grade_assignment(nbg, course, assignment, engine="nbgrader", workers=1, collect=False, progress=False),
    }
    return {"fast": fast, "nbgrader": nbg}, summaries, assignment


def test_both_engines_agree_on_the_new_kinds_and_the_hand_worked_totals(graded):
    sites, summaries, assignment = graded
    for summary in summaries.values():
        assert summary.failed == [] and summary.graded == len(SUBMISSIONS)
    rows = {engine: gbk.read_rows(site.gradebook_url, assignment) for engine, site in sites.items()}
    for student, (_values, total) in SUBMISSIONS.items():
        assert rows["fast"][student] == rows["nbgrader"][student], student
        assert rows["fast"][student].notebooks["l1"].auto_scores["quiz_walk_score"] == pytest.approx(total), student
