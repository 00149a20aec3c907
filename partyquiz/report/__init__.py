"""The analytics report: ONE self-contained HTML file that opens offline.

Score distributions, completion and hours by branch, members short of hours (未参学 apart from
不合格 and 学时不足), the offline activities (三会一课, 积分) and the 量化考评 with the members to
follow up, and item analysis per course and lesson (Moodle's statistics, see stats.py):
questions as 第 N 题 with their stem, options as A/B/C/D with their text and counts, a question of
low discrimination flagged, a negative one flagged "请核对答案" (the key is likely wrong), and a
guide to what each figure means. Charts are inline SVG; no script, no CDN, no web font.
ID numbers are always masked here; `pseudonymise=True` replaces names and ids by stable codes.
Hours, 未达标 and branch figures are the exports' own views (`exports.gather`, offline hours
included), so the report and 年度学时汇总 / 支部汇总 hold the same numbers for the same year.
"""
from __future__ import annotations

import datetime as dt
import html
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ..files import atomic_write_text
from ..exports import Gathered, gather
from ..i18n import language, t
from ..exports.views import ALL_COURSES, NO_BRANCH, branch_rows, mask_id_number
from ..model import Course
from ..records.activity_exports import ActivityFigures
from ..records.activity_report import activity_sections_html
from ..records import ledger as L
from . import charts
from .stats import ItemStats, QuizStats, item_stats, quiz_stats

def T(key: str, **values: object) -> str:
    return t("report." + key, **values)


LOW_DISCRIMINATION = 20.0  # Moodle's docs call an index under 20 weak; overridable per call
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
CSS = """
body{font-family:"Noto Sans CJK SC","Noto Sans SC","Microsoft YaHei",sans-serif;margin:2em auto;max-width:1100px;color:#222;padding:0 1em}
h1{color:#b22222;border-bottom:3px solid #b22222;padding-bottom:.3em}h2{color:#8b1a1a;margin-top:2em}
table{border-collapse:collapse;margin:1em 0;font-size:14px}th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f3e5e5;white-space:nowrap}td.n{text-align:right;white-space:nowrap}tr.flag td{background:#fff4d6}tr.neg td{background:#fde2e2}
td.hint{min-width:7em;white-space:nowrap;font-weight:bold}td.choices{white-space:pre-line;min-width:14em}td.stem{min-width:16em}
.muted{color:#777;font-size:13px}dl.guide dt{font-weight:bold;margin-top:.4em}dl.guide dd{margin-left:1.5em}
.chart svg{max-width:100%;height:auto}.cards{display:flex;gap:1em;flex-wrap:wrap}.card{border:1px solid #ddd;padding:.6em 1em;border-radius:6px}
.card b{font-size:1.5em;display:block;color:#b22222}
"""


def _e(value: Any) -> str:
    return html.escape("—" if value is None else str(value))


