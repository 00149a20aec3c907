"""Hostile rows in the records stage (issue 13): bad student ids and formula-looking cells.

A student id that breaks the id rule (`-2-3`, `@SUM(1)`) is reported and skipped at roll-in,
the rest rolls in; a ledger that already holds such a learner row (written before roll-in
checked ids) still exports and reports; and every cell a spreadsheet would run as a formula
(`=`, `+`, `-`, `@`, tab, CR at the start) goes out as text, in CSV and in xlsx alike.
"""
from __future__ import annotations

import csv
import io
import zipfile

import pytest
import sqlalchemy as sa

from helpers_records import COURSE, ROSTER, empty_gradebook, small_gradebook, sqlite_url
from partyquiz.exports import export_all
from partyquiz.model import Learner
from partyquiz.publish import write_exports_and_report
from partyquiz.records import ledger as L
from partyquiz.records.ledger import learner_records
from partyquiz.records.rollin import roll_in
from partyquiz.tables import neutralise, write_csv, write_table

BAD_IDS = ["-2-3", "@SUM(1)", "=cmd|' /C calc'!A0"]


@pytest.fixture
def urls(tmp_path):
    gradebook = empty_gradebook(tmp_path / "gradebook.db")
    scores = {("a01", "c1-l1"): 9, ("a02", "c1-l1"): 5, **{(bad, "c1-l1"): 10 for bad in BAD_IDS}}
    small_gradebook(gradebook, scores)
    return gradebook, sqlite_url(tmp_path / "var" / "ledger.db")


def test_roll_in_reports_and_skips_bad_ids_and_keeps_the_rest(urls):
    gradebook, ledger = urls
    summary = roll_in(ledger, gradebook, [COURSE], roster=ROSTER, batch_id="b1")
    assert summary.added == 2
    assert len(summary.bad_ids) == len(BAD_IDS) and all(any(repr(b) in r for r in summary.bad_ids) for b in BAD_IDS)
    assert [r.score for r in learner_records(ledger, "a01")] == [9]
    with L.engine_for(ledger) as engine, engine.connect() as conn:
        stored = {r[0] for r in conn.execute(sa.select(L.learners.c.id))}
    assert not set(BAD_IDS) & stored


def test_exports_and_report_survive_a_bad_row_already_in_the_ledger(urls, tmp_path):
    gradebook, ledger = urls
    roll_in(ledger, gradebook, [COURSE], roster=ROSTER, batch_id="b1")
    with L.engine_for(ledger) as engine, engine.begin() as conn:  # as an older partyquiz stored it
        conn.execute(L.learners.insert().values(id="-2-3", name="=HYPERLINK(\"http://x\",\"点我\")", branch="第一支部", unit="", position="",
                                                category="", rank="", id_number="", on_roster=False))
        row = conn.execute(sa.select(L.records).where(L.records.c.learner_id == "a01")).mappings().first()
        conn.execute(L.records.insert().values({**{k: v for k, v in row.items() if k != "id"}, "learner_id": "-2-3"}))
    files = write_exports_and_report(ledger, tmp_path / "out", courses=[COURSE])
    assert any(f.name == "report.html" for f in files)
    training = next(f for f in files if f.name.startswith("培训档案") and f.suffix == ".csv")
    rows = list(csv.reader(io.StringIO(training.read_text(encoding="utf-8-sig"))))
    cells = [c for r in rows[1:] for c in r]
    assert "'-2-3" in cells and "-2-3" not in cells  # the record is there, as text


@pytest.mark.parametrize("text", ["=1+1", "+1", "-2-3", "@SUM(1)", "\tcmd", "\rcmd", "=HYPERLINK(\"http://x\")"])
def test_formula_cells_are_text_in_csv_and_xlsx(tmp_path, text):
    assert neutralise(text) == "'" + text
    write_csv(tmp_path / "t.csv", ["姓名"], [[text], ["张三"]])
    raw = (tmp_path / "t.csv").read_bytes().decode("utf-8-sig")  # bytes: read_text would turn a CR into LF
    [_, [first], [second]] = list(csv.reader(io.StringIO(raw, newline="")))
    assert first == "'" + text and second == "张三"
    write_table(tmp_path / "t.xlsx", "名单", ["姓名"], [[text], ["张三"]])
    with zipfile.ZipFile(tmp_path / "t.xlsx") as zf:
        strings = zf.read("xl/sharedStrings.xml").decode()
        sheet = zf.read(next(n for n in zf.namelist() if n.startswith("xl/worksheets/sheet"))).decode()
    assert "<f>" not in sheet
    from openpyxl import load_workbook

    ws = load_workbook(tmp_path / "t.xlsx").active
    # (XML reads a CR inside text back as LF: the leading quote is what matters)
    assert ws["A2"].value == "'" + text.replace("\r", "\n") and ws["A3"].value == "张三"
    assert "张三" in strings


def test_numbers_and_plain_text_are_unchanged(tmp_path):
    write_csv(tmp_path / "n.csv", ["分数", "备注"], [[-1.5, "合格"], [3.0, "a-b"]])
    text = (tmp_path / "n.csv").read_text(encoding="utf-8-sig")
    assert "-1.5,合格" in text and "a-b" in text
