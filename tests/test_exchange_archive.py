"""The exchange's archive and store rules, without a hub: links, devices, sizes, names, attempts."""
from __future__ import annotations

import io
import os
import zipfile

import pytest

from partyquiz.exchange.archive import ArchiveError, pack, safe_name, unpack
from partyquiz.exchange.store import Limits, Store, StoreError


def _zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


@pytest.fixture
def hostile_folder(tmp_path):
    folder = tmp_path / "l1-work"
    folder.mkdir()
    (folder / "l1.ipynb").write_text("{}")
    (folder / "l1.answers.json").write_text('{"answers": {}}')
    (folder / "zero").symlink_to("/dev/zero")  # would be read forever if followed
    (folder / "loop").symlink_to("..")  # a link back up
    (folder / "elsewhere").symlink_to("/etc/passwd")
    os.mkfifo(folder / "fifo")  # open() of a FIFO blocks for ever
    (folder / "timestamp.txt").write_text("2019-01-01 00:00:00 UTC")  # forged time
    (folder / "sub").mkdir()
    (folder / "sub" / "note.txt").write_text("kept")
    return folder


def test_pack_skips_links_and_special_files_and_says_so(hostile_folder):
    packed = pack(hostile_folder)
    assert sorted(packed.files) == ["l1.answers.json", "l1.ipynb", "sub/note.txt"]
    assert dict(packed.skipped) == {"elsewhere": "symlink", "fifo": "special file", "loop": "symlink", "zero": "symlink"}


def test_pack_refuses_more_than_the_cap(tmp_path):
    (tmp_path / "big.bin").write_bytes(b"x" * 5000)
    with pytest.raises(ArchiveError, match="big.bin"):
        pack(tmp_path, max_bytes=4000)


def test_pack_only_takes_named_files(hostile_folder):
    assert pack(hostile_folder, only={"l1.ipynb", "l1.answers.json"}).files == ["l1.answers.json", "l1.ipynb"]


@pytest.mark.parametrize("name", ["../evil.py", "/etc/cron.d/x", "a/../../b", "C:/x", "a\\..\\b", "./x", ""])
def test_unsafe_names_refused(name):
    with pytest.raises(ArchiveError):
        safe_name(name)


def test_unpack_refuses_climbing_names(tmp_path):
    with pytest.raises(ArchiveError, match="leaves the folder"):
        unpack(_zip({"ok.txt": b"1", "../../evil.py": b"print(1)"}), tmp_path / "dest")
    assert not (tmp_path / "evil.py").exists()


def test_unpack_stops_a_zip_bomb_at_the_cap(tmp_path):
    bomb = _zip({"a.json": b"0" * 3_000_000})  # a few KB compressed
    assert len(bomb) < 50_000
    with pytest.raises(ArchiveError, match="larger than"):
        unpack(bomb, tmp_path / "dest", max_bytes=1_000_000)


def test_unpack_drops_learner_written_server_files(tmp_path):
    names = unpack(_zip({"l1.ipynb": b"{}", "timestamp.txt": b"2019", "submission_secret.txt": b"x"}), tmp_path / "d")
    assert names == ["l1.ipynb"] and not (tmp_path / "d" / "timestamp.txt").exists()


def test_store_keeps_every_attempt_with_the_server_clock(tmp_path):
    store = Store(tmp_path / "data", Limits(max_bytes=100_000))
    store.release("c", "a1", _zip({"l1.ipynb": b"{}"}))
    first = store.submit("c", "a1", "u0001", _zip({"l1.ipynb": b"1", "timestamp.txt": b"2019-01-01 00:00:00 UTC"}))
    second = store.submit("c", "a1", "u0001", _zip({"l1.ipynb": b"2"}))
    attempts = store.attempts("c", "a1", "u0001")
    assert [a["attempt"] for a in attempts] == [first["attempt"], second["attempt"]]
    assert all(a["timestamp"].startswith("20") and not a["timestamp"].startswith("2019") for a in attempts)
    assert "timestamp.txt" not in first["files"]
    assert (oct(os.stat(tmp_path / "data").st_mode & 0o777)) == "0o700"


def test_store_refuses_bad_ids_and_unreleased_assignments(tmp_path):
    store = Store(tmp_path / "data")
    with pytest.raises(StoreError) as exc:
        store.submit("c", "../a1", "u0001", _zip({"x": b"1"}))
    assert exc.value.status == 400
    with pytest.raises(StoreError) as exc:
        store.submit("c", "a1", "u0001", _zip({"x": b"1"}))
    assert exc.value.status == 404


def test_store_refuses_oversized_upload_and_leaves_nothing(tmp_path):
    store = Store(tmp_path / "data", Limits(max_bytes=1000))
    store.release("c", "a1", _zip({"l1.ipynb": b"{}"}))
    with pytest.raises(StoreError) as exc:
        store.submit("c", "a1", "u0001", _zip({"l1.ipynb": b"x" * 5000}))
    assert exc.value.status == 413
    assert store.attempts("c", "a1", "u0001") == []
