"""A simulated cohort on the sample course, graded by the shared scoring rules, rolled in and reported."""
from __future__ import annotations

import random

from helpers_records import WHEN, empty_gradebook, sqlite_url
from partyquiz.answers import AnswerStore
from partyquiz.build import quiz_key
from bulk_gradebook import Sub, build_gradebook
from partyquiz.exports import branch_summary
from partyquiz.pipeline import roll_in_and_publish
from partyquiz.report import _read_items, analyse_items
from partyquiz.scoring import grade_quiz
from partyquiz.simulate import make_roster, simulated_answers


def test_simulated_cohort_end_to_end(tmp_path, sample_course):
    lesson = sample_course.lessons[0]
    key = quiz_key(sample_course, lesson)
    roster = make_roster(40, branches=3)
    rng = random.Random(1)
    results = []
    for n, learner in enumerate(roster):
        values = simulated_answers(key, learner.id, ability=0.3 + 0.6 * n / len(roster), rng=rng)
        store = AnswerStore(tmp_path / "answers" / learner.id, key.notebook)
        for qid, value in values.items():
            store.save(qid, value)
        results.append(grade_quiz(key, learner.id, store.load()))
    gradebook = empty_gradebook(tmp_path / "gradebook.db")
    build_gradebook(gradebook, {key.assignment: key.max_score},
                    [Sub(r.learner_id, key.assignment, r.score, WHEN) for r in results])
    ledger = sqlite_url(tmp_path / "ledger.db")
    summary, files = roll_in_and_publish(ledger, gradebook, [sample_course], tmp_path / "out", results=results, roster=roster)
    assert summary.added == 40 and summary.items == sum(len(r.scores) for r in results)
    assert [p.name for p in files][-1] == "report.html" and len(files) == 9  # 8 exports (培训档案 with its 课时明细 CSV) + the report
    assert sum(b["learners"] for b in branch_summary(ledger)) == 40

    # facility of each question = its mean mark over those who drew it, straight from the results
    test, stats = analyse_items(_read_items(ledger)[key.assignment])
    for s in stats:
        marks = [(q.score, q.max_score) for r in results for q in r.scores if q.question_id == s.question_id]
        assert s.facility == round(100 * sum(m for m, _ in marks) / len(marks) / marks[0][1], 2)
        assert s.attempts == len(marks)
    assert test.attempts == 40 and test.cic is not None
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    stem = sample_course.questions["sc-sanhui-dahui"].stem[:20]
    assert stem in page and "✓" in page  # stems and the right option marked, from the course
    from partyquiz.report import write_report

    alone = write_report(ledger, tmp_path / "alone.html").read_text(encoding="utf-8")
    assert stem in alone and "✓" in alone  # the same from the ledger alone (stored at roll-in)
