"""Spreadsheet banks (.xlsx, .csv) in the common Chinese import template (题库导入模板).

Columns (any order, header row found in the first rows; `*` marks and notes in brackets are
ignored): 编号/ID, 题型, 题干|题目|题目内容|问题, 选项A…选项H, 答案|正确答案, 解析, 分值, 难度,
知识点|分类|章节. Some systems put one option per row: a `选项` column without a letter, and
rows with neither 题型 nor 题干 continue the question above.

Option ids are the letters (A, B, C…), so answers written `ABD` keep their meaning. Without an
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
from ..model import Question
from ..tables import write_csv, write_table
from .common import LETTERS, BankResult, add_question, build_question, slug

TYPE_NAMES = {
    "single": ["单选", "单选题", "单项选择", "单项选择题", "single"],
    "multiple": ["多选", "多选题", "多项选择", "多项选择题", "不定项", "不定项选择题", "multiple"],
    "truefalse": ["判断", "判断题", "是非题", "对错题", "truefalse", "true/false"],
    "fill": ["填空", "填空题", "fill"],
    "numeric": ["数值", "数值题", "计算题", "numeric"],
    "matching": ["匹配", "匹配题", "连线题", "matching"],
    "essay": ["简答", "简答题", "问答", "问答题", "论述", "论述题", "主观题", "心得", "essay"],
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
    match = re.fullmatch(r"(?:选项|option)([a-h])", norm)
    if match:
        return "opt_" + match.group(1).upper()
    return _FIELD_OF.get(norm)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


# --- reading ---------------------------------------------------------------------------------

def decode_csv(raw: bytes) -> str:
    """UTF-8 (BOM or not) first; a file that is not UTF-8 is taken as GBK (GB18030, its superset)."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("gb18030")


