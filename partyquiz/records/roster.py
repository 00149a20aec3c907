"""The roster (花名册): import from .xlsx/.csv, validate, write back, sync into nbgrader's students.

Headers are matched by name (Chinese or English aliases), in any order. Every bad row is
reported with its row number (the spreadsheet's own numbering, header = row 1); the import
fails only after the whole file has been checked, so one pass shows every problem.
"""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Iterable

from pydantic import ValidationError

from ..errors import InputError, Problem
from ..i18n import t
from ..model import Learner
from ..tables import FORMULA_STARTS
from .idnumbers import ID_NUMBER, id_check_character, id_number_problem  # noqa: F401 (check digits live there)

# field → accepted headers (first one is what we write)
COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("工号", "编号", "人员编号", "学号", "用户名", "id"),
    "name": ("姓名", "name"),
    "branch": ("支部", "所在支部", "党支部", "branch"),
    "unit": ("单位", "工作单位", "所在单位", "unit"),
    "position": ("职务", "position"),
    "category": ("人员类别", "类别", "category"),
    "rank": ("职级", "rank"),
    "id_number": ("身份证号", "身份证号码", "公民身份号码", "id_number"),
    "joined_on": ("入党日期", "入党时间", "政治生日", "joined_on"),
    "role": ("党内职务", "支部职务", "role"),
}
REQUIRED = ("id", "name", "branch", "category")
LOST_DIGITS = "\x00"  # marks a number Excel stored with fewer digits than were typed
# two-character surnames, so nbgrader's last/first name split keeps them whole
COMPOUND_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒", "夏侯", "令狐")


def _norm_header(text: object) -> str:
    return re.sub(r"\s+", "", str(text or "")).lower().replace("（", "(").split("(")[0]


def _read_rows(path: Path) -> list[list[str]]:
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True, data_only=True)
        try:
            ws = wb.worksheets[0]
            return [["" if v is None else _cell_text(v) for v in row] for row in ws.iter_rows(values_only=True)]
        finally:
            wb.close()
    if suffix in (".csv", ".txt"):
        raw = path.read_bytes()
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:  # pragma: no cover - gb18030 decodes any byte string
            raise InputError(Problem(str(path), t("records.sheet.encoding")))
        return [row for row in csv.reader(io.StringIO(text))]
    raise InputError(Problem(str(path), t("records.sheet.type", suffix=suffix)))


def _unneutralise(text: str) -> str:
    """Undo the `'` the table writers put before a formula-looking cell (`'=HYPERLINK(…)`), so a
    roster written by write_roster reads back as it was."""
    return text[1:] if text[:1] == "'" and text[1:2] and text[1:].startswith(FORMULA_STARTS) else text


def _cell_text(value: object) -> str:
    # Excel turns 工号 00123 into 123.0 and long ID numbers into floats; keep integers whole.
    if isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) >= 1e15:
        return LOST_DIGITS + str(int(value))  # more digits than a float keeps: flagged, never trusted
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _map_headers(header: list[str], path: Path) -> dict[str, int]:
    wanted = {_norm_header(alias): field for field, aliases in COLUMNS.items() for alias in aliases}
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        field = wanted.get(_norm_header(cell))
        if field and field not in found:
            found[field] = index
    missing = [COLUMNS[f][0] for f in REQUIRED if f not in found]
    if missing:
        raise InputError(Problem(str(path), t("records.roster.columns", columns="、".join(missing)), 1))
    return found


