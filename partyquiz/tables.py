"""Table writing for every stage (exports, roster, question banks): one table → .xlsx (Chinese headers, frozen header row, column widths, number formats) and CSV.

The xlsx is written as SpreadsheetML streamed into the zip (see write_table), so a
200,000-row training file takes seconds. Both writers go to a temp file first and rename, so a reader never sees a torn
export.
"""
from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import unicodedata
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from .files import atomic_path as _atomic_path

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


STYLE_OF_KIND = {"hours": 2, "score": 2, "percent": 3, "int": 4, "date": 5}
STYLES_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="3"><numFmt numFmtId="164" formatCode="0.0#"/><numFmt numFmtId="165" formatCode="0.0%"/>'
    '<numFmt numFmtId="166" formatCode="yyyy-mm-dd"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="宋体"/><family val="3"/><charset val="134"/></font>'
    '<font><b/><sz val="11"/><name val="宋体"/><family val="3"/><charset val="134"/></font></fonts>'
    '<fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FFDDE5F0"/><bgColor indexed="64"/></patternFill></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="6"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1" applyAlignment="1"><alignment horizontal="center"/></xf>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="1" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="166" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
)
_XML_BAD = {c: None for c in range(32) if c not in (9, 10, 13)}
_EPOCH = dt.datetime(1899, 12, 30)
_EPOCH_DATE = _EPOCH.date()
HEAD = ' s="1"'  # the header style: bold on a tinted fill


def _col(n: int) -> str:
    letters = ""
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _esc(text: str) -> str:
    return text.translate(_XML_BAD).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _sheet_xml(header: Sequence[str], rows: Sequence[Sequence[Any]], styles: list[int], text_idx: set[int], sst: dict[str, int]) -> Iterator[str]:
    """The worksheet, streamed in chunks. Strings go to the shared-string table `sst`: a
    training file repeats branch, unit and course names on every row, so each distinct string is
    neutralised and escaped once (`seen`: the raw string → its index). The parts of a cell that
    depend only on its column are built once per column."""
    cols = [_col(i + 1) for i in range(len(header))]
    st = [f' s="{s}"' if s else "" for s in styles]
    pre = [f'<c r="{c}' for c in cols]
    as_text = [f'"{s} t="s"><v>' for s in st]
    as_number = [f'"{s}><v>' for s in st]
    as_bool = [f'"{s} t="b"><v>' for s in st]
    seen: dict[str, int] = {}

    def index(text: str) -> int:
        key = neutralise(text)
        idx = sst.get(key)
        if idx is None:
            idx = sst[key] = len(sst)
        seen[text] = idx
        return idx

    yield ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
           '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
           '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>'
           f'<dimension ref="A1:{cols[-1]}{len(rows) + 1}"/>'
           '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
           '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
           '<sheetFormatPr defaultRowHeight="15"/><cols>')
    yield "".join(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>' for i, w in enumerate(_widths(header, rows), start=1))
    yield '</cols><sheetData>'
    head = "".join(f'<c r="{cols[i]}1"{HEAD} t="s"><v>{index(str(h))}</v></c>'
                   for i, h in enumerate(header) if h is not None and h != "")
    chunk: list[str] = [f'<row r="1">{head}</row>']
    seen_get = seen.get
    for n, row in enumerate(rows, start=2):
        r = str(n)
        cells = []
        for i, v in enumerate(row):
            kind = type(v)
            if kind is str:
                if not v:
                    continue
                idx = seen_get(v)
                cells.append(f'{pre[i]}{r}{as_text[i]}{index(v) if idx is None else idx}</v></c>')
            elif v is None:
                continue
            elif i in text_idx:
                text = str(v)
                idx = seen_get(text)
                cells.append(f'{pre[i]}{r}{as_text[i]}{index(text) if idx is None else idx}</v></c>')
            elif kind is float or kind is int:
                cells.append(f'{pre[i]}{r}{as_number[i]}{v}</v></c>')
            elif kind is bool:
                cells.append(f'{pre[i]}{r}{as_bool[i]}{int(v)}</v></c>')
            elif kind is dt.datetime:
                cells.append(f'{pre[i]}{r}{as_number[i]}{(v - _EPOCH).total_seconds() / 86400!r}</v></c>')
            elif kind is dt.date:
                cells.append(f'{pre[i]}{r}{as_number[i]}{(v - _EPOCH_DATE).days}</v></c>')
            else:
                cells.append(f'{pre[i]}{r}{as_number[i]}{float(v)!r}</v></c>')
        chunk.append(f'<row r="{r}">{"".join(cells)}</row>')
        if len(chunk) >= 5000:
            yield "".join(chunk)
            chunk = []
    yield "".join(chunk) + "</sheetData>"
    if rows:
        yield f'<autoFilter ref="A1:{cols[-1]}{len(rows) + 1}"/>'
    # printed (and converted to PDF): A4 landscape, all columns on one page width
    yield ('<pageMargins left="0.4" right="0.4" top="0.6" bottom="0.6" header="0.3" footer="0.3"/>'
           '<pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="0"/></worksheet>')


def _shared_strings(sst: dict[str, int]) -> Iterator[str]:
    yield (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
           f' count="{len(sst)}" uniqueCount="{len(sst)}">')
    for text in sst:  # dicts keep insertion order = index order
        escaped = _esc(text)
        yield f'<si><t xml:space="preserve">{escaped}</t></si>' if escaped != escaped.strip() else f"<si><t>{escaped}</t></si>"
    yield "</sst>"


def _package(titles: Sequence[str]) -> dict[str, str]:
    ns = "http://schemas.openxmlformats.org"
    names = [_esc(t[:31]) for t in titles]
    n = len(names)
    return {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            f'<Types xmlns="{ns}/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            + "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                      for i in range(1, n + 1))
            + '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            '</Types>'),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            f'<Relationships xmlns="{ns}/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{ns}/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
            '</Relationships>'),
        "xl/workbook.xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            f'<workbook xmlns="{ns}/spreadsheetml/2006/main" xmlns:r="{ns}/officeDocument/2006/relationships"><sheets>'
            + "".join(f'<sheet name="{name}" sheetId="{i}" r:id="rId{i}"/>' for i, name in enumerate(names, start=1))
            # the header row repeats on every printed page
            + "</sheets><definedNames>"
            + "".join(f'<definedName name="_xlnm.Print_Titles" localSheetId="{i}">\'{name}\'!$1:$1</definedName>' for i, name in enumerate(names))
            + "</definedNames></workbook>"),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            f'<Relationships xmlns="{ns}/package/2006/relationships">'
            + "".join(f'<Relationship Id="rId{i}" Type="{ns}/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{i}.xml"/>'
                      for i in range(1, n + 1))
            + f'<Relationship Id="rId{n + 1}" Type="{ns}/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
            f'<Relationship Id="rId{n + 2}" Type="{ns}/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
            '</Relationships>'),
        "xl/styles.xml": STYLES_XML,
    }


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
    `text_columns` are stored as text (工号 and ID numbers must never become numbers).

    The SpreadsheetML is streamed straight into the zip: openpyxl's writer costs ≈30 µs a
    cell, far too slow for a 200,000-row training file; this costs about 1 µs."""
    return write_workbook(path, [Sheet(title, header, rows, kinds or {}, set(text_columns))])


@dataclasses.dataclass
class Sheet:
    title: str
    header: Sequence[str]
    rows: Sequence[Sequence[Any]]
    kinds: dict[str, str] = dataclasses.field(default_factory=dict)
    text_columns: set[str] = dataclasses.field(default_factory=set)


def write_workbook(path: Path, sheets: Sequence[Sheet]) -> Path:
    """Several sheets in one workbook (e.g. 培训档案 with its 课时明细), one shared-string table."""
    import zipfile

    with _atomic_path(path) as tmp:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
            for name, xml in _package([s.title for s in sheets]).items():
                zf.writestr(name, xml)
            sst: dict[str, int] = {}
            for n, sheet in enumerate(sheets, start=1):
                styles = [STYLE_OF_KIND.get(sheet.kinds.get(h, ""), 0) for h in sheet.header]
                text_idx = {i for i, h in enumerate(sheet.header) if h in sheet.text_columns}
                with zf.open(f"xl/worksheets/sheet{n}.xml", "w", force_zip64=True) as fh:
                    for part in _sheet_xml(sheet.header, sheet.rows, styles, text_idx, sst):
                        fh.write(part.encode("utf-8"))
            zf.writestr("xl/sharedStrings.xml", "".join(_shared_strings(sst)))
    return path


# OWASP's CSV-injection rule: a cell a spreadsheet would run as a formula (or DDE) starts with
# one of these; a leading ' makes it text. Roster names, ids and stems are user data.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """`text`, with a leading `'` if a spreadsheet would read it as a formula (CSV and xlsx alike)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _csv_value(value: Any) -> Any:
    kind = type(value)
    if kind is str:
        return neutralise(value)
    if value is None:
        return ""
    if kind is float:
        return f"{value:.10g}" if value else "0"  # -0.0 (a rounded tiny negative) reads as 0
    if kind is dt.datetime:
        return value.strftime("%Y-%m-%d %H:%M")
    if kind is dt.date:
        return value.isoformat()
    return value