def read_rows(path: Path) -> list[list[str]]:
    if path.suffix.lower() == ".csv":
        text = decode_csv(path.read_bytes())
        return [[_cell_text(c) for c in row] for row in csv.reader(io.StringIO(text))]
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = book.worksheets[0]
        return [[_cell_text(c) for c in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def parse(path: Path) -> BankResult:
    try:
        rows = read_rows(path)
    except Exception as exc:  # a broken xlsx/zip: name the file, keep going with other files
        return BankResult([], [Problem(str(path), f"无法读取表格 / cannot read spreadsheet: {exc}")])
    return parse_rows(rows, str(path), slug(path.stem, "q"))


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
        return BankResult([], [Problem(file, "找不到表头（需要“题型”和“题干”列）/ no header row with 题型 and 题干 columns", 1)])
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
        if not any(cells.values()):
            continue
        if "option" in columns and not cells.get("type") and not cells.get("stem") and grouped:
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
        problems.append(Problem(file, f"未知题型 '{cells.get('type', '')}' / unknown question type", row, label("type")))
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
            data["points"] = float(cells["points"])
        except ValueError:
            problems.append(Problem(file, f"分值 '{cells['points']}' 不是数字 / points is not a number", row, label("points")))
    answer = cells.get("answer", "")
    answer_col = label("answer")
    if kind in ("single", "multiple"):
        letters = re.sub(r"[\s,，;；|｜、/]+", "", answer).upper()
        if not letters:
            problems.append(Problem(file, "缺少答案 / missing answer", row, answer_col))
        for letter in letters:
            if letter not in options:
                problems.append(Problem(file, f"答案字母 {letter} 没有对应的选项 / answer letter {letter} has no option", row, answer_col))
        data["options"] = [{"id": c, "text": t, "correct": c in letters} for c, t in options.items()]
    elif kind == "truefalse":
        value = _truth(answer, options)
        if value is None:
            problems.append(Problem(file, f"判断题答案 '{answer}' 无法识别（可用 对/错、正确/错误、√/×、T/F、是/否）/ unreadable true/false answer", row, answer_col))
        data["answer"] = value
    elif kind == "fill":
        data["blanks"] = [[a.strip() for a in re.split(r"[;；]", blank) if a.strip()] for blank in re.split(r"[|｜]", answer)]
    elif kind == "numeric":
        key = parse_numeric(answer)
        if key is None:
            problems.append(Problem(file, f"数值题答案 '{answer}' 无法识别（如 3.14、3.14±0.01、1..5）/ unreadable numeric answer", row, answer_col))
        else:
            data.update(key)
    elif kind == "matching":
        pairs, distractors = [], []
        for c, text in options.items():
            if not re.search(r"->|→", text):
                problems.append(Problem(file, f"匹配题选项应写成“左项 -> 右项” / matching option must read 'left -> right': '{text}'", row, label(f"opt_{c}")))
                continue
            left, right = re.split(r"\s*(?:->|→)\s*", text, maxsplit=1)
            if left.strip():
                pairs.append({"id": c, "left": left.strip(), "right": right.strip()})
            else:
                distractors.append(right.strip())
        data["pairs"], data["distractors"] = pairs, distractors
    elif kind == "essay" and answer:
        # Many templates keep an essay's model answer in the answer column.
        data["explanation"] = f"参考答案：{answer}" + (f"\n\n{data['explanation']}" if data["explanation"] else "")
    return data, problems


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
    if m := re.fullmatch(rf"({_NUMBER})\s*(?:\.\.|~|～)\s*({_NUMBER})", text):
        low, high = sorted((float(m.group(1)), float(m.group(2))))
        return {"range": [low, high]}
    if m := re.fullmatch(rf"({_NUMBER})\s*(?:±|\+-|:)\s*({_NUMBER})", text):
        return {"value": float(m.group(1)), "tolerance": abs(float(m.group(2)))}
    if re.fullmatch(_NUMBER, text):
        return {"value": float(text)}
    return None


# --- writing ---------------------------------------------------------------------------------

def fmt_number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else repr(float(x))


def question_row(q: Question) -> list[Any]:
    options = [""] * len(LETTERS)
    answer = ""
    if q.type in ("single", "multiple"):
        for i, opt in enumerate(q.options):
            options[i] = opt.text
        answer = "".join(LETTERS[i] for i, o in enumerate(q.options) if o.correct)
    elif q.type == "truefalse":
        answer = "正确" if q.answer else "错误"
    elif q.type == "fill":
        answer = "|".join(";".join(alts) for alts in q.blanks)
    elif q.type == "numeric":
        if q.range is not None:
            answer = f"{fmt_number(q.range[0])}..{fmt_number(q.range[1])}"
        else:
            answer = fmt_number(q.value) + (f"±{fmt_number(q.tolerance)}" if q.tolerance else "")
    elif q.type == "matching":
        items = [f"{p.left} -> {p.right}" for p in q.pairs] + [f"-> {d}" for d in q.distractors]
        options[: len(items)] = items
    points: Any = int(q.points) if float(q.points).is_integer() else q.points
    return [q.id, TYPE_LABEL[q.type], q.stem, *options, answer, q.explanation, points, q.difficulty, q.topic]


def export_problems(questions: list[Question], file: str) -> list[Problem]:
    """What this format cannot hold: refused at export rather than written wrong."""
    problems = []
    for q in questions:
        n = len(q.options) if q.type in ("single", "multiple") else len(q.pairs) + len(q.distractors)
        if n > len(LETTERS):
            problems.append(Problem(file, f"{q.id}: 表格最多 8 个选项 / at most 8 options in a spreadsheet", None, q.id))
    return problems


def rows_for(questions: list[Question]) -> list[list[Any]]:
    return [EXPORT_HEADERS] + [question_row(q) for q in questions]


def write(questions: list[Question], path: Path, encoding: str = "utf-8-sig") -> None:
    problems = export_problems(questions, str(path))
    if problems:
        raise InputError(problems)
    header, *body = rows_for(questions)
    if path.suffix.lower() == ".csv":
        write_csv(path, header, [[("" if c is None else str(c)) for c in row] for row in body], encoding=encoding, errors="strict")
        return
    # tables.write_table stores every string as text: a stem like "=0" never becomes a formula
    write_table(path, "题库", header, body)

