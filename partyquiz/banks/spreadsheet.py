"""Spreadsheet banks (.xlsx, .csv) in the common Chinese import template (题库导入模板).

Columns (any order, header row found in the first rows; `*` marks and notes in brackets are
ignored): 编号/ID, 题型, 题干|题目|题目内容|问题, 选项A…选项H, 答案|正确答案, 解析, 分值, 难度,
知识点|分类|章节. Some systems put one option per row: a `选项` column without a letter, and
rows with neither 题型 nor 题干 continue the question above.

Option ids are the letters (A, B, C…), so answers written `ABD` keep their meaning; a single
choice with several letters is refused unless each is weighted 100% (选项X权重). An essay's 答案
is its reference answer (`reference`: markers see it, learners never do). Without an
ID column a question's id is `<file>-r<row>`: add an ID column for ids that survive edits.
CSV is read as UTF-8 (with or without BOM) or GBK, and written as UTF-8 with BOM so that
Excel opens it with the Chinese intact.
"""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

from ..errors import InputError, Problem
from ..i18n import t
from ..model import Question
from ..tables import write_csv, write_table
from .common import LETTERS, BankResult, add_question, build_question, finite, finite_json, fraction_of, pct, slug, unmapped
from .limits import xlsx_problem

# The 题型 names of every kind this format holds (all are read; the second is what the writer
# puts in 题型). A kind not listed here (one registered later) is refused at export, naming the question.
TYPE_NAMES = {
    "single": ["单选", "单选题", "单项选择", "单项选择题", "single"],
    "multiple": ["多选", "多选题", "多项选择", "多项选择题", "不定项", "不定项选择题", "multiple"],
    "truefalse": ["判断", "判断题", "是非题", "对错题", "truefalse", "true/false"],
    "fill": ["填空", "填空题", "fill"],
    "numeric": ["数值", "数值题", "计算题", "numeric"],
    "matching": ["匹配", "匹配题", "连线题", "matching"],
    "essay": ["简答", "简答题", "问答", "问答题", "论述", "论述题", "主观题", "心得", "essay"],
    "description": ["说明", "说明文字", "描述", "description"],
    "cloze": ["完形填空", "完形填空题", "嵌入式答案", "cloze"],
}
_TYPE_OF = {name.casefold(): kind for kind, names in TYPE_NAMES.items() for name in names}
TYPE_LABEL = {kind: names[1] for kind, names in TYPE_NAMES.items()}

FIELD_ALIASES = {
    "id": ["id", "编号", "题号", "试题编号", "题目编号"],
    "type": ["题型", "试题类型", "类型"],
    "stem": ["题干", "题目", "题目内容", "问题", "试题内容"],
    "option": ["选项"],
    "answer": ["答案", "正确答案", "参考答案", "标准答案"],
    "explanation": ["解析", "答案解析", "试题解析"],
    "points": ["分值", "分数"],
    "difficulty": ["难度"],
    "topic": ["知识点", "分类", "章节", "所属章节"],
    "option_ids": ["选项编号"],
    "extra": ["扩展数据", "extra"],
}
_FIELD_OF = {alias.casefold(): field for field, aliases in FIELD_ALIASES.items() for alias in aliases}

TRUE_WORDS = {"对", "正确", "√", "✓", "t", "true", "是", "y", "yes"}
FALSE_WORDS = {"错", "错误", "×", "✗", "x", "f", "false", "否", "n", "no"}
EXPORT_HEADERS = ["ID", "题型", "题干", *[f"选项{c}" for c in LETTERS], "答案", "解析", "分值", "难度", "知识点"]
_NUMBER = r"[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?"


