"""The report's sections on offline activities and learning evaluation: 三会一课 (branches behind),
the 积分 ranking of branches, the 量化考评 grades per branch and the members whose evaluation asks
for follow-up (grade below 合格, or 学风 / 纪律 / 评语 recorded by an instructor). HTML fragments;
labels through i18n."""
from __future__ import annotations

import html
from collections import Counter
from pathlib import Path

from ..i18n import t
from .activities import Snapshot, read_snapshot
from .activity_exports import ActivityFigures, activity_figures
from .evaluation import branch_ranking, load_evaluation_rules
from .register import register_section_html

FOLLOW_UP_LIMIT = 500  # the full list is in 量化考评.xlsx and the 培训档案's 年度考评 sheet


def activity_sections_html(ledger_url: str, year: int, *, rules_path: Path | str | None = None, lang: str | None = None,
                           snapshot: Snapshot | None = None, figures: ActivityFigures | None = None,
                           alias: dict[str, str] | None = None, evaluated: bool = False) -> str:
    """三会一课 and 积分 when the ledger holds offline sessions; the 量化考评 sections when it
    holds sessions or any instructor's evaluation (`evaluated`, exports.Gathered.evaluated). `alias`: learner id → code
    for a pseudonymised report (names then left out)."""
    data = snapshot or read_snapshot(ledger_url)
    if not data.sessions and not evaluated:
        return ""
    figures = figures if figures is not None and figures.year == year else activity_figures(ledger_url, year, rules_path=rules_path, snapshot=data)
    rules = load_evaluation_rules(rules_path)
    labels = [g for _, g in rules.grades]
    follow = set(rules.follow_up)
    parts = []
    if data.sessions:
        parts += [register_section_html(figures.register, lang), _ranking_html(branch_ranking(figures.points), lang)]
    parts += [_grades_html(figures.evaluation, labels, year, lang), _follow_up_html(figures.evaluation, follow, year, lang, alias)]
    return "".join(parts)


def _table(head: list[str], rows: list[list[object]]) -> str:
    e = html.escape
    return ("<table><thead><tr>" + "".join(f"<th>{e(h)}</th>" for h in head) + "</tr></thead><tbody>"
            + "".join("<tr>" + "".join(f"<td>{e('—' if c is None else str(c))}</td>" for c in row) + "</tr>" for row in rows)
            + "</tbody></table>")


def _ranking_html(ranking: list[dict], lang: str | None) -> str:
    head = [t("activities.points.rank", lang), t("activities.register.branch", lang), t("activities.points.members", lang),
            t("activities.points.mean", lang)]
    rows = [[r["rank"], r["branch"], r["members"], f"{r['mean']:g}"] for r in ranking]
    return f'<section class="points"><h2>{html.escape(t("activities.points.title", lang))}</h2>{_table(head, rows)}</section>'


def _grades_html(evaluations: list[dict], labels: list[str], year: int, lang: str | None) -> str:
    by_branch: dict[str, Counter] = {}
    for r in evaluations:
        by_branch.setdefault(r["branch"], Counter())[r["grade"]] += 1
    head = [t("activities.register.branch", lang), *labels]
    rows = [[branch, *[counts.get(label, 0) for label in labels]] for branch, counts in sorted(by_branch.items())]
    title = t("activities.evaluation.title", lang, year=year)
    return f'<section class="evaluation"><h2>{html.escape(title)}</h2>{_table(head, rows)}</section>'


def _follow_up_html(evaluations: list[dict], low: set[str], year: int, lang: str | None, alias: dict[str, str] | None) -> str:
    """Members of a grade that asks for follow-up (rules: evaluation.follow_up; the lowest grade
    when unset), or with 学风, 纪律 or 评语 recorded: lowest score first."""
    chosen = [r for r in evaluations if r["grade"] in low or r["study_style"] or r["discipline"] or r["comment"]]
    chosen.sort(key=lambda r: (r["score"] is None, r["score"] if r["score"] is not None else 0.0, r["branch"], r["learner_id"]))
    head = [t("report.eval.col.code" if alias else "report.eval.col.id", lang), t("report.eval.col.name", lang),
            t("activities.register.branch", lang), t("report.eval.col.score", lang), t("report.eval.col.grade", lang),
            t("report.eval.col.style", lang), t("report.eval.col.discipline", lang), t("report.eval.col.comment", lang)]
    rows = [[alias.get(r["learner_id"], "") if alias else r["learner_id"], "" if alias else r["name"], r["branch"], r["score"], r["grade"],
             r["study_style"], r["discipline"], r["comment"]] for r in chosen[:FOLLOW_UP_LIMIT]]
    title = t("report.eval.follow_up", lang, year=year, n=len(chosen))
    note = f"<p class='muted'>{html.escape(t('report.eval.limit', lang, n=FOLLOW_UP_LIMIT))}</p>" if len(chosen) > FOLLOW_UP_LIMIT else ""
    return f'<section class="follow-up"><h3>{html.escape(title)}</h3>{note}{_table(head, rows)}</section>'
