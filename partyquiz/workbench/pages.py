"""The workbench's pages (ipywidgets, rendered by Voilà). Opening shows numbers; nothing is graded
by opening: grading, marking, exporting, importing and publishing are buttons.

Pages: 作业总览 · 评分 · 简答题批阅 · 统计 · 导出 · 线下活动 · 学习评价 · 花名册 · 发布. Every label goes
through `t()` (area file i18n/<lang>/workbench.json); learner text and course text are HTML-escaped.

Opening fast: Voilà starts a fresh kernel for every page open, so what the first screen imports
is what the instructor waits for. The first screen is 作业总览 (SQL only); every other page is
built, and its modules (nbgrader, the records library, matplotlib) imported, the first time its
tab is chosen. Who has handed in through the exchange is asked once per lesson, with a short
timeout (a slow exchange leaves 已提交 at what was collected rather than holding the page).
"""
from __future__ import annotations

import time
from html import escape
from pathlib import Path

from ..i18n import t
from . import marking, overview
from .parts import table_html, error_html, problems_html

CSS = """<style>
.pq-wb{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;font-size:16px;max-width:1100px}
.pq-wb table{border-collapse:collapse;margin:.5em 0;width:100%}
.pq-wb th,.pq-wb td{border:1px solid #ccc;padding:6px 8px;text-align:left}
.pq-wb th{background:#f5f5f5}
.pq-wb .pq-card{border:1px solid #ddd;border-left:6px solid #b71c1c;border-radius:6px;padding:.6em 1em;margin:.5em 0}
.pq-wb .pq-bad{color:#b71c1c}.pq-wb .pq-ok{color:#2e7d32}
.pq-wb .pq-essay-answer{white-space:pre-wrap;background:#fafafa;border:1px solid #eee;padding:.6em;border-radius:4px}
.pq-wb a.pq-download{display:inline-block;min-height:44px;line-height:44px;padding:0 16px;margin:4px;border:1px solid #1565c0;border-radius:6px;text-decoration:none}
.pq-wb .widget-button{min-height:44px}
@media (max-width:600px){.pq-wb table{display:block;overflow-x:auto}.pq-wb th,.pq-wb td{white-space:nowrap}.pq-wb-tabs .lm-TabBar-content{overflow-x:auto}.pq-wb-tabs.jupyter-widget-tab>.lm-TabBar{min-height:46px}.pq-wb-tabs.jupyter-widget-tab>.lm-TabBar .lm-TabBar-tab{flex:0 0 auto;min-width:auto;height:44px;line-height:44px}}
</style>"""


def overview_html(rows: list[overview.LessonRow]) -> str:
    if not rows:
        return f"<p>{escape(t('workbench.none'))}</p>"
    headers = [t(f"workbench.ov.{k}") for k in ("lesson", "released", "submitted", "graded", "essays", "late", "average", "pass_rate")]
    body = [[f"{r.course_title} · {r.title}", t("workbench.yes") if r.released else t("workbench.no"), r.submitted, r.graded,
             r.essays_waiting, r.late, overview.percent(r.average, already_percent=True), overview.percent(r.pass_rate)] for r in rows]
    return table_html(headers, body, "pq-overview")


def summary_card(title: str, summary, essays_waiting: int) -> str:
    """The Chinese summary of one grading batch: graded, unchanged, failed with reasons, late, essays waiting."""
    lines = [t("workbench.grade.card", graded=summary.graded, skipped=summary.skipped, failed=len(summary.failed),
               late=summary.late, essays=essays_waiting, seconds=f"{summary.seconds:.1f}")]
    html = f"<div class='pq-card pq-grade-card'><b>{escape(title)}</b><p>{escape(lines[0])}</p>"
    if summary.failed:
        items = "".join(f"<li>{escape(student)}：{escape(reason)}</li>" for student, reason in summary.failed[:50])
        html += f"<p class='pq-bad'>{escape(t('workbench.grade.failed'))}</p><ul class='pq-failed'>{items}</ul>"
    for _, problem in summary.problems[:20]:
        html += f"<p class='pq-bad'>{escape(problem)}</p>"
    return html + "</div>"