def _col_letter(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        name = chr(65 + rem) + name
    return name


def _normalise_header(text: str) -> str:
    text = re.sub(r"[（(【\[].*?[)）】\]]", "", str(text))
    return re.sub(r"\s+", "", text).strip("*＊:：").casefold()


def _field_for(header: str) -> str | None:
    norm = _normalise_header(header)
    match = re.fullmatch(r"(?:选项|option)([a-h])(反馈|feedback|权重|weight)?", norm)
    if match:
        suffix = {"反馈": "fb_", "feedback": "fb_", "权重": "w_", "weight": "w_"}.get(match.group(2) or "", "opt_")
        return suffix + match.group(1).upper()
    return _FIELD_OF.get(norm)


def _cell_text(value: Any) -> str:
    """A cell as text, exactly: a leading space in a stem or option stays (structural cells
    such as 题型, 答案 and 分值 are stripped where they are read)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value)
    # our exports put a ' before a cell a spreadsheet would run as a formula (OWASP); take it off
    if text[:1] == "'" and text[1:2] and text[1:].startswith(_FORMULA_STARTS):
        return text[1:]
    return text


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # tables.FORMULA_STARTS
_STRUCTURAL = ("id", "type", "answer", "points", "difficulty", "topic", "option_ids", "extra")
EXTRA_FIELDS = ("blanks", "numeric_answers", "parts", "feedback_true", "feedback_false", "case_sensitive", "source", "title", "tags")


# --- reading ---------------------------------------------------------------------------------

class Undecodable(ValueError):
    """A text bank that is neither UTF-8 nor GBK: `line` is where UTF-8 decoding failed."""

    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


def decode_csv(raw: bytes) -> str:
    """UTF-8 (BOM or not) first; a file that is not UTF-8 is taken as GBK (GB18030, its superset).
    Neither: `Undecodable`, with the line where UTF-8 failed."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bad_at = exc.start
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        raise Undecodable(raw[:bad_at].count(b"\n") + 1) from None


def undecodable_problem(file: str, exc: Undecodable) -> Problem:
    return Problem(file, t("authoring.bank.not_text"), exc.line)


def read_rows(path: Path, media: dict[str, bytes] | None = None, warnings: list[Problem] | None = None) -> list[list[str]]:
    if path.suffix.lower() == ".csv":
        text = decode_csv(path.read_bytes())
        return [[_cell_text(c) for c in row] for row in csv.reader(io.StringIO(text))]
    from openpyxl import load_workbook

    if problem := xlsx_problem(path):  # before openpyxl unpacks anything (zip bombs)
        raise _Refused(problem)
    book = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = book.worksheets[0]
        rows = [[_cell_text(c) for c in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()
    if media is not None and _has_pictures(path):
        _add_pictures(path, rows, media, warnings if warnings is not None else [])
    return rows


def _has_pictures(path: Path) -> bool:
    import zipfile

    with zipfile.ZipFile(path) as archive:
        return any(name.startswith("xl/media/") for name in archive.namelist())


def _add_pictures(path: Path, rows: list[list[str]], media: dict[str, bytes], warnings: list[Problem]) -> None:
    """Pictures placed on cells (插入图片) become media files shown in that cell's text."""
    from openpyxl import load_workbook

    from .media import MediaSink, size_warning

    sink = MediaSink(media)
    book = load_workbook(path, data_only=True)  # pictures are only read outside read-only mode
    try:
        for image in getattr(book.worksheets[0], "_images", []):
            anchor = getattr(getattr(image, "anchor", None), "_from", None)
            if anchor is None:
                continue
            row, col = anchor.row, anchor.col
            data = image._data()
            if too_big := size_warning(len(data), f"{_col_letter(col)}{row + 1}"):
                warnings.append(Problem(str(path), too_big, row + 1, _col_letter(col)))
                continue
            ext = (getattr(image, "format", "") or "png").lower()
            ref = sink.add(f"picture.{ext}", data)
            while len(rows) <= row:
                rows.append([])
            while len(rows[row]) <= col:
                rows[row].append("")
            cell = rows[row][col]
            rows[row][col] = (cell + " " if cell else "") + f'<img src="{ref}" alt="">'
    finally:
        book.close()


class _Refused(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def parse(path: Path) -> BankResult:
    media: dict[str, bytes] = {}
    warnings: list[Problem] = []
    try:
        rows = read_rows(path, media, warnings)
    except _Refused as refused:
        return BankResult([], [refused.problem])
    except Undecodable as exc:
        return BankResult([], [undecodable_problem(str(path), exc)])
    except Exception as exc:  # a broken xlsx/zip: name the file, keep going with other files
        return BankResult([], [Problem(str(path), t("authoring.bank.sheet_unreadable", error=str(exc)[:200]))])
    result = parse_rows(rows, str(path), slug(path.stem, "q"))
    result.media.update(media)
    result.warnings.extend(warnings)
    return result


def _find_header(rows: list[list[str]]) -> int | None:
    # Templates often put a title or instructions above the header: look at the first rows.
    for index, row in enumerate(rows[:10]):
        fields = {_field_for(c) for c in row if c}
        if "stem" in fields and "type" in fields:
            return index
    return None


def parse_rows(rows: list[list[str]], file: str, id_prefix: str = "q") -> BankResult:
    header_index = _find_header(rows)
    if header_index is None:
        return BankResult([], [Problem(file, t("authoring.bank.sheet_no_header"), 1)])
    header = rows[header_index]
    columns: dict[str, int] = {}
    labels: dict[str, str] = {}
    for index, name in enumerate(header):
        field = _field_for(name) if name else None
        if field and field not in columns:
            columns[field] = index
            labels[field] = f"{name} ({_col_letter(index)})"

    def label(field: str) -> str:
        return labels.get(field, field)

    grouped: list[tuple[int, dict[str, str], list[str]]] = []  # row number, cells, extra options
    for offset, row in enumerate(rows[header_index + 1:], start=header_index + 2):
        cells = {f: (row[i] if i < len(row) else "") for f, i in columns.items()}
        for f in _STRUCTURAL:
            if f in cells:
                cells[f] = cells[f].strip()
        if not any(v.strip() for v in cells.values()):
            continue
        if "option" in columns and not cells.get("type") and not cells.get("stem", "").strip() and grouped:
            grouped[-1][2].append(cells.get("option", ""))  # one option per row: continue above
            continue
        grouped.append((offset, cells, [cells["option"]] if cells.get("option") else []))

    result = BankResult()
    seen: dict[str, int | None] = {}
    for row_number, cells, row_options in grouped:
        data, problems = _question_data(cells, row_options, file, row_number, label, id_prefix)
        if problems:
            result.problems.extend(problems)
            continue
        built = build_question(data, file, row_number, lambda loc: _column_for(loc, label))
        add_question(result, built, seen, file, row_number)
    return result


def _column_for(loc: str, label) -> str:
    head = loc.split(".")[0]
    return {"stem": label("stem"), "options": label("answer"), "points": label("points"), "id": label("id"),
            "blanks": label("answer"), "answer": label("answer"), "pairs": label("opt_A")}.get(head, label("answer") if not head else head)


def _question_data(cells, row_options, file, row, label, id_prefix) -> tuple[dict[str, Any], list[Problem]]:
    problems: list[Problem] = []
    kind = _TYPE_OF.get(re.sub(r"\s+", "", cells.get("type", "")).casefold())
    if kind is None:
        problems.append(Problem(file, t("authoring.bank.sheet_unknown_type", type=cells.get("type", "")), row, label("type")))
        return {}, problems
    options = {c: cells.get(f"opt_{c}", "") for c in LETTERS if cells.get(f"opt_{c}")}
    for c, text in zip(LETTERS, row_options):
        options.setdefault(c, text)
    data: dict[str, Any] = {
        "id": cells.get("id") or f"{id_prefix}-r{row}",
        "type": kind,
        "stem": cells.get("stem", ""),
        "explanation": cells.get("explanation", ""),
        "difficulty": cells.get("difficulty", ""),
        "topic": cells.get("topic", ""),
    }
    if cells.get("points"):
        try:
            data["points"] = finite(cells["points"])
        except ValueError:
            problems.append(Problem(file, t("authoring.bank.sheet_points", points=cells["points"]), row, label("points")))
    answer = cells.get("answer", "")
    answer_col = label("answer")
    if kind in ("single", "multiple"):
        letters = re.sub(r"[\s,，;；|｜、/]+", "", answer).upper()
        if not letters:
            problems.append(Problem(file, t("authoring.bank.sheet_missing_answer"), row, answer_col))
        for letter in letters:
            if letter not in options:
                problems.append(Problem(file, t("authoring.bank.sheet_letter", letter=letter), row, answer_col))
        data["options"] = []
        for c, text in options.items():
            option: dict[str, Any] = {"id": c, "text": text, "correct": c in letters}
            if cells.get(f"fb_{c}"):
                option["feedback"] = cells[f"fb_{c}"]
            if cells.get(f"w_{c}", "").strip():
                try:
                    option["fraction"] = fraction_of(cells[f"w_{c}"].strip().rstrip("%"))
                except Exception:
                    problems.append(Problem(file, t("authoring.bank.sheet_weight", weight=cells[f"w_{c}"]), row, label(f"w_{c}")))
            data["options"].append(option)
        if kind == "single" and len(letters) > 1 and any(o.get("fraction") != 1 for o in data["options"] if o["correct"]):
            # a single choice with several letters is a slip, unless each is marked 100% (Moodle allows several full-credit answers)
            problems.append(Problem(file, t("authoring.bank.sheet_single_letters", letters=letters), row, answer_col))
        for option in data["options"]:
            if kind == "single" and option["correct"] and option.get("fraction") == 1:
                del option["fraction"]  # a right single-choice option is worth 100% anyway
    elif kind == "truefalse":
        value = _truth(answer, options)
        if value is None:
            problems.append(Problem(file, t("authoring.bank.sheet_truefalse", answer=answer), row, answer_col))
        data["answer"] = value
    elif kind == "fill":
        data["blanks"] = [[a.strip() for a in re.split(r"[;；]", blank) if a.strip()] for blank in re.split(r"[|｜]", answer)]
    elif kind == "numeric" and not answer and '"numeric_answers"' in cells.get("extra", ""):
        pass  # every accepted answer is in 扩展数据
    elif kind == "numeric":
        key = parse_numeric(answer)
        if key is None:
            problems.append(Problem(file, t("authoring.bank.sheet_numeric", answer=answer), row, answer_col))
        else:
            data.update(key)
    elif kind == "matching":
        pairs, distractors = [], []
        for c, text in options.items():
            if not re.search(r"->|→", text):
                problems.append(Problem(file, t("authoring.bank.sheet_matching", text=text), row, label(f"opt_{c}")))
                continue
            left, right = re.split(r"\s*(?:->|→)\s*", text, maxsplit=1)
            if left.strip():
                pairs.append({"id": c, "left": left.strip(), "right": right.strip()})
            else:
                distractors.append(right.strip())
        data["pairs"], data["distractors"] = pairs, distractors
    elif kind == "cloze" and not cells.get("extra"):
        problems.append(Problem(file, t("authoring.bank.sheet_cloze_extra"), row, label("extra")))
    elif kind == "essay" and answer:
        # Many templates keep an essay's model answer in the answer column: the essay's reference,
        # which markers see and learners never do (the explanation is shown to learners)
        data["reference"] = answer
    _apply_ids(cells, data, problems, file, row, label)
    _apply_extra(cells, data, problems, file, row, label)
    return data, problems


def _apply_ids(cells, data, problems, file, row, label) -> None:
    """选项编号 `x,y,z`: the options' (or matching pairs') own ids, in column order."""
    if not cells.get("option_ids"):
        return
    ids = [i.strip() for i in re.split(r"[,，]", cells["option_ids"])]
    items = data.get("options") or data.get("pairs") or []
    if len(ids) != len(items):
        problems.append(Problem(file, t("authoring.bank.sheet_option_ids", ids=len(ids), options=len(items)), row, label("option_ids")))
        return
    for item, new_id in zip(items, ids):
        item["id"] = new_id


def _apply_extra(cells, data, problems, file, row, label) -> None:
    """扩展数据: JSON with what has no column of its own (weighted blanks, several numeric
    answers, cloze parts, true/false feedback, tags…), in the model's own field names."""
    raw = cells.get("extra", "")
    if not raw:
        return
    import json

    try:
        extra = finite_json(raw)
    except json.JSONDecodeError as exc:
        problems.append(Problem(file, t("authoring.bank.sheet_extra_json", error=exc.msg, pos=exc.pos), row, label("extra")))
        return
    except ValueError as exc:  # NaN / Infinity
        problems.append(Problem(file, t("authoring.bank.sheet_extra_json", error=str(exc), pos=raw.find(str(exc).split()[0])), row, label("extra")))
        return
    if not isinstance(extra, dict) or (unknown := sorted(set(extra) - set(EXTRA_FIELDS))):
        shown = ", ".join(unknown) if isinstance(extra, dict) else type(extra).__name__
        problems.append(Problem(file, t("authoring.bank.sheet_extra_fields", fields=shown), row, label("extra")))
        return
    data.update(extra)


def _truth(answer: str, options: dict[str, str]) -> bool | None:
    word = answer.strip().casefold()
    if word.upper() in options and word not in ("t", "f"):  # template with 选项A=正确, 选项B=错误
        word = options[word.upper()].strip().casefold()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None


def parse_numeric(text: str) -> dict[str, Any] | None:
    text = text.strip().replace("＋", "+").replace("－", "-").replace("…", "..")
    try:
        if m := re.fullmatch(rf"({_NUMBER})\s*(?:\.\.|~|～)\s*({_NUMBER})", text):
            low, high = sorted((finite(m.group(1)), finite(m.group(2))))
            return {"range": [low, high]}
        if m := re.fullmatch(rf"({_NUMBER})\s*(?:±|\+-|:)\s*({_NUMBER})", text):
            return {"value": finite(m.group(1)), "tolerance": abs(finite(m.group(2)))}
        if re.fullmatch(_NUMBER, text):
            return {"value": finite(text)}
    except ValueError:  # 1e999: not a finite number
        return None
    return None


# --- writing ---------------------------------------------------------------------------------

def fmt_number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else repr(float(x))


def _extra(q: Question) -> dict[str, Any]:
    """What the columns cannot say, for the 扩展数据 column (model field names, JSON)."""
    extra: dict[str, Any] = {}
    dumped = q.model_dump(mode="json", include={"blanks", "numeric_answers", "parts"}, exclude_defaults=True)
    if q.type == "fill" and any(not isinstance(a, str) for alts in q.blanks for a in alts):
        extra["blanks"] = dumped["blanks"]
    if q.numeric_answers:
        extra["numeric_answers"] = dumped["numeric_answers"]
    if q.parts:
        extra["parts"] = dumped["parts"]
    for key in ("feedback_true", "feedback_false", "case_sensitive", "source", "title", "tags"):
        if key in Question.model_fields and getattr(q, key) != Question.model_fields[key].get_default(call_default_factory=True):
            extra[key] = getattr(q, key)
    return extra


def question_row(q: Question) -> dict[str, Any]:
    """One question as {header: cell}; `rows_for` picks the headers the bank needs."""
    row: dict[str, Any] = {"ID": q.id, "题型": TYPE_LABEL[q.type], "题干": q.stem, "解析": q.explanation,
                           "分值": int(q.points) if float(q.points).is_integer() else q.points, "难度": q.difficulty, "知识点": q.topic}
    answer = ""
    ids: list[str] = []
    if q.type in ("single", "multiple"):
        for letter, opt in zip(LETTERS, q.options):
            row[f"选项{letter}"] = opt.text
            if opt.feedback:
                row[f"选项{letter}反馈"] = opt.feedback
            if opt.fraction is not None or (q.type == "single" and opt.correct and len(q.correct_ids) > 1):
                row[f"选项{letter}权重"] = f"{pct(1.0 if opt.fraction is None else opt.fraction)}%"
            ids.append(opt.id)
        answer = "".join(letter for letter, o in zip(LETTERS, q.options) if o.correct)
    elif q.type == "truefalse":
        answer = "正确" if q.answer else "错误"
    elif q.type == "fill":
        answer = "|".join(";".join(a if isinstance(a, str) else a.text for a in alts) for alts in q.blanks)
    elif q.type == "numeric":
        if q.range is not None:
            answer = f"{fmt_number(q.range[0])}..{fmt_number(q.range[1])}"
        elif q.value is not None:
            answer = fmt_number(q.value) + (f"±{fmt_number(q.tolerance)}" if q.tolerance else "")
    elif q.type == "matching":
        items = [f"{p.left} -> {p.right}" for p in q.pairs] + [f"-> {d}" for d in q.distractors]
        for letter, item in zip(LETTERS, items):
            row[f"选项{letter}"] = item
        ids = [p.id for p in q.pairs]
    elif q.type == "essay":
        answer = q.reference  # the 答案 column of an essay is its reference answer (markers only)
    if ids and ids != list(LETTERS[: len(ids)]):
        row["选项编号"] = ",".join(ids)
    row["答案"] = answer
    if extra := _extra(q):
        import json

        row["扩展数据"] = json.dumps(extra, ensure_ascii=False, separators=(",", ":"))
    return row


def _headers(rows: list[dict[str, Any]]) -> list[str]:
    used = set().union(*rows) if rows else set()
    headers = list(EXPORT_HEADERS)
    for kind in ("反馈", "权重"):
        headers += [f"选项{c}{kind}" for c in LETTERS if f"选项{c}{kind}" in used]
    return headers + [h for h in ("选项编号", "扩展数据") if h in used]


def export_problems(questions: list[Question], file: str) -> list[Problem]:
    """What this format cannot hold: refused at export rather than written wrong."""
    problems = unmapped(questions, TYPE_NAMES, t("authoring.bank.sheet_format"), file)
    for q in [q for q in questions if q.type in TYPE_NAMES]:
        n = len(q.options) if q.type in ("single", "multiple") else len(q.pairs) + len(q.distractors)
        if n > len(LETTERS):
            problems.append(Problem(file, t("authoring.bank.sheet_max_options", id=q.id), None, q.id))
        if q.type == "matching" and len(q.distractors) and any(ch in p.left for p in q.pairs for ch in ("->", "→")):
            problems.append(Problem(file, t("authoring.bank.sheet_matching_arrow", id=q.id), None, q.id))
    return problems


def rows_for(questions: list[Question]) -> list[list[Any]]:
    rows = [question_row(q) for q in questions]
    headers = _headers(rows)
    return [headers] + [[row.get(h, "") for h in headers] for row in rows]


def write(questions: list[Question], path: Path, encoding: str = "utf-8-sig") -> list[Problem]:
    problems = export_problems(questions, str(path))
    if problems:
        raise InputError(problems)
    header, *body = rows_for(questions)
    if path.suffix.lower() == ".csv":
        write_csv(path, header, [[("" if c is None else str(c)) for c in row] for row in body], encoding=encoding, errors="strict")
        return []
    # tables.write_table stores every string as text: a stem like "=0" never becomes a formula
    write_table(path, "题库", header, body)
    return []