def _csv_rows(rows: Sequence[Sequence[Any]]) -> Iterable[Sequence[Any]]:
    """Rows with every value as the CSV shows it (`_csv_value`), converted column by column: each
    column's DISTINCT values are converted once and the column mapped through them (a 400,000-row
    lesson detail has a few thousand distinct values). Ragged rows, unhashable values and a column
    mixing booleans, ints and floats (False == 0 == -0.0 as keys) are converted cell by cell."""
    if not rows or len({len(r) for r in rows}) != 1:
        return [[_csv_value(v) for v in row] for row in rows]
    columns = []
    for column in zip(*rows):
        kinds = set(map(type, column))
        try:
            distinct = set(column)
        except TypeError:
            distinct = None
        if distinct is None or bool in kinds or (int in kinds and float in kinds):
            columns.append([_csv_value(v) for v in column])
            continue
        changes = {}
        for v in distinct:
            shown = _csv_value(v)
            if shown is not v:
                changes[v] = shown
        columns.append(list(map(changes.get, column, column)) if changes else column)
    return zip(*columns)


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]], *, encoding: str = "utf-8-sig", delimiter: str = ",",
              errors: str = "replace") -> Path:
    """CSV with a BOM by default, so Excel on Chinese Windows reads UTF-8 right. `errors='strict'`
    refuses a character the encoding cannot hold (a question bank must not lose one)."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(_csv_rows(rows if isinstance(rows, (list, tuple)) else list(rows)))
    with _atomic_path(path) as tmp:
        tmp.write_bytes(buf.getvalue().encode(encoding, errors=errors))
    return path
