"""One table → .xlsx (Chinese headers, frozen header row, column widths, number formats) and CSV.

openpyxl's write-only mode streams rows, so a 200,000-row training file stays in seconds and
constant memory. Both writers go to a temp file first and rename, so a reader never sees a torn
export.
"""
from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import os
import tempfile
import unicodedata
from pathlib import Path
from typing import Any, Iterable, Sequence

# number formats by column kind
FORMATS = {"hours": "0.0#", "score": "0.0#", "percent": "0.0%", "int": "0", "date": "yyyy-mm-dd"}


def _display_width(text: str) -> int:
    # CJK characters take two columns in Excel
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _widths(header: Sequence[str], rows: Sequence[Sequence[Any]], sample: int = 500) -> list[float]:
    widths = [_display_width(h) for h in header]
    for row in rows[:sample]:
        for i, value in enumerate(row):
            if value is not None:
                text = value.isoformat()[:10] if isinstance(value, (dt.date, dt.datetime)) else str(value)
                widths[i] = max(widths[i], _display_width(text))
    return [min(max(w + 2, 6), 60) for w in widths]


@contextlib.contextmanager
def _atomic_path(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_table(
    path: Path,
    title: str,
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    kinds: dict[str, str] | None = None,
    text_columns: Iterable[str] = (),
) -> Path:
    """Write one sheet. `kinds` maps a header to a FORMATS key for its number format;
    `text_columns` are stored as text (工号 and ID numbers must never become numbers)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    kinds = kinds or {}
    text_idx = {i for i, h in enumerate(header) if h in set(text_columns)}
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=title[:31])
    ws.freeze_panes = "A2"
    for i, width in enumerate(_widths(header, rows), start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDE5F0")
    head_cells = []
    for h in header:
        cell = WriteOnlyCell(ws, value=h)
        cell.font, cell.fill, cell.alignment = bold, fill, Alignment(horizontal="center")
        head_cells.append(cell)
    ws.append(head_cells)
    # one template cell per formatted column: openpyxl shares the style, so only the value changes
    formatted = {i: FORMATS[kinds[h]] for i, h in enumerate(header) if h in kinds}
    for row in rows:
        out: list[Any] = []
        for i, value in enumerate(row):
            if i in text_idx and value is not None:
                value = str(value)
            if i in formatted and value is not None and value != "":
                cell = WriteOnlyCell(ws, value=value)
                cell.number_format = formatted[i]
                out.append(cell)
            else:
                out.append(value)
        ws.append(out)
    if rows:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(header))}{len(rows) + 1}"
    with _atomic_path(path) as tmp:
        wb.save(tmp)
    return path


def _csv_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))
    return "" if value is None else value


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]], *, encoding: str = "utf-8-sig", delimiter: str = ",") -> Path:
    """CSV with a BOM by default, so Excel on Chinese Windows reads UTF-8 right."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([_csv_value(v) for v in row] for row in rows)
    with _atomic_path(path) as tmp:
        tmp.write_bytes(buf.getvalue().encode(encoding, errors="replace"))
    return path