def _table(header: list[str], rows: list[list[Any]], flags: list[str] | None = None, classes: dict[int, str] | None = None) -> str:
    """`flags`: a row class per row ("", "flag", "neg"); `classes`: a cell class per column index."""
    classes = classes or {}
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = []
    for i, row in enumerate(rows):
        cls = f' class="{flags[i]}"' if flags and flags[i] else ""
        cells = []
        for j, v in enumerate(row):
            kind = "n" if isinstance(v, (int, float)) and not isinstance(v, bool) else classes.get(j, "")
            cells.append(f'<td class="{kind}">{_e(v)}</td>' if kind else f"<td>{_e(v)}</td>")
        body.append(f"<tr{cls}>{''.join(cells)}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _read_items(ledger_url: str) -> dict[str, dict[int, list[Any]]]:
    """assignment → record id → item rows (current records only)."""
    r, i = L.records, L.items
    out: dict[str, dict[int, list[Any]]] = defaultdict(lambda: defaultdict(list))
    with L.engine_for(ledger_url) as engine, engine.connect() as conn:
        query = sa.select(r.c.assignment, i).join(r, r.c.id == i.c.record_id).where(r.c.current == sa.true()).order_by(i.c.record_id, i.c.position)
        for row in conn.execute(query):
            out[row.assignment][row.record_id].append(row)
    return out


def analyse_items(by_record: dict[int, list[Any]], low: float = LOW_DISCRIMINATION) -> tuple[QuizStats, list[ItemStats]]:
    """Pure: Moodle statistics of one quiz from its stored item rows."""
    attempts = [{it.question_id: (it.score, it.max_score) for it in items} for items in by_record.values()]
    values: dict[str, list[Any]] = defaultdict(list)
    order: dict[str, float] = {}
    for items in by_record.values():
        for it in items:
            values[it.question_id].append(json.loads(it.value) if it.value else None)
            order.setdefault(it.question_id, it.position)
    questions = sorted(values, key=lambda q: (order[q], q))
    return quiz_stats(attempts, questions), [item_stats(q, attempts, values[q], low=low) for q in questions]


def write_report(
    ledger_url: str,
    out_path: Path | str,
    *,
    pseudonymise: bool = False,
    courses: list[Course] | None = None,
    rules_path: Path | str | None = None,
    year: int | None = None,
    low_discrimination: float = LOW_DISCRIMINATION,
    gathered: Gathered | None = None,
    figures: ActivityFigures | None = None,
) -> Path:
    """Write the report; `courses` (optional) adds question stems and option texts and each
    course's result rule. Hours, 未达标 and the branch figures come from the views of the exports
    (`gathered`: the ledger read once by `exports.gather`, shared by publish), offline activities
    included, so report and exports agree; `figures`: the activity figures already computed."""
    got = gathered or gather(ledger_url, rules_path=rules_path, courses=courses)
    rules, data, rows = got.rules, got.data, got.rows
    people = data.members
    alias = {p.id: T("alias", n=f"{n:04d}") for n, p in enumerate(sorted(data.people, key=lambda p: p.id), start=1)} if pseudonymise else {}
    year = year or got.years[-1]
    parts = [f"<h1>{_e(T('title'))}</h1><p class='muted'>{_e(T('generated', time=f'{dt.datetime.now():%Y-%m-%d %H:%M}', year=year))}"
             + (_e(T("anonymised")) if pseudonymise else "") + "</p>"]
    in_year = [d for d in rows if d["year"] == year]
    parts.append(_overview(people, in_year, got.views, year))
    parts.append(_scores([d for d in in_year if not d.get("offline")], data))
    summary = [r for r in branch_rows(got.views, [year]) if r["course"] == ALL_COURSES]
    parts.append(_branches(summary, year))
    parts.append(activity_sections_html(ledger_url, year, rules_path=got.rules_path, snapshot=got.snapshot, figures=figures,
                                        alias=alias or None, evaluated=got.evaluated))
    parts.append(_items(_read_items(ledger_url), _question_info(ledger_url, courses or []), _lesson_titles(data), low_discrimination))
    parts.append(_shortfalls(people, in_year, got.views, year, alias, pseudonymise))
    page = (f"<!DOCTYPE html><html lang='{language()}'><head><meta charset='utf-8'><title>{_e(T('title'))}</title>"
            f"<style>{CSS}</style></head><body>{''.join(parts)}</body></html>")
    out = Path(out_path)
    atomic_write_text(out, page)
    return out


def _overview(people: list, rows: list[dict], views, year: int) -> str:
    """The year at a glance: 参学人数 counts anyone with a record or an attended session; 测验记录
    and 合格率 are the online records; 累计学时 is the members' 本年度学时 (all forms), as in
    年度学时汇总."""
    learners_with = {d["learner_id"] for d in rows}
    online = [d for d in rows if not d.get("offline")]
    passed = sum(1 for d in online if d["passed"] == "合格")
    hours = round(sum(views.hours_in(p.id, year) for p in people), 2)
    party = sum(1 for p in people if p.category in views.rules.party_member_categories)
    cards = [(T("card.roster"), len(people)), (T("card.party"), party), (T("card.learners"), len(learners_with)),
             (T("card.records"), len(online)), (T("card.pass_rate"), f"{100 * passed / len(online):.1f}%" if online else "—"),
             (T("card.hours"), f"{hours:g}")]
    return f"<h2>{_e(T('h.overview'))}</h2><div class='cards'>" + "".join(f"<div class='card'><b>{_e(v)}</b>{_e(k)}</div>" for k, v in cards) + "</div>"


def _scores(rows: list[dict], data) -> str:
    out = [f"<h2>{_e(T('h.scores'))}</h2>"]
    by_course: dict[str, list[float]] = defaultdict(list)
    for d in rows:
        by_course[d["course_id"]].append(d["percent"])
    for course_id, values in sorted(by_course.items()):
        title = data.courses[course_id].title if course_id in data.courses else course_id
        marks = [l.pass_mark for (c, _), l in data.lessons.items() if c == course_id]
        mark = marks[0] if marks and len(set(marks)) == 1 else None
        chart = charts.histogram(values, T("chart.scores", title=title, n=len(values)), T("chart.percent"), T("chart.count"), mark, T("chart.pass_mark"))
        out.append(f"<div class='chart'>{chart}</div>")
    if not by_course:
        out.append(f"<p>{_e(T('no_scores'))}</p>")
    return "".join(out)


def _branches(summary: list[dict], year: int) -> str:
    """The branch figures of 支部汇总 (all courses) for `year`: the same numbers as the export.
    完成率 is empty ("—") for a branch that had no course that year."""
    labels = [s["branch"] or NO_BRANCH for s in summary]
    out = [f"<h2>{_e(T('h.branches'))}</h2>"]
    if summary:
        out.append("<div class='chart'>" + charts.bars(labels, [(s["completion"] or 0) / 100 for s in summary], T("chart.completion"),
                                                        T("chart.completion_axis"), percent=True) + "</div>")
        per_member = [s["hours"] / s["learners"] if s["learners"] else 0 for s in summary]
        out.append("<div class='chart'>" + charts.bars(labels, per_member, T("chart.hours"), T("chart.hours_axis")) + "</div>")
    table = [[lab, s["learners"], s["party_members"], s["submitted"], s["passed"],
              f"{s['completion']:.1f}%" if s["completion"] is not None else None, s["mean_score"], s["hours"], s["short"]]
             for lab, s in zip(labels, summary)]
    out.append(_table([T(f"col.branch.{i}", year=year) for i in range(9)], table))
    return "".join(out)


@dataclass
class QuestionInfo:
    stem: str
    texts: dict[str, str]  # option id → text, in the author's order
    correct_ids: list[str]


def _question_info(ledger_url: str, courses: list[Course]) -> dict[str, QuestionInfo]:
    """Stems and options: from the ledger (stored at roll-in), or from the courses given."""
    info: dict[str, QuestionInfo] = {}
    with L.engine_for(ledger_url) as engine, engine.connect() as conn:
        for row in conn.execute(sa.select(L.questions)):
            options = json.loads(row.options)
            info[row.question_id] = QuestionInfo(row.stem, {o[0]: o[1] for o in options}, [o[0] for o in options if o[2]])
    for course in courses:
        for qid, q in course.questions.items():
            info[qid] = QuestionInfo(q.stem, {o.id: o.text for o in q.options}, q.correct_ids)
    return info


def _lesson_titles(data) -> dict[str, str]:
    """assignment → "course title · lesson title", so sections read as the learners saw them."""
    out = {}
    for r in data.records:
        if r.assignment in out:
            continue
        course, lesson = data.courses.get(r.course_id), data.lessons.get((r.course_id, r.lesson_id))
        out[r.assignment] = f"{course.title if course else r.course_id} · {lesson.title if lesson else r.lesson_id}"
    return out


def hint(s: ItemStats) -> tuple[str, str]:
    """(text, row class): a negative discrimination most often means a wrong key."""
    if s.discrimination_index is not None and s.discrimination_index < 0:
        return T("flag.negative"), "neg"
    if s.low_discrimination:
        return T("flag.low"), "flag"
    return "", ""


def option_lines(s: ItemStats, q: QuestionInfo | None) -> str:
    """One line per option: "A. 每季度一次 ✓：17"; free answers (blanks) by frequency, the eight commonest."""
    if q and q.texts:
        lines = []
        for n, (oid, text) in enumerate(q.texts.items()):
            mark = " ✓" if oid in q.correct_ids else ""
            lines.append(f"{LETTERS[n] if n < len(LETTERS) else oid}. {text}{mark}：{s.choices.get(oid, 0)}")
        return "\n".join(lines)
    return "\n".join(f"{k}：{v}" for k, v in s.choices.most_common(8))


def _items(items: dict[str, dict[int, list[Any]]], info: dict[str, QuestionInfo], titles: dict[str, str], low: float) -> str:
    out = [f"<h2>{_e(T('h.items'))}</h2><p class='muted'>{_e(T('items.note', low=f'{low:g}'))}</p>", _guide(low)]
    if not items:
        out.append(f"<p>{_e(T('no_items'))}</p>")
    for assignment in sorted(items, key=lambda a: (titles.get(a, a), a)):
        test, stats = analyse_items(items[assignment], low)
        out.append(f"<h3>{_e(titles.get(assignment, assignment))}</h3>")
        out.append(_table([T(f"col.test.{i}") for i in range(7)],
                          [[test.attempts, test.questions, test.mean, test.sd, test.cic, test.error_ratio, test.standard_error]]))
        rows, flags = [], []
        for n, s in enumerate(stats, start=1):
            q = info.get(s.question_id)
            text, cls = hint(s)
            choices = option_lines(s, q) + (T("unanswered", n=s.unanswered) if s.unanswered else "")
            rows.append([T("number", n=n), q.stem if q else s.question_id, s.attempts, s.facility, s.sd, s.discrimination_index,
                         s.discriminative_efficiency, choices, text])
            flags.append(cls)
        out.append(_table([T(f"col.item.{i}") for i in range(9)], rows, flags, {1: "stem", 7: "choices", 8: "hint"}))
    return "".join(out)


def _guide(low: float) -> str:
    """What each figure means and when to act, in the instructor's words."""
    terms = ["difficulty", "discrimination", "efficiency", "cic", "error_ratio", "standard_error"]
    return "<dl class='guide'>" + "".join(f"<dt>{_e(T(f'guide.{k}.term'))}</dt><dd>{_e(T(f'guide.{k}', low=f'{low:g}'))}</dd>" for k in terms) + "</dl>"


def _shortfalls(people: list, rows: list[dict], views, year: int, alias: dict[str, str], pseudonymise: bool, limit: int = 500) -> str:
    """Members short of their requirement, by reason: 未参学 (no record and no attended session in
    the year), 不合格 (took lessons, failed one or more), 学时不足 (passed what they took, not
    enough hours or not the required forms). The assessment is 年度学时汇总's (`views.assess`)."""
    took: dict[str, list[dict]] = defaultdict(list)
    for d in rows:
        took[d["learner_id"]].append(d)
    groups: dict[str, list[list[Any]]] = {"absent": [], "failed": [], "short": []}
    for p in sorted(people, key=lambda p: (p.branch, p.id)):
        s = views.assess(p, year)
        if s["status"] != "未达标":
            continue
        mine = took.get(p.id, [])
        reason = "absent" if not mine else "failed" if any(d["passed"] != "合格" for d in mine) else "short"
        who = [alias[p.id], "", ""] if pseudonymise else [p.id, p.name, mask_id_number(p.id_number)]
        groups[reason].append([*who, p.branch, s["requirement"], s["window"], s["required"], s["earned"], s["shortfall"], s["missing"]])
    total = sum(len(g) for g in groups.values())
    out = [f"<h2>{_e(T('h.short', year=year, n=total))}</h2>"]
    header = [T("col.short.code") if pseudonymise else T("col.short.0"), *(T(f"col.short.{i}") for i in range(1, 10))]
    for reason, table in groups.items():
        out.append(f"<h3>{_e(T(f'short.{reason}', n=len(table)))}</h3>")
        if len(table) > limit:
            out.append(f"<p class='muted'>{_e(T('short.limit', n=limit))}</p>")
        out.append(_table(header, table[:limit]))
    return "".join(out)
