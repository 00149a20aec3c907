"""The answer store: answers are never lost, whatever happens to the file or the tabs."""
from __future__ import annotations

import json
import multiprocessing as mp

from partyquiz.answers import AnswerStore, answers_path, load_answers


def test_saved_answer_is_on_disk_with_time_and_survives_a_new_store(tmp_path):
    store = AnswerStore(tmp_path, "l1")
    store.save("q1", ["b"])
    again = AnswerStore(tmp_path, "l1").load()  # a kernel restart or the next day
    assert again["q1"].value == ["b"]
    assert again["q1"].saved_at[:4].isdigit()
    doc = json.loads(answers_path(tmp_path, "l1").read_text(encoding="utf-8"))
    assert doc["answers"]["q1"]["value"] == ["b"] and doc["notebook"] == "l1"
    assert not list(tmp_path.glob("*.tmp")), "no temp file left behind"


def test_two_tabs_of_one_notebook_keep_each_others_answers(tmp_path):
    tab1, tab2 = AnswerStore(tmp_path, "l1"), AnswerStore(tmp_path, "l1")
    tab1.load(), tab2.load()  # both opened before either saved
    tab1.save("q1", ["a"])
    tab2.save("q2", True)
    tab1.save("q3", "心得")
    answers = AnswerStore(tmp_path, "l1").load()
    assert {q: a.value for q, a in answers.items()} == {"q1": ["a"], "q2": True, "q3": "心得"}


def test_newest_answer_wins_when_two_tabs_answer_the_same_question(tmp_path):
    store = AnswerStore(tmp_path, "l1")
    store.save("q1", ["a"], saved_at="2026-11-21T10:00:02.000+00:00")
    store.save("q1", ["b"], saved_at="2026-11-21T10:00:01.000+00:00")  # an older tab saving late
    assert store.load()["q1"].value == ["a"]


def test_notebooks_in_one_assignment_have_separate_files(tmp_path):
    AnswerStore(tmp_path, "part1").save("q1", ["a"])
    AnswerStore(tmp_path, "part2").save("q1", ["c"])
    assert AnswerStore(tmp_path, "part1").load()["q1"].value == ["a"]
    assert AnswerStore(tmp_path, "part2").load()["q1"].value == ["c"]


def test_hand_damaged_file_keeps_readable_answers_and_a_backup(tmp_path):
    path = answers_path(tmp_path, "l1")
    path.write_text(json.dumps({"answers": {"q1": {"value": ["a"], "saved_at": "2026-01-01T00:00:00"}, "q2": "garbage"}}), encoding="utf-8")
    store = AnswerStore(tmp_path, "l1")
    answers = store.load()
    assert answers["q1"].value == ["a"]
    assert any("q2" in p for p in store.problems)
    store.save("q3", False)
    assert set(store.load()) == {"q1", "q3"}
    assert list(tmp_path.glob("l1.answers.json.damaged-*")), "the damaged original is kept"


def test_broken_json_names_file_and_line(tmp_path):
    path = answers_path(tmp_path, "l1")
    path.write_text('{"answers": {\n  "q1": {"value": [\n', encoding="utf-8")
    result = load_answers(path)
    assert result.answers == {}
    assert str(path) in result.problems[0] and "第 3 行" in result.problems[0]


def test_huge_file_is_refused_not_parsed(tmp_path):
    path = answers_path(tmp_path, "l1")
    path.write_text('{"answers": {}, "pad": "' + "x" * 3_000_000 + '"}', encoding="utf-8")
    result = load_answers(path)
    assert result.answers == {} and "文件过大" in result.problems[0]


def _writer(folder, prefix, n):
    store = AnswerStore(folder, "l1")
    for i in range(n):
        store.save(f"{prefix}{i}", i)


def test_concurrent_writers_lose_nothing(tmp_path):
    procs = [mp.get_context("fork").Process(target=_writer, args=(tmp_path, p, 40)) for p in "ab"]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(30)
    answers = AnswerStore(tmp_path, "l1").load()
    assert len(answers) == 80
    assert json.loads(answers_path(tmp_path, "l1").read_text())["answers"]["a39"]["value"] == 39