def load_roster(path: Path | str, *, categories: Iterable[str] | None = None) -> list[Learner]:
    """Read and validate a roster; raises InputError listing every bad row.

    `categories`: accepted 人员类别; by default the `categories` of grader/rules.yml.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(Problem(str(path), t("records.roster.not_found")))
    if categories is None:
        from .rules import load_rules

        categories = load_rules().categories
    allowed = set(categories)
    rows = _read_rows(path)
    # the header is the first non-empty row
    start = next((i for i, row in enumerate(rows) if any(c.strip() for c in row)), None)
    if start is None:
        raise InputError(Problem(str(path), t("records.roster.empty")))
    columns = _map_headers(rows[start], path)
    problems: list[Problem] = []
    learners: list[Learner] = []
    seen: dict[str, int] = {}
    for offset, row in enumerate(rows[start + 1 :], start=start + 2):
        if not any(c.strip() for c in row):
            continue
        values = {f: _unneutralise(row[i].strip()) if i < len(row) else "" for f, i in columns.items()}
        learner = _row_to_learner(values, allowed, str(path), offset, problems)
        if learner is None:
            continue
        if learner.id in seen:
            problems.append(Problem(str(path), t("records.roster.duplicate", id=learner.id, row=seen[learner.id]), offset, "工号"))
            continue
        seen[learner.id] = offset
        learners.append(learner)
    if problems:
        raise InputError(problems)
    return learners


def _row_to_learner(values: dict[str, str], allowed: set[str], file: str, row: int, problems: list[Problem]) -> Learner | None:
    before = len(problems)
    for field in REQUIRED:
        if not values.get(field):
            problems.append(Problem(file, t("records.roster.blank", column=COLUMNS[field][0]), row, COLUMNS[field][0]))
    category = values.get("category", "")
    if category and allowed and category not in allowed:
        problems.append(Problem(file, t("records.roster.category", category=category, allowed="、".join(sorted(allowed))), row, "人员类别"))
    id_number = values.get("id_number", "")
    if any(v.startswith(LOST_DIGITS) for v in values.values()):
        problems.append(Problem(file, t("records.roster.lost_digits"), row))
    elif id_number and (why := id_number_problem(id_number)):
        problems.append(Problem(file, why, row, "身份证号"))
    if len(problems) > before:
        return None
    try:
        return Learner(**{k: v for k, v in values.items() if v or k in REQUIRED})
    except ValidationError as exc:
        for err in exc.errors():
            field = str(err["loc"][0]) if err["loc"] else ""
            label = COLUMNS.get(field, (field,))[0]
            problems.append(Problem(file, t("records.roster.invalid", column=label, error=err["msg"]), row, label))
        return None


def write_roster(roster: list[Learner], path: Path | str, *, include_id_numbers: bool = True) -> Path:
    """Write a roster as .xlsx or .csv (UTF-8 with BOM, so Excel opens it right)."""
    path = Path(path)
    fields = [f for f in COLUMNS if include_id_numbers or f != "id_number"]
    header = [COLUMNS[f][0] for f in fields]
    rows = [["" if getattr(learner, f) is None else getattr(learner, f) for f in fields] for learner in roster]
    if path.suffix.lower() == ".xlsx":
        from ..tables import write_table

        write_table(path, "花名册", header, rows, text_columns=set(header))
    else:
        from ..tables import write_csv  # a cell a spreadsheet would run as a formula gets a leading '

        write_csv(path, header, rows)
    return path


def split_name(name: str) -> tuple[str, str]:
    """(last_name, first_name) for nbgrader, which shows "last, first"."""
    cut = 2 if name[:2] in COMPOUND_SURNAMES else 1
    if len(name) <= cut or not re.match(r"[\u4e00-\u9fff]", name):
        parts = name.rsplit(" ", 1)
        return (parts[-1], parts[0]) if len(parts) == 2 else (name, "")
    return name[:cut], name[cut:]


def sync_to_gradebook(roster: list[Learner], gradebook_url: str) -> int:
    """Insert or update nbgrader Student rows (id, first/last name); returns rows written.

    The schema is created by nbgrader's own Gradebook once; rows are written with one
    executemany per kind, since the Gradebook API costs milliseconds per student.
    """
    import sqlalchemy as sa

    from nbgrader.api import Gradebook

    from ..settings import ensure_venv_on_path

    ensure_venv_on_path()
    Gradebook(gradebook_url).close()  # creates/upgrades the schema when needed
    engine = sa.create_engine(gradebook_url)
    student = sa.table("student", sa.column("id"), sa.column("first_name"), sa.column("last_name"))
    try:
        with engine.begin() as conn:
            existing = {r[0] for r in conn.execute(sa.select(student.c.id))}
            rows = [{"sid": l.id, "first": split_name(l.name)[1], "last": split_name(l.name)[0]} for l in roster]
            new = [r for r in rows if r["sid"] not in existing]
            old = [r for r in rows if r["sid"] in existing]
            if new:
                conn.execute(student.insert().values(id=sa.bindparam("sid"), first_name=sa.bindparam("first"), last_name=sa.bindparam("last")), new)
            if old:
                conn.execute(
                    student.update().where(student.c.id == sa.bindparam("sid")).values(first_name=sa.bindparam("first"), last_name=sa.bindparam("last")),
                    old,
                )
    finally:
        engine.dispose()
    return len(roster)


def store_roster(roster: list[Learner], ledger_url: str, *, replace: bool = True) -> None:
    """Put the roster into the ledger, so exports list members who have no record yet.

    `replace`: the file is the whole current roster; anyone not in it has left and is no
    longer counted in summaries (their records stay in the training file)."""
    import sqlalchemy as sa

    from . import ledger
    from .rollin import _store_learners

    with ledger.engine_for(ledger_url) as engine, engine.begin() as conn:
        _store_learners(conn, roster, {})
        if replace:
            ids = {l.id for l in roster}
            gone = [{"gone": r[0]} for r in conn.execute(sa.select(ledger.learners.c.id)) if r[0] not in ids]
            if gone:
                conn.execute(ledger.learners.update().where(ledger.learners.c.id == sa.bindparam("gone")).values(on_roster=False), gone)
