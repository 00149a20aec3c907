"""Hostile uploads against the exchange service's store, without a hub (issue 13, audit H1, H2, H4, H7).

Each case is what a learner can send through a bare POST: names that break unpacking half way,
a damaged archive, more attempts than the quiz allows, a submit after the deadline, many large
attempts, a forged "skipped files" list, and a hub name outside plain ASCII. Each must be
refused with a clear message (or stored under the sender's own name), and nothing may be left
behind in the store's staging folder.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import shutil
import threading
import zipfile

import pytest

from partyquiz.exchange.archive import ArchiveError, pack, unpack
from partyquiz.exchange.store import Limits, Store, StoreError, policy_of


def _zip(entries: dict[str, bytes], method=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _quiz_file(attempts: int = 1, deadline: str | None = None, after_deadline: str = "late") -> bytes:
    return json.dumps({"quiz": {"id": "q1", "attempts": attempts},
                       "lesson": {"deadline": deadline, "after_deadline": after_deadline}}).encode()


def _store(tmp_path, **limits) -> Store:
    store = Store(tmp_path / "data", Limits(**limits) if limits else None)
    store.release("c", "a1", _zip({"l1.ipynb": b"{}"}))  # no quiz file: the default attempt cap
    return store


def _leftovers(store: Store) -> list:
    staging = store.root / "c" / ".staging"
    return list(staging.iterdir()) if staging.is_dir() else []


# --- H1: a failure half way through unpacking leaves nothing and answers 400 -------------------

def _damaged() -> bytes:
    data = bytearray(_zip({"l1.ipynb": b"{}", "big.json": b"abc" * 100_000}))
    at = data.index(b"big.json") + 40  # inside big.json's compressed bytes: its CRC will not match
    data[at] ^= 0xFF
    return bytes(data)


@pytest.mark.parametrize("entries,expect", [
    ({"x": b"file", "x/y": b"then a folder of the same name"}, "file and a folder"),
    ({"d/y": b"a folder first", "d": b"then a file of the same name"}, "file and a folder"),
    ({"l1.ipynb": b"{}", "n" * 300: b"a name longer than the file system takes"}, "too long"),
    ({"l1.ipynb": b"{}", "/".join(["d"] * 40) + "/f": b"deep"}, "deep"),
    ({"l1.ipynb": b"{}", "line\nSKIPPED u0001: forged": b"x"}, "control character"),
])
def test_names_that_break_unpacking_are_refused_and_leave_nothing(tmp_path, entries, expect):
    store = _store(tmp_path)
    with pytest.raises(StoreError, match=expect) as exc:
        store.submit("c", "a1", "u0002", _zip(entries))
    assert exc.value.status == 400
    assert _leftovers(store) == [] and store.attempts("c", "a1", "u0002") == []
    assert not (store.root / "c" / "attempts" / "u0002" / "a1").exists() or not any((store.root / "c" / "attempts" / "u0002" / "a1").iterdir())


def test_a_damaged_archive_is_refused_after_writing_part_of_it_and_leaves_nothing(tmp_path):
    store = _store(tmp_path)
    with pytest.raises(StoreError, match="damaged") as exc:
        store.submit("c", "a1", "u0002", _damaged())
    assert exc.value.status == 400
    assert _leftovers(store) == [] and store.attempts("c", "a1", "u0002") == []


def _broken_deflate() -> bytes:
    """A zip whose big.json deflate stream itself is invalid (its first block type is the reserved 11)."""
    import struct

    data = bytearray(_zip({"l1.ipynb": b"{}", "big.json": b"abc" * 100_000}))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
        at = zf.getinfo("big.json").header_offset
    name_len, extra_len = struct.unpack("<HH", data[at + 26:at + 30])
    data[at + 30 + name_len + extra_len] |= 0x06
    return bytes(data)


def test_a_garbled_deflate_stream_is_a_400_not_a_server_error(tmp_path):
    store = _store(tmp_path)
    with pytest.raises(StoreError, match="damaged") as exc:
        store.submit("c", "a1", "u0002", _broken_deflate())
    assert exc.value.status == 400
    assert _leftovers(store) == [] and store.attempts("c", "a1", "u0002") == []
    with pytest.raises(ArchiveError, match="damaged"):  # the collect's side: one learner, not the batch
        unpack(_broken_deflate(), tmp_path / "dest")
    assert not (tmp_path / "dest").exists()


def test_unpack_removes_its_folder_on_any_failure(tmp_path):
    with pytest.raises(ArchiveError):
        unpack(_zip({"a/b": b"1", "a": b"2"}), tmp_path / "dest")
    with pytest.raises(ArchiveError):
        unpack(_damaged(), tmp_path / "dest")
    assert not (tmp_path / "dest").exists()


def test_staging_left_by_a_crash_is_swept_at_start(tmp_path):
    store = _store(tmp_path)
    left = store.root / "c" / ".staging" / "deadbeef" / "files"
    left.mkdir(parents=True)
    (left / "blob").write_bytes(b"0" * 1000)
    assert Store(store.root).sweep_staging() == 1
    assert _leftovers(store) == []


def test_pack_skips_names_the_service_would_refuse(tmp_path):
    (tmp_path / "l1.ipynb").write_text("{}")
    (tmp_path / "evil\nSKIPPED u0001: l1.answers.json").write_text("x")
    packed = pack(tmp_path)
    assert packed.files == ["l1.ipynb"]
    [(name, why)] = packed.skipped
    assert "\n" not in name and why == "unsafe name"


# --- H2: the quiz's attempts, its deadline, a per-learner quota ---------------------------------

def test_no_more_attempts_than_the_quiz_allows(tmp_path):
    store = Store(tmp_path / "data")
    store.release("c", "a1", _zip({"l1.ipynb": b"{}", "l1.quiz.json": _quiz_file(attempts=2)}))
    store.submit("c", "a1", "u0002", _zip({"l1.ipynb": b"1"}))
    store.submit("c", "a1", "u0002", _zip({"l1.ipynb": b"2"}))
    with pytest.raises(StoreError, match="2 次提交机会已用完") as exc:
        store.submit("c", "a1", "u0002", _zip({"l1.ipynb": b"3"}))
    assert exc.value.status == 403
    assert [a["bytes"] for a in store.attempts("c", "a1", "u0002")] == [1, 1]
    store.submit("c", "a1", "u0001", _zip({"l1.ipynb": b"1"}))  # another learner has their own count
    assert _leftovers(store) == []


def test_two_submits_at_once_cannot_both_take_the_last_attempt(tmp_path):
    store = Store(tmp_path / "data")
    store.release("c", "a1", _zip({"l1.ipynb": b"{}", "l1.quiz.json": _quiz_file(attempts=1)}))
    outcomes = []

    def go(n):
        try:
            store.submit("c", "a1", "u0002", _zip({"l1.ipynb": str(n).encode() * 50_000}))
            outcomes.append("ok")
        except StoreError as exc:
            outcomes.append(exc.status)

    threads = [threading.Thread(target=go, args=(n,)) for n in range(6)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(outcomes, key=str) == sorted(["ok"] + [403] * 5, key=str)
    assert len(store.attempts("c", "a1", "u0002")) == 1


@pytest.mark.parametrize("days,after_deadline,accepted", [
    (-1, "closed", False),  # the deadline was yesterday and the lesson is closed after it
    (-1, "late", True),  # the default: late work is taken (and marked late by the server's stamp)
    (0, "closed", True),  # the deadline is today: open until midnight (Asia/Shanghai)
    (3, "closed", True),
])
def test_the_deadline_closes_submissions_only_where_the_lesson_says_so(tmp_path, days, after_deadline, accepted):
    from zoneinfo import ZoneInfo

    today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    deadline = (today + dt.timedelta(days=days)).isoformat()
    store = Store(tmp_path / "data")
    store.release("c", "a1", _zip({"l1.ipynb": b"{}", "l1.quiz.json": _quiz_file(attempts=3, deadline=deadline, after_deadline=after_deadline)}))
    if accepted:
        store.submit("c", "a1", "u0002", _zip({"l1.ipynb": b"1"}))
        assert len(store.attempts("c", "a1", "u0002")) == 1
    else:
        with pytest.raises(StoreError, match=f"已于 {deadline} 23:59 截止") as exc:
            store.submit("c", "a1", "u0002", _zip({"l1.ipynb": b"1"}))
        assert exc.value.status == 403 and store.attempts("c", "a1", "u0002") == []


def test_the_deadline_ends_at_midnight_in_china():
    policy = policy_of_files({"l1.quiz.json": _quiz_file(deadline="2026-06-30")})
    assert policy.closes_at == dt.datetime(2026, 6, 30, 16, 0, tzinfo=dt.timezone.utc)


def policy_of_files(entries: dict[str, bytes]):
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        for name, data in entries.items():
            (Path(tmp) / name).write_bytes(data)
        return policy_of(Path(tmp))


def test_a_learners_storage_is_capped_over_all_attempts(tmp_path):
    store = _store(tmp_path, max_bytes=1000, quota_bytes=2500)
    for n in range(2):
        store.submit("c", "a1", "u0002", _zip({"l1.ipynb": bytes([n]) * 900}))
    with pytest.raises(StoreError, match="存储空间") as exc:
        store.submit("c", "a1", "u0002", _zip({"l1.ipynb": b"x" * 900}))
    assert exc.value.status == 413
    store.submit("c", "a1", "u0002", _zip({"l1.ipynb": b"x" * 500}))  # what still fits is taken
    with pytest.raises(StoreError, match="存储空间"):
        store.submit("c", "a1", "u0002", _zip({"l1.ipynb": b"x" * 300}))
    assert sum(a["bytes"] for a in store.attempts("c", "a1", "u0002")) == 2300
    assert Store(store.root, store.limits)._usage("c", "u0002") == 2300  # counted again from disk after a restart
    store.submit("c", "a1", "u0001", _zip({"l1.ipynb": b"x" * 900}))  # others are not affected
    assert _leftovers(store) == []


def test_a_submit_racing_a_cold_quota_count_is_not_lost(tmp_path, monkeypatch):
    """After a restart the first quota check counts from disk outside the learner's lock; a submit
    finishing between that count and its caching must stay counted."""
    import partyquiz.exchange.store as store_module

    first = _store(tmp_path)
    first.release("c", "a0", _zip({"l0.ipynb": b"{}"}))
    first.submit("c", "a0", "u0002", _zip({"l0.ipynb": b"x" * 700}))
    store = Store(first.root, first.limits)  # restarted: nothing cached
    read_json, raced = store_module._read_json, []

    def submit_meanwhile(path):
        if not raced:  # the cold count has read the a0 attempt; another request submits a1 now
            raced.append(path)
            store.submit("c", "a1", "u0002", _zip({"l1.ipynb": b"y" * 300}))
        return read_json(path)

    monkeypatch.setattr(store_module, "_read_json", submit_meanwhile)
    store.check_may_submit("c", "a1", "u0002")
    assert raced and store._usage("c", "u0002") == 1000


# --- H4: the learner's "skipped" list ---------------------------------------------------------

def test_a_forged_skipped_list_is_stored_on_one_line_per_entry_and_bounded(tmp_path):
    from partyquiz.exchange.service import _skipped_header

    forged = [["a\nSKIPPED u0001: l1.answers.json (over the cap)", "symlink\r\n"]] * 500 + [["x" * 5000, "y"]]
    entries = _skipped_header(json.dumps(forged))
    assert len(entries) == 100
    assert all("\n" not in a and "\r" not in a and "\n" not in b and len(a) <= 200 and len(b) <= 50 for a, b in entries)
    assert _skipped_header("not json") == [] and _skipped_header('{"a": 1}') == [] and _skipped_header("[1, [2]]") == []
    store = _store(tmp_path)
    meta = store.submit("c", "a1", "u0002", _zip({"l1.ipynb": b"1"}), [["p\nq", "why\n"]])
    assert meta["skipped"] == [["p?q", "why?"]] and meta["student"] == "u0002"


# --- non-ASCII hub names -------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["张三", "o'brien", "Zoë Li", "a+b"])
def test_a_hub_name_outside_plain_ascii_can_submit_and_is_collected_by_that_name(tmp_path, name):
    store = _store(tmp_path)
    meta = store.submit("c", "a1", name, _zip({"l1.ipynb": b"1"}))
    assert meta["student"] == name
    assert store.students("c", "a1") == [name]
    assert [a["attempt"] for a in store.every_attempt("c", "a1")[name]] == [meta["attempt"]]
    assert store.attempt_zip("c", "a1", name, meta["attempt"])
    folders = [p.name for p in (store.root / "c" / "attempts").iterdir()]
    assert all(f.isascii() and "/" not in f for f in folders)


@pytest.mark.parametrize("name", ["../u0001", "a/b", ".hidden", "~6161", "a\nb", "x" * 200])
def test_names_that_cannot_be_a_folder_are_refused(tmp_path, name):
    store = _store(tmp_path)
    with pytest.raises(StoreError) as exc:
        store.submit("c", "a1", name, _zip({"l1.ipynb": b"1"}))
    assert exc.value.status == 400


# --- H7: a fetch does not re-pack the release -------------------------------------------------

def test_the_release_archive_is_made_once_per_release(tmp_path):
    store = _store(tmp_path)
    first = store.released_zip("c", "a1")
    assert store.released_zip("c", "a1") is first
    store.release("c", "a1", _zip({"l1.ipynb": b'{"v": 2}'}))
    again = store.released_zip("c", "a1")
    assert again is not first
    with zipfile.ZipFile(io.BytesIO(again)) as zf:
        assert zf.read("l1.ipynb") == b'{"v": 2}'
    assert store.released("c") == [{"assignment_id": "a1", "notebooks": ["l1"]}]
    store.release("c", "a2", _zip({"l2.ipynb": b"{}"}))
    assert [a["assignment_id"] for a in store.released("c")] == ["a1", "a2"]


def test_a_listing_made_during_a_re_release_is_not_kept(tmp_path, monkeypatch):
    """A learner lists while a1 is swapped out for its new release. With coarse file times (one
    kernel tick for the whole swap: the folder's stat is the same before and after), that listing,
    missing a1, must not be served to every later learner."""
    import os

    import partyquiz.exchange.store as store_module

    store = _store(tmp_path)
    assert [a["assignment_id"] for a in store.released("c")] == ["a1"]
    # the coarse clock: every change in this test falls in one tick
    monkeypatch.setattr(store_module, "_version", lambda path: (path.stat().st_ino, 0, 0) if path.exists() else None)
    seen_mid_swap = []

    def swap_with_a_reader(staged, final):
        old = final.with_name(f".{final.name}.old")
        os.rename(final, old)
        seen_mid_swap.append([a["assignment_id"] for a in store.released("c")])  # between the renames
        os.rename(staged, final)
        shutil.rmtree(old)

    monkeypatch.setattr(store_module, "swap_in_folder", swap_with_a_reader)
    store.release("c", "a1", _zip({"l1.ipynb": b'{"v": 2}'}))
    assert seen_mid_swap == [[]]
    assert store.released("c") == [{"assignment_id": "a1", "notebooks": ["l1"]}]


# --- no world-writable exchange folder when the service is used (audit D1 leftover) -------------

def test_no_shared_exchange_folder_when_the_service_is_used(tmp_path):
    import stat as st

    from partyquiz.grading.site import GraderSite

    with_service = GraderSite(root=tmp_path / "a", exchange=tmp_path / "a-exchange", exchange_url="http://127.0.0.1:9/services/exchange/")
    with_service.prepare()
    assert with_service.root.is_dir() and not (tmp_path / "a-exchange").exists()
    demo = GraderSite(root=tmp_path / "b", exchange=tmp_path / "b-exchange", exchange_url=None)
    demo.prepare()  # the hub-less demo: nbgrader's folder exchange, shared by its one user
    assert st.S_IMODE((tmp_path / "b-exchange").stat().st_mode) == 0o777