def branch_html(rows: list[dict]) -> str:
    if not rows:
        return f"<p>{escape(t('workbench.none'))}</p>"
    headers = [t(f"workbench.st.{k}") for k in ("branch", "year", "learners", "party", "submitted", "passed", "completion", "mean", "hours", "short")]
    body = [[r["branch"] or "—", r.get("year", "—"), r["learners"], r.get("party_members", "—"), r["submitted"], r["passed"] if r["passed"] is not None else "—",
             overview.percent(r.get("completion"), already_percent=True), overview.percent(r.get("mean_score"), already_percent=True),
             f"{r.get('hours') or 0:g}", r.get("short", "—")] for r in rows]
    return table_html(headers, body, "pq-branches")


def files_href(path: Path, home: Path, prefix: str, download: bool) -> str | None:
    """The instructor's own Jupyter server serves their home at `<prefix>files/` (logged-in users
    only; HTML there runs sandboxed): a download (`?download=1`) or, for the report, a page that
    opens in a new tab. None for a file outside the home (it is then named, not linked)."""
    from urllib.parse import quote

    try:
        rel = Path(path).resolve().relative_to(Path(home).resolve())
    except ValueError:
        return None
    return f"{prefix.rstrip('/')}/files/{quote(rel.as_posix())}" + ("?download=1" if download else "")


def download_links(files: list[Path], home: Path, prefix: str, zipped: Path | None = None) -> str:
    """One button per file (the browser downloads it), 全部下载 for the zip, and the report opening
    in a new tab. Only file names are shown, never server paths."""
    links = []
    for path in ([zipped] if zipped else []) + [Path(f) for f in files]:
        report = path.suffix == ".html"
        href = files_href(path, home, prefix, download=not report)
        label = t("workbench.ex.report") if report else (t("workbench.ex.zip") if path == zipped else t("workbench.ex.download", name=path.name))
        css = "pq-download pq-report" if report else ("pq-download pq-zip" if path == zipped else "pq-download")
        if href is None:
            links.append(f"<span class='{css}'>{escape(path.name)}</span>")
        elif report:
            links.append(f"<a class='{css}' href='{escape(href)}' target='_blank' rel='noopener'>{escape(label)}</a>")
        else:
            links.append(f"<a class='{css}' href='{escape(href)}' download='{escape(path.name)}'>{escape(label)}</a>")
    return "".join(links)


