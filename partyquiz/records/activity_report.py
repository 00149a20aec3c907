"""The report's sections on offline activities: 三会一课 (branches behind), the 积分 ranking of
branches and the 量化考评 grades per branch. HTML fragments; labels through i18n."""
from __future__ import annotations

import html
from collections import Counter
from pathlib import Path

from ..i18n import t
from .activities import read_snapshot
from .evaluation import branch_ranking, learning_points, load_evaluation_rules, yearly_evaluation
from .register import branch_register, register_section_html


def activity_sections_html(ledger_url: str, year: int, *, rules_path: Path | str | None = None, lang: str | None = None) -> str:
    """All three sections; empty when the ledger holds no offline session at all."""
    data = read_snapshot(ledger_url)
    if not data.sessions:
        return ""
    register = branch_register(ledger_url, year, rules_path=rules_path, snapshot=data)
    ranking = branch_ranking(learning_points(ledger_url, year, rules_path=rules_path, snapshot=data))
    grades = yearly_evaluation(ledger_url, year, rules_path=rules_path, snapshot=data)
    labels = [g for _, g in load_evaluation_rules(rules_path).grades]
    return register_section_html(register, lang) + _ranking_html(ranking, lang) + _grades_html(grades, labels, year, lang)


def _table(head: list[str], rows: list[list[object]]) -> str:
    e = html.escape
    return ("<table><thead><tr>" + "".join(f"<th>{e(h)}</th>" for h in head) + "</tr></thead><tbody>"
            + "".join("<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in row) + "</tr>" for row in rows) + "</tbody></table>")


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
