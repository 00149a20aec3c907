"""CSV exports whose columns, names and order come from a template file (grader/templates/)."""
from __future__ import annotations

import datetime as dt
import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..errors import InputError, Problem
from ..i18n import t
from ..tables import write_csv

FIELDS = frozenset({
    "learner_id", "name", "id_number", "branch", "unit", "position", "category", "rank", "course_id", "lesson_id",
    "course_title", "lesson_title", "training_name", "organiser", "institution", "form", "start_date", "end_date",
    "period", "hours", "score", "max_score", "percent", "result", "passed", "completed_at", "year", "notes", "batch_id",
    "file_number", "training_category", "certificate", "lessons", "kind",
})


@dataclass
class Column:
    header: str
    field: str | None = None
    value: Any = None
    map: dict[str, Any] = dataclasses.field(default_factory=dict)


@dataclass
class Template:
    path: str
    file: str
    columns: list[Column]
    encoding: str = "utf-8-sig"
    delimiter: str = ","
    date_format: str = "%Y-%m-%d"
    only_passed: bool = False
    only_credited: bool = False  # rows that earned hours: a county system takes no 0-学时 training
    rows: str = "class"  # class = one row per training class (lessons rolled up); lesson = one per lesson


def load_template(path: Path | str) -> Template:
    """Read a template; every bad column is reported with its number."""
    path = Path(path)
    if not path.exists():
        raise InputError(Problem(str(path), t("exports.template.not_found")))
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise InputError(Problem(str(path), t("exports.template.yaml", error=exc))) from exc
    problems, columns = [], []
    for n, spec in enumerate(data.get("columns") or [], start=1):
        if not isinstance(spec, dict) or "header" not in spec:
            problems.append(Problem(str(path), t("exports.template.no_header"), column=f"columns[{n}]"))
            continue
        if "field" in spec and spec["field"] not in FIELDS:
            problems.append(Problem(str(path), t("exports.template.unknown_field", field=spec["field"]), column=f"columns[{n}]"))
            continue
        if "field" not in spec and "value" not in spec:
            problems.append(Problem(str(path), t("exports.template.no_value"), column=f"columns[{n}]"))
            continue
        columns.append(Column(header=str(spec["header"]), field=spec.get("field"), value=spec.get("value"), map=dict(spec.get("map") or {})))
    if not columns and not problems:
        problems.append(Problem(str(path), t("exports.template.no_columns")))
    encoding = str(data.get("encoding", "utf-8-sig"))
    try:
        "测".encode(encoding)
    except LookupError:
        problems.append(Problem(str(path), t("exports.template.encoding", encoding=encoding), column="encoding"))
    rows = str(data.get("rows", "class"))
    if rows not in ("class", "lesson"):
        problems.append(Problem(str(path), t("exports.template.rows", rows=rows), column="rows"))
    if problems:
        raise InputError(problems)
    return Template(
        path=str(path), file=str(data.get("file") or path.with_suffix(".csv").name), columns=columns, encoding=encoding,
        delimiter=str(data.get("delimiter", ",")).replace("\\t", "\t"), date_format=str(data.get("date_format", "%Y-%m-%d")),
        only_passed=bool(data.get("only_passed", False)), only_credited=bool(data.get("only_credited", False)),
        rows=rows,
    )


def _formatter(column: Column, template: Template, reveal_id_numbers: bool):
    """One function per column, decided once: the template is applied to every record."""
    if column.field is None:
        return lambda d, v=column.value: v
    if column.field == "id_number" and not reveal_id_numbers:
        return lambda d: ""  # never exported unless the organisation turns it on
    name, mapping, fmt = column.field, column.map, template.date_format
    cache: dict[Any, Any] = {}

    def value(d: dict[str, Any]) -> Any:
        v = d.get(name)  # an offline session has no lesson count or certificate of its own
        if isinstance(v, (dt.date, dt.datetime)):
            out = cache.get(v)
            if out is None:
                out = cache[v] = v.strftime(fmt)
            v = out
        if mapping:
            v = mapping.get(str(v), v)
        return v

    return value


def template_rows(template: Template, rows: list[dict[str, Any]], reveal_id_numbers: bool) -> tuple[list[str], list[list[Any]]]:
    """Pure: the template's header and one row per record."""
    getters = [_formatter(c, template, reveal_id_numbers) for c in template.columns]
    body = [[get(d) for get in getters] for d in rows
            if not (template.only_passed and d["passed"] != "合格") and not (template.only_credited and not d["hours"])]
    return [c.header for c in template.columns], body


def export_template(template: Template, rows: list[dict[str, Any]], out_dir: Path, reveal_id_numbers: bool) -> Path:
    header, body = template_rows(template, rows, reveal_id_numbers)
    return write_csv(out_dir / template.file, header, body, encoding=template.encoding, delimiter=template.delimiter)