def zip_files(files: list[Path], target: Path) -> Path:
    """Every file in one download (grading and all exports in five actions); written atomically."""
    import os
    import zipfile

    tmp = target.with_name(f".{target.name}.tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            try:  # the activity tables keep their folder (线下活动/) inside the zip
                name = Path(path).resolve().relative_to(target.parent.resolve()).as_posix()
            except ValueError:
                name = Path(path).name
            archive.write(path, name)
    os.replace(tmp, target)
    return target


TABS = ("overview", "grade", "mark", "stats", "export", "sessions", "evaluation", "roster", "publish")


class Workbench:
    """State of one instructor's page: where the course root, ledger and roster are.

    Only 作业总览 is built on opening; `open_tab(key)` builds any other page (the tab bar calls it
    when a tab is chosen; tests call it directly)."""

    def __init__(self, ins=None):
        import ipywidgets as w

        from ..hub.dashboard import Instructor

        self.w = w
        self.ins = ins or Instructor.from_env()
        self.site = self.ins.site()
        self.out_dir = Path.home() / "exports"
        self._courses = None
        self.waiting: dict[str, set[str]] = {}  # the exchange's last answer: assignment → learners whose submission waits there
        self.title = w.HTML(f"{CSS}<div class='pq-wb'><h1 class='pq-workbench-title'>{escape(t('workbench.title'))}</h1></div>")
        self.holders = {key: w.VBox() for key in TABS}
        self.built: set[str] = set()
        self.tabs = w.Tab(children=[self.holders[key] for key in TABS])
        for n, key in enumerate(TABS):
            self.tabs.set_title(n, t(f"workbench.tab.{key}"))
        self.tabs.add_class("pq-wb-tabs")
        self.open_tab("overview")
        self.tabs.observe(lambda change: self.open_tab(TABS[change["new"]]) if change["new"] is not None else None, names="selected_index")

    def open_tab(self, key: str):
        """Build the page of tab `key` the first time it is asked for; returns it."""
        holder = self.holders[key]
        if key not in self.built:
            self.built.add(key)
            try:
                holder.children = [getattr(self, f"_{key}_page")()]
            except Exception as exc:  # say what happened; the other pages stay usable
                self.built.discard(key)
                holder.children = [self.w.HTML(error_html(exc))]
        return holder

    def courses(self):
        if self._courses is None:
            self._courses = self.ins.courses()
        return self._courses

    def _box(self, *children):
        box = self.w.VBox(list(children))
        box.add_class("pq-wb")
        return box

    def _button(self, label: str, css: str, style: str = "primary"):
        b = self.w.Button(description=label, button_style=style, layout=self.w.Layout(width="auto", min_height="44px"))
        b.add_class(css)
        return b

    def html(self, value: str = "", css: str = ""):
        box = self.w.HTML(value)
        if css:
            box.add_class(css)
        return box

    # --- 作业总览 ---------------------------------------------------------------------------
    def _overview_page(self):
        self.overview = self.w.HTML()
        refresh = self._button(t("workbench.refresh"), "pq-refresh", "")
        refresh.on_click(lambda _: self.refresh_overview(ask_exchange=True))
        self.refresh_overview(ask_exchange=True)
        return self._box(refresh, self.overview)

    def refresh_overview(self, ask_exchange: bool = False):
        """The numbers, read live. `ask_exchange`: ask the exchange again who waits there (one
        request per released lesson); otherwise its last answer is counted beside what was
        collected since (each learner once), so 已提交 does not drop after a mark or 发布."""
        courses = self.courses()
        counts = overview.gradebook_counts(self.site.gradebook_url)
        if ask_exchange:  # only a released lesson (in the gradebook) can have submissions waiting
            self.waiting = overview.in_exchange(self.site, [c.assignment_name(l) for c in courses for l in c.lessons
                                                            if c.assignment_name(l) in counts])
        submitted = overview.submitted_counts(self.site, [], waiting=self.waiting)
        figures = overview.ledger_figures(self.ins.ledger_url)  # None: no ledger yet (asked once, on one engine)
        rows = overview.lesson_overview(courses, self.site.gradebook_url, self.ins.ledger_url, self.site.root, submitted=submitted,
                                        counts=counts, figures=figures or {})
        note = "" if figures is not None else f"<p class='pq-no-ledger'>{escape(t('workbench.no_ledger'))}</p>"
        self.overview.value = f"<div class='pq-wb'>{overview_html(rows)}{note}</div>"
        return rows

    # --- 评分 -------------------------------------------------------------------------------
    def _grade_page(self):
        self.grade_button = self._button(t("workbench.grade.button"), "pq-grade")
        self.grade_area = self.w.VBox()
        self.grade_button.on_click(lambda _: self.grade_all())
        hint = self.w.HTML(f"<p>{escape(t('workbench.grade.hint'))}</p>")
        return self._box(hint, self.grade_button, self.grade_area)

    def grade_all(self):
        from ..hub.dashboard import released_assignments
        from ..pipeline import grade_and_roll_in

        w = self.w
        self.grade_button.disabled = True
        self.grade_button.description = t("workbench.grade.running")
        cards = []
        try:
            released = released_assignments(self.site)
            roster = self.ins.roster()
            rows, bars = [], {}
            for course in self.courses():
                for lesson in course.lessons:
                    name = course.assignment_name(lesson)
                    if name in released:
                        bar = w.IntProgress(value=0, min=0, max=1, layout=w.Layout(width="100%"))
                        bar.add_class(f"pq-progress-{name}")
                        label = self.html(f"{escape(lesson.title)}：{escape(t('workbench.grade.waiting'))}", "pq-progress-label")
                        bars[name] = (bar, label)
                        rows.append((course, lesson, name))
            self.grade_area.children = [w.VBox([label, bar]) for bar, label in bars.values()]
            for course, lesson, name in rows:
                bar, label = bars[name]
                started = time.monotonic()

                def moved(done: int, total: int, bar=bar, label=label, title=lesson.title, started=started):
                    bar.max = max(total, 1)
                    bar.value = done if total else 1
                    rate = done / (time.monotonic() - started) if done else 0.0
                    eta = (total - done) / rate if rate else None
                    label.value = escape(t("workbench.grade.progress", title=title, done=done, total=total, rate=f"{rate:.1f}",
                                           eta="—" if eta is None else f"{eta:.0f}"))

                summary, _ = grade_and_roll_in(self.site, course, name, ledger_url=self.ins.ledger_url, roster=roster, progress=False,
                                               on_progress=moved)
                moved(summary.graded + len(summary.failed), summary.graded + len(summary.failed))
                essays = int(overview.gradebook_counts(self.site.gradebook_url).get(name, {}).get("essays_waiting") or 0)
                cards.append(summary_card(f"{course.title} · {lesson.title}", summary, essays))
            self.refresh_overview()  # once, after every lesson is graded
            done = w.HTML(f"<div class='pq-wb pq-grade-done'>{''.join(cards) or escape(t('workbench.grade.nothing'))}</div>")
            self.grade_area.children = [*self.grade_area.children, done]
            if "mark" in self.built:
                self.reload_queue()
        except Exception as exc:  # say what happened and what to do; the page stays usable
            self.grade_area.children = [*self.grade_area.children, w.HTML(error_html(exc))]
        finally:
            self.grade_button.disabled = False
            self.grade_button.description = t("workbench.grade.button")

    # --- 简答题批阅 ---------------------------------------------------------------------------
    def _mark_page(self):
        w = self.w
        self.blind = w.Checkbox(value=True, description=t("workbench.mark.blind"), indent=False)
        self.blind.observe(lambda _: self.show_essay(keep_typed=True), names="value")
        self.essay_view = w.HTML()
        # FloatText, not BoundedFloatText: a bounded box silently turns 7 into 5; here an out-of-range
        # score is refused with a message. It syncs on change (blur / Enter); the shortcut script
        # (KEYS_JS) blurs the box before it presses save, so the typed score is the one saved.
        self.score = w.FloatText(value=0, step=0.5, description=t("workbench.mark.score"), continuous_update=False,
                                 style={"description_width": "initial"})
        self.score.add_class("pq-mark-score")
        self.comment = w.Textarea(placeholder=t("workbench.mark.comment"), continuous_update=False,
                                  layout=w.Layout(width="100%", height="5em"))
        self.comment.add_class("pq-mark-comment")
        self.save_button = self._button(t("workbench.mark.save_next"), "pq-mark-save")
        self.skip_button = self._button(t("workbench.mark.skip"), "pq-mark-skip", "")
        self.mark_message = self.html("", "pq-mark-message")
        self.save_button.on_click(lambda _: self.save_and_next())
        self.skip_button.on_click(lambda _: self.next_essay())
        self.queue: list[marking.EssayItem] = []
        self.position = 0
        self.reload_queue()
        keys = w.HTML(f"<p class='pq-keys'>{escape(t('workbench.mark.keys'))}</p>")
        return self._box(self.blind, self.essay_view, self.score, self.comment, w.HBox([self.save_button, self.skip_button]),
                         self.mark_message, keys)

    def names(self) -> dict[str, str]:
        roster = self.ins.roster() or []
        return {p.id.lower(): p.name for p in roster} | {p.id: p.name for p in roster}

    def reload_queue(self):
        self.queue = marking.essay_queue(self.site.gradebook_url, self.site.root, self.courses(), names=self.names(), with_answers=False)
        self.position = 0
        self.seen: float | None = None
        self.show_essay()

    def current(self) -> marking.EssayItem | None:
        return self.queue[self.position] if 0 <= self.position < len(self.queue) else None

    def show_essay(self, keep_typed: bool = False):
        item = self.current()
        if item is None:
            self.essay_view.value = f"<div class='pq-wb pq-essay-none'><p>{escape(t('workbench.mark.none'))}</p></div>"
            self.save_button.disabled = self.skip_button.disabled = True
            return
        if not item.answer:
            marking.load_answer(self.site.root, item)
        self.save_button.disabled = self.skip_button.disabled = False
        self.seen = item.manual_score
        who = marking.display_name(item, self.position + 1, self.blind.value)
        late = f" · <span class='pq-bad'>{escape(t('workbench.mark.late'))}</span>" if item.late else ""
        reference = item.reference or t("workbench.mark.no_reference")
        self.essay_view.value = (
            f"<div class='pq-wb pq-essay'><p class='pq-essay-count'>{escape(t('workbench.mark.count', n=self.position + 1, total=len(self.queue)))}</p>"
            f"<p class='pq-essay-who'>{escape(who)}{late}</p>"
            f"<h3 class='pq-essay-stem'>{escape(item.stem or t('workbench.mark.no_stem', question=item.question_id))}</h3>"
            f"<p><b>{escape(t('workbench.mark.answer'))}</b></p><div class='pq-essay-answer'>{escape(item.answer) or escape(t('workbench.mark.blank'))}</div>"
            f"<p><b>{escape(t('workbench.mark.reference'))}</b></p><div class='pq-essay-reference'>{escape(reference)}</div>"
            f"<p class='pq-essay-max'>{escape(t('workbench.mark.max', max=f'{item.max_score:g}'))}</p></div>")
        if not keep_typed:  # switching blind marking keeps what the marker has typed
            self.score.value = item.manual_score or 0
            self.comment.value = ""

    def next_essay(self):
        if self.queue:
            self.position = (self.position + 1) % len(self.queue)
        self.show_essay()

    def save_and_next(self):
        item = self.current()
        if item is None:
            return
        course = next((c for c in self.courses() if any(c.assignment_name(l) == item.assignment for l in c.lessons)), None)
        try:
            result = marking.save_mark(self.site.gradebook_url, item, self.score.value, self.comment.value, seen=self.seen)
        except marking.MarkError as exc:
            self.mark_message.value = f"<p class='pq-bad pq-mark-refused'>{escape(str(exc))}</p>"
            return
        if not result.saved:
            self.mark_message.value = f"<p class='pq-bad pq-mark-conflict'>{escape(t('workbench.mark.conflict', score=f'{result.current:g}'))}</p>"
            self.queue.pop(self.position)
            self.position = min(self.position, len(self.queue) - 1) if self.queue else 0
            self.show_essay()
            return
        problems = []
        if course is not None:
            problems = marking.refresh_learner(self.site, course, item, ledger_url=self.ins.ledger_url, roster=self.ins.roster()).problems
        saved = t("workbench.mark.saved", score=f"{item.manual_score:g}")
        extra = "".join(f"<p class='pq-bad'>{escape(p)}</p>" for p in problems)
        self.mark_message.value = f"<p class='pq-ok pq-mark-saved'>{escape(saved)}</p>{extra}"
        self.queue.pop(self.position)
        if self.position >= len(self.queue):
            self.position = 0
        self.show_essay()
        self.refresh_overview()

    # --- 统计 -------------------------------------------------------------------------------
    def _stats_page(self):
        self.stats = self.w.HTML()
        refresh = self._button(t("workbench.refresh"), "pq-stats-refresh", "")
        refresh.on_click(lambda _: self.refresh_stats())
        charts = self._button(t("workbench.st.show_charts"), "pq-stats-charts", "")
        self.charts = self.w.HTML()
        charts.on_click(lambda _: self.show_charts())  # on request: matplotlib would slow the page down
        self.refresh_stats()
        return self._box(self.w.HBox([refresh, charts]), self.stats, self.charts)

    def _branches(self) -> list[dict]:
        from ..exports import branch_summary  # 支部汇总's per-year view (offline hours included)

        if not overview.ledger_exists(self.ins.ledger_url):
            return []
        try:
            return branch_summary(self.ins.ledger_url, courses=self.courses())  # each course's result rule, as the export
        except Exception:  # an unreadable ledger: the page says there is nothing to show
            return []

    def show_charts(self):
        from ..report.charts import bars

        rows = self._branches()
        self.refresh_stats(rows)  # the table from the same read: it and the charts agree
        if not rows:
            self.charts.value = f"<p>{escape(t('workbench.none'))}</p>"
            return
        labels = [r["branch"] or "—" for r in rows]
        completion = bars(labels, [(r.get("completion") or 0) / 100 for r in rows], t("workbench.st.completion"), t("workbench.st.completion"), percent=True)
        mean = bars(labels, [(r.get("mean_score") or 0) / 100 for r in rows], t("workbench.st.mean"), t("workbench.st.mean"), percent=True)
        self.charts.value = f"<div class='pq-wb pq-charts'>{completion}{mean}</div>"

    def refresh_stats(self, rows: list[dict] | None = None):
        self.stats.value = f"<div class='pq-wb'>{branch_html(self._branches() if rows is None else rows)}</div>"

    # --- 导出 -------------------------------------------------------------------------------
    def _export_page(self):
        self.export_button = self._button(t("workbench.ex.button"), "pq-export")
        self.downloads = self.w.HTML()
        self.export_button.on_click(lambda _: self.export())
        return self._box(self.w.HTML(f"<p>{escape(t('workbench.ex.hint'))}</p>"), self.export_button, self.downloads)

    def export(self) -> list[Path]:
        """The exports, the activity tables (活动台账, 出勤明细, 三会一课, 出勤率, 量化考评, 积分) and the
        report into ~/exports; one link each, and one zip of them all."""
        from ..publish import write_exports_and_report
        from ..settings import settings

        self.export_button.disabled = True
        self.downloads.value = f"<p>{escape(t('workbench.ex.running'))}</p>"
        try:
            if not overview.ledger_exists(self.ins.ledger_url):
                self.downloads.value = f"<p class='pq-bad pq-no-ledger'>{escape(t('workbench.no_ledger'))}</p>"
                return []
            # the activity tables even where the ledger has no sessions yet (empty registers), of the report's year
            files = [Path(f) for f in write_exports_and_report(self.ins.ledger_url, self.out_dir, courses=self.courses(), activity_tables=True)]
            report = [f for f in files if f.suffix == ".html"]
            files = report + [f for f in files if f.suffix != ".html"]
            zipped = zip_files(files, self.out_dir / t("workbench.ex.zip_name"))
            links = download_links(files, Path.home(), settings().service_prefix or "/", zipped)
            self.downloads.value = f"<div class='pq-wb pq-downloads'>{links}</div>"
            return files
        except Exception as exc:
            self.downloads.value = error_html(exc)
            return []
        finally:
            self.export_button.disabled = False

    # --- 线下活动 · 学习评价 (issue 16): workbench/offline.py -------------------------------------
    def _sessions_page(self):
        from .offline import SessionsPage

        self.sessions = SessionsPage(self)
        return self.sessions.box

    def _evaluation_page(self):
        from .offline import EvaluationPage

        self.evaluation = EvaluationPage(self)
        return self.evaluation.box

    # --- 花名册 -------------------------------------------------------------------------------
    def _roster_page(self):
        self.upload = self.w.FileUpload(accept=".xlsx,.csv", multiple=False, description=t("workbench.ro.upload"),
                                        layout=self.w.Layout(width="auto", min_height="44px"))
        self.upload.add_class("pq-roster-upload")
        self.roster_result = self.w.HTML()
        self.upload.observe(lambda change: self.import_roster(), names="value")
        return self._box(self.w.HTML(f"<p>{escape(t('workbench.ro.hint'))}</p>"), self.upload, self.roster_result)

    def import_roster(self):
        import tempfile

        from ..errors import InputError
        from ..records.roster import load_roster, store_roster, sync_to_gradebook, write_roster

        if not self.upload.value:
            return
        upload = self.upload.value[0]
        name = Path(upload["name"]).name
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / name
            path.write_bytes(bytes(upload["content"]))
            try:
                people = load_roster(path)
            except InputError as exc:
                self.roster_result.value = (f"<div class='pq-wb'><p class='pq-bad'>{escape(t('workbench.ro.bad', file=name, n=len(exc.problems)))}</p>"
                                            f"{problems_html(exc.problems)}</div>")
                return
        if self.ins.roster_file is not None:
            write_roster(people, self.ins.roster_file, include_id_numbers=False)
        store_roster(people, self.ins.ledger_url)
        sync_to_gradebook(people, self.site.gradebook_url)
        self.roster_result.value = f"<p class='pq-ok pq-roster-ok'>{escape(t('workbench.ro.ok', file=name, n=len(people)))}</p>"

    # --- 发布 -------------------------------------------------------------------------------
    def _publish_page(self):
        folders = sorted(p.parent for p in Path(self.ins.courses_dir).glob("*/course.yml"))
        self.course_choice = self.w.Dropdown(options=[(f.name, str(f)) for f in folders], description=t("workbench.pu.course"),
                                             style={"description_width": "initial"})
        self.publish_button = self._button(t("workbench.pu.button"), "pq-publish")
        self.publish_result = self.w.HTML()
        self.publish_button.on_click(lambda _: self.publish())
        return self._box(self.w.HTML(f"<p>{escape(t('workbench.pu.hint'))}</p>"), self.course_choice, self.publish_button, self.publish_result)

    def publish(self):
        from ..authoring.validate import check_course
        from ..build import build_course

        folder = Path(self.course_choice.value or "")
        check = check_course(folder)
        if not check.ok:
            self.publish_result.value = (f"<div class='pq-wb'><p class='pq-bad'>{escape(t('workbench.pu.bad', n=len(check.problems)))}</p>"
                                         f"{problems_html(check.problems)}</div>")
            return
        self.publish_button.disabled = True
        try:
            self.site.prepare()
            names = []
            for built in build_course(check.course, self.site.source):
                self.site.generate_and_release(built.name)
                names.append(built.name)
            self.publish_result.value = f"<p class='pq-ok pq-publish-ok'>{escape(t('workbench.pu.ok', n=len(names), course=check.course.title))}</p>"
            self._courses = None  # the new course shows in 作业总览
            self.refresh_overview()
        except Exception as exc:
            self.publish_result.value = error_html(exc)
        finally:
            self.publish_button.disabled = False


# 保存并下一份: Ctrl+Enter anywhere on the marking page, or Enter in the score box; 跳过: Alt+N.
# Listening in the capture phase: ipywidgets' text boxes stop keydown from bubbling up. The box
# syncs its value to the kernel on "change", which a keypress does not fire: blur() fires it, and
# its update goes out on the websocket before the click does, so the kernel saves what is typed.
# Only while the marking page is visible (offsetParent), so Ctrl+Enter elsewhere saves nothing.
KEYS_JS = """
(function () {
  if (window.__pqMarkKeys) { return; }
  window.__pqMarkKeys = true;
  function visible(el) { return el && el.offsetParent !== null && !el.disabled; }
  document.addEventListener('keydown', function (e) {
    var inScore = e.target && e.target.closest && e.target.closest('.pq-mark-score');
    var save = document.querySelector('.pq-mark-save');
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey || inScore) && visible(save)) {
      e.preventDefault(); e.stopPropagation();
      var active = document.activeElement;
      if (active && active.blur) { active.blur(); }
      save.click();
    } else if (e.altKey && (e.key === 'n' || e.key === 'N')) {
      var skip = document.querySelector('.pq-mark-skip');
      if (visible(skip)) { e.preventDefault(); e.stopPropagation(); skip.click(); }
    }
  }, true);
})();
"""


def show_workbench(ins=None) -> None:
    """Display the workbench. Returns None: the notebook's last expression is shown by Voilà, and
    an object returned here would appear on the page as its Python repr."""
    from IPython.display import Javascript, display

    bench = Workbench(ins)
    links = bench.w.HTML(_links())
    display(bench.w.VBox([bench.title, links, bench.tabs]))
    display(Javascript(KEYS_JS))


def _links() -> str:
    from ..settings import settings

    prefix = settings().service_prefix or "/"
    return (f"<p class='pq-wb'><a href='{escape(prefix)}formgrader' target='_blank' rel='noopener' class='pq-formgrader'>{escape(t('workbench.formgrader'))}</a>"
            f" · <a href='{escape(prefix)}lab' target='_blank' rel='noopener' class='pq-lab'>{escape(t('workbench.lab'))}</a></p>")
