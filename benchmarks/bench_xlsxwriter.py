"""XlsxWriter (constant_memory) against our streamed SpreadsheetML writer, on a 200,000-row 培训档案.

Both write the same sheet: header style, frozen header, column widths, number formats per
column kind, text columns as text, autofilter, A4 landscape fitted to page width, print titles.
Issue 10: switch to the library if it is within 1.5× of ours.

Run: .venv/bin/python benchmarks/bench_xlsxwriter.py [--rows 200000] [--repeat 3]
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any, Sequence

from partyquiz.exports import views
from partyquiz.tables import FORMATS, _widths, write_table


def training_rows(n: int) -> tuple[list[str], list[list[Any]]]:
    """Rows shaped like views.training_file (ID numbers hidden): each column gets the value type its
    kind says (hours, score, date), the rest short repeated Chinese text, as a real file has."""
    rng = random.Random(3)
    header = [h for h, key in views.TRAINING_COLUMNS if key != "id_number"]
    kinds = views.TRAINING_KINDS
    texts = ["第1党支部", "办公室", "科员", "基准课程", "组织部", "党校", "网络培训", "合格", "是", "自主选学"]
    rows = []
    for i in range(n):
        person = i // 40
        row: list[Any] = []
        for c, name in enumerate(header):
            kind = kinds.get(name)
            if name == "工号":
                row.append(f"p{person:05d}")
            elif kind == "date":
                row.append(dt.date(2026, 3, 1) + dt.timedelta(days=rng.randint(0, 250)))
            elif kind in ("hours", "score", "percent", "int"):
                row.append(float(rng.randint(0, 100)))
            else:
                row.append(f"{texts[(c + i // 40) % len(texts)]}{'' if c % 3 else i % 40 + 1}")
        rows.append(row)
    return header, rows


def xlsxwriter_table(path: Path, title: str, header: Sequence[str], rows: Sequence[Sequence[Any]], *,
                     kinds: dict[str, str], text_columns: set[str]) -> Path:
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False})
    sheet = workbook.add_worksheet(title[:31])
    head = workbook.add_format({"bold": True, "bg_color": "#DDE5F0", "align": "center", "font_name": "宋体"})
    formats = [workbook.add_format({"num_format": FORMATS[kinds[h]], "font_name": "宋体"}) if h in kinds else None for h in header]
    for i, width in enumerate(_widths(header, rows)):
        sheet.set_column(i, i, width, formats[i])
    sheet.freeze_panes(1, 0)
    sheet.set_landscape()
    sheet.set_paper(9)
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(0)
    sheet.autofilter(0, 0, len(rows), len(header) - 1)
    sheet.write_row(0, 0, header, head)
    texts = {i for i, h in enumerate(header) if h in text_columns}
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if value is None or value == "":
                continue
            if c in texts:
                sheet.write_string(r, c, str(value))
            elif isinstance(value, (dt.date, dt.datetime)):
                sheet.write_datetime(r, c, value, formats[c])
            else:
                sheet.write(r, c, value, formats[c])
    workbook.close()
    return path


def timed(fn, repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    header, rows = training_rows(args.rows)
    options = {"kinds": views.TRAINING_KINDS, "text_columns": {"工号", "档案编号"}}
    with tempfile.TemporaryDirectory() as tmp:
        ours_path, theirs_path = Path(tmp) / "ours.xlsx", Path(tmp) / "xlsxwriter.xlsx"
        ours = timed(lambda: write_table(ours_path, "培训档案", header, rows, **options), args.repeat)
        theirs = timed(lambda: xlsxwriter_table(theirs_path, "培训档案", header, rows, **options), args.repeat)
        print(f"{args.rows:,} rows × {len(header)} columns, median of {args.repeat}; load average {os.getloadavg()[0]:.1f}")
        print(f"  ours (streamed SpreadsheetML): {ours:.2f} s, {ours_path.stat().st_size / 1e6:.1f} MB")
        print(f"  XlsxWriter constant_memory:    {theirs:.2f} s, {theirs_path.stat().st_size / 1e6:.1f} MB")
        ratio = theirs / ours
        print(f"  ratio XlsxWriter / ours = {ratio:.2f}× → {'within 1.5×: use the library' if ratio <= 1.5 else 'over 1.5×: keep ours'}")


if __name__ == "__main__":
    main()
