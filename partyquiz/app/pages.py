"""The learner app's pages (ipywidgets): course centre, lesson, quiz, result, 我的学习档案.

Thin over the pure core (`lessons.py`) and the edges (`catalog.py`, `exchange.py`, `records.py`,
the answer store). One kernel holds one learner's app; pages replace each other in `body`, so
moving between them costs no page load. Stable CSS classes for styling and tests:

`pq-app` root (`pq-large` with 大字号) · `pq-page-<centre|lesson|result|records>` · `pq-lesson-card`
(+ `pq-card-<assignment>-<notebook>`, `pq-state-<state>`) · `pq-action` (the big button of a
lesson) · `pq-hours` · `pq-lesson-text` / `pq-lesson-section` · `pq-quiz-intro` · `pq-start-quiz`
· `pq-nav` · `pq-flag` · `pq-submit` · `pq-confirm` (`pq-confirm-yes`, `pq-confirm-no`) ·
`pq-receipt` · `pq-verdict` · `pq-feedback-page` · `pq-records` · `pq-next`.
"""
from __future__ import annotations

import datetime as dt
import html
import json
import re
import threading
import time
from pathlib import Path
from typing import Any, Callable

import ipywidgets as w

from .. import i18n
from ..answers import AnswerStore
from ..identity import current_learner
from ..scoring import is_answered
from ..markdown import render_markdown
from ..widgets.questions import css_id
from ..widgets.quiz import QuizView
from . import lessons as core
from .agent import PageAgent
from .catalog import feedback_page, gather
from .exchange import ExchangeProblem, LearnerExchange
from .records import OwnRecords, own_records

CSS = (Path(__file__).with_name("style.css")).read_text(encoding="utf-8")
VIDEO = re.compile(r'<img([^>]*?)\ssrc="([^":]+\.(?:mp4|webm|ogv|ogg|m4v|mp3|m4a|wav))"([^>]*)>', re.I)
RELATIVE_IMG = re.compile(r'(<img[^>]*?\ssrc=")(?![a-z][a-z0-9+.-]*:|/)([^"]+)(")', re.I)
EXTERNAL_LINK = re.compile(r'(<a\s[^>]*?href="https?://[^"]*")(?![^>]*\starget=)', re.I)  # opens beside the app, never instead of it
POLL_SECONDS = 20.0  # a result page looks for new feedback this often (the instructor marked an essay)


def t(key: str, **values: object) -> str:
    return i18n.t(key, **values)


def t_of(prefix: str, name: str, **values: object) -> str:
    """A key chosen at run time (`app.state.` + state): every such key is in the catalogs."""
    return i18n.t(f"{prefix}{name}", **values)


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def card_class(entry: core.LessonEntry) -> str:
    return f"pq-card-{css_id(entry.assignment)}-{css_id(entry.notebook)}"


def fmt(number: float) -> str:
    return f"{float(number):g}"


def button(label: str, *classes: str, primary: bool = False, big: bool = False, tooltip: str = "") -> w.Button:
    b = w.Button(description=label, tooltip=tooltip or label, layout=w.Layout(width="auto", height="auto"))
    for c in classes + (("pq-primary",) if primary else ()) + (("pq-big",) if big else ()):
        b.add_class(c)
    return b


def hbox(children: list[w.Widget]) -> w.Box:
    box = w.Box(children, layout=w.Layout(display="flex", flex_flow="row wrap", width="100%"))
    box.add_class("pq-hbox")
    return box


def state_badge(state: str) -> str:
    return f"<span class='pq-state pq-s-{state}'>{esc(t_of('app.state.', state))}</span>"


# --- lesson text -----------------------------------------------------------------------------------
def files_url(path: Path, home: Path, base_url: str) -> str:
    """Voilà's file handler on the same server (media types only: `VoilaConfiguration.file_allowlist`,
    hub/frame.py; it answers range requests, so a video can be sought): media play offline."""
    from urllib.parse import quote

    return f"{base_url.rstrip('/')}/voila/files/{quote(path.resolve().relative_to(home.resolve()).as_posix())}"


def lesson_sections(notebook: Path) -> list[str]:
    """The lesson's Markdown cells (essay prompts for the grader are not lesson text). Our build
    writes format 4, read here as JSON: nbformat's reader would load jsonschema into every learner's
    kernel (≈ 4 MB, measured); an older format goes through nbformat's converter."""
    nb = json.loads(Path(notebook).read_text(encoding="utf-8"))
    if not isinstance(nb, dict) or nb.get("nbformat") != 4:
        import nbformat

        nb = nbformat.read(notebook, as_version=4)
    sections = []
    for cell in nb.get("cells") or []:
        if cell.get("cell_type") != "markdown" or (cell.get("metadata") or {}).get("nbgrader", {}).get("grade"):
            continue
        source = cell.get("source", "")
        sections.append("".join(source) if isinstance(source, list) else str(source))
    return sections


def render_lesson(sections: list[str], folder: Path, home: Path, base_url: str) -> str:
    parts = []
    for index, source in enumerate(sections):
        body = render_markdown(source, folder)

        def media(match: re.Match) -> str:
            target = (folder / match.group(2)).resolve()
            if folder.resolve() not in target.parents or not target.is_file():
                return match.group(0)
            tag = "audio" if target.suffix.lower() in (".mp3", ".m4a", ".wav") else "video"
            return f'<{tag} controls preload="metadata" src="{esc(files_url(target, home, base_url))}"></{tag}>'

        def big_image(match: re.Match) -> str:  # not inlined (too large): served by the file handler
            target = (folder / match.group(2)).resolve()
            if folder.resolve() not in target.parents or not target.is_file():
                return match.group(0)
            return f"{match.group(1)}{esc(files_url(target, home, base_url))}{match.group(3)}"

        body = EXTERNAL_LINK.sub(r'\1 target="_blank" rel="noopener noreferrer"', RELATIVE_IMG.sub(big_image, VIDEO.sub(media, body)))
        parts.append(f"<section class='pq-lesson-section' data-section='{index}'>{body}</section>")
    return f"<article class='pq-lesson-text'>{''.join(parts)}</article>"


FEEDBACK_TAGS = {"div", "p", "b", "strong", "em", "span", "h1", "h2", "h3", "br", "ul", "li", "code"}


def feedback_body(page: str) -> str:
    """The per-question part of a feedback page, cleaned (classes kept for the colours)."""
    body = re.search(r"<body[^>]*>(.*)</body>", page, re.S)
    text = body.group(1) if body else page
    text = re.sub(r"<h1>.*?</h1>", "", text, count=1, flags=re.S)
    import bleach  # here, not at the top: the course centre a learner lands on never needs it (≈ 3 MB a kernel)

    return bleach.clean(text, tags=FEEDBACK_TAGS, attributes={"*": ["class"]}, strip=True)


# --- the app ---------------------------------------------------------------------------------------
class LearnerApp:
    def __init__(self, home: Path | str, learner: str | None = None, *, exchange: LearnerExchange | None = None,
                 records: Callable[[str], OwnRecords] | None = None, base_url: str | None = None,
                 clock: Callable[[], dt.datetime] | None = None):
        from ..records.rules import load_rules
        from ..settings import settings

        s = settings()
        self.home = Path(home).resolve()
        self.learner = learner or current_learner()
        self.exchange = exchange or LearnerExchange(self.home)
        self.load_records = records or own_records
        self.base_url = base_url if base_url is not None else (s.service_prefix or "/")
        self.clock = clock or (lambda: dt.datetime.now(dt.timezone.utc).astimezone())
        self.rules = load_rules(s.rules)
        self.zone = self.rules.timezone
        self.page: Any = None
        self.entries: list[core.LessonEntry] = []
        self.own = OwnRecords()
        self.problem: str | None = None
        self.agent = PageAgent({k: t(f"app.conn.{k}") for k in ("down", "down_unsaved", "reloading", "back")},
                               on_study=self.study, on_hello=self.hello, study_seconds=s.study_report_seconds)
        self.style = w.HTML(f"<style>{CSS}</style>")
        self.brand = w.HTML()
        self.brand.add_class("pq-brand")
        self.to_centre = button(t("app.nav.centre"), "pq-nav-centre")
        self.to_records = button(t("app.nav.records"), "pq-nav-records")
        # the learner's choice, kept across reloads and devices; observed from here on, so only a click saves it
        self.large = w.ToggleButton(value=bool(load_prefs(self.home).get("large")), description=t("app.nav.large"),
                                    tooltip=t("app.nav.large"), layout=w.Layout(width="auto", height="auto"))
        self.large.add_class("pq-large-switch")
        self.to_centre.on_click(lambda _b: self.show_centre())
        self.to_records.on_click(lambda _b: self.show_records())
        bar = [self.brand, self.to_centre, self.to_records, self.large]
        logout = hub_logout_url(s.service_prefix, s.hub_user)
        if logout:  # a branch's shared terminal: the next person must not go on as this learner
            out = w.HTML(f"<a class='pq-logout' href='{esc(logout)}' target='_top'>{esc(t('app.nav.logout'))}</a>")
            out.add_class("pq-logout-box")
            bar.append(out)
        top = hbox(bar)
        top.add_class("pq-topbar")
        self.body = w.VBox([], layout=w.Layout(width="100%"))
        self.root = w.VBox([self.style, self.agent, top, self.body], layout=w.Layout(width="100%"))
        self.root.add_class("pq-app")
        if self.large.value:
            self.root.add_class("pq-large")
        self.large.observe(self._toggle_large, names="value")

    # --- plumbing --------------------------------------------------------------------------------
    def _toggle_large(self, change) -> None:
        (self.root.add_class if change["new"] else self.root.remove_class)("pq-large")
        save_prefs(self.home, large=bool(change["new"]))

    def show(self, page, route: str) -> None:
        old = self.page
        if old is not None and hasattr(old, "close"):
            old.close()
        self.page = page
        # to the top first, then the new page: it opens at its top and never jumps after it is drawn
        # (a jump under a finger lost taps on 开始答题, seen in CI)
        self.agent.scroll_to(".pq-topbar")
        self.body.children = [page.widget]
        self.agent.route(route)

    def refresh(self) -> None:
        """Ask the exchange, the answer stores and the ledger what there is (one pass)."""
        self.problem = None
        try:
            released, submitted = self.exchange.released(), self.exchange.submitted()
        except ExchangeProblem as exc:
            released, submitted, self.problem = [], [], str(exc)
        self.own = self.load_records(self.learner)
        self.entries = gather(released, submitted, self.own.records, self.learner, self.exchange.assignment_folder)
        name = self.own.person.name if self.own.person and self.own.person.name else self.learner
        self.brand.value = f"<span>{esc(t('app.brand'))} · {esc(name)}</span>"

    def entry(self, assignment: str, notebook: str) -> core.LessonEntry | None:
        return next((e for e in self.entries if e.assignment == assignment and e.notebook == notebook), None)

    def hello(self, hash_: str) -> None:
        """The page (re)loaded at `#pq/<page>/<assignment>/<notebook>`: go back there."""
        parts = hash_.lstrip("#").split("/")
        if len(parts) < 2 or parts[0] != "pq" or parts[1] == "centre":
            return
        if parts[1] == "records":
            self.show_records()
            return
        if len(parts) >= 4:
            entry = self.entry(parts[2], parts[3])
            if entry is None or not entry.fetched:
                return
            if parts[1] == "result":
                self.show_result(entry)
            elif parts[1] in ("lesson", "quiz"):
                self.show_lesson(entry, start_quiz=parts[1] == "quiz")

    def study(self, seconds: float, reached: list[str]) -> None:
        page = self.page
        if isinstance(page, LessonPage):
            page.record_study(seconds, reached)

    def today(self) -> dt.date:
        return core.local_time(self.clock(), self.zone).date()

    # --- pages ------------------------------------------------------------------------------------
    def show_centre(self) -> None:
        self.refresh()
        self.show(CentrePage(self), "#pq/centre")

    def show_lesson(self, entry: core.LessonEntry, start_quiz: bool = False) -> None:
        page = LessonPage(self, entry)
        self.show(page, f"#pq/lesson/{entry.assignment}/{entry.notebook}")
        if start_quiz:
            page.start_quiz()

    def show_result(self, entry: core.LessonEntry, receipt: core.Submission | None = None) -> None:
        self.show(ResultPage(self, entry, receipt), f"#pq/result/{entry.assignment}/{entry.notebook}")

    def show_records(self) -> None:
        self.refresh()
        self.show(RecordsPage(self), "#pq/records")

    def open_entry(self, entry: core.LessonEntry, action: str, status: w.HTML) -> None:
        """The lesson card's button: fetch from the exchange first when needed."""
        if not entry.fetched:
            status.value = f"<span role='status'>{esc(t('app.fetching'))}</span>"
            try:
                self.exchange.fetch(entry.assignment)
            except ExchangeProblem as exc:
                status.value = f"<span class='pq-alert' role='alert'>{esc(t('app.fetch_failed', error=exc))}</span>"
                return
            self.refresh()
            entry = self.entry(entry.assignment, entry.notebook) or entry
        if action == "result":
            self.show_result(entry)
        elif action == "retake":
            start_retake(entry)
            self.refresh()
            self.show_lesson(self.entry(entry.assignment, entry.notebook) or entry)
        else:
            self.show_lesson(entry)


PREFS = Path(".partyquiz") / "app.json"  # in the learner's home: follows the learner, not the device


def load_prefs(home: Path) -> dict:
    try:
        data = json.loads((home / PREFS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save_prefs(home: Path, **values: Any) -> None:
    """The learner's own choices (大字号); a write that fails only loses the preference."""
    from ..files import atomic_write_text

    try:
        atomic_write_text(home / PREFS, json.dumps({**load_prefs(home), **values}, ensure_ascii=False))
    except OSError:
        pass


def hub_logout_url(service_prefix: str | None, hub_user: str | None) -> str | None:
    """The hub's logout page, from this server's prefix (`<hub base>user/<name>/`); None outside a hub."""
    if not service_prefix or not hub_user:
        return None
    tail = f"user/{hub_user}/"
    prefix = service_prefix if service_prefix.endswith("/") else service_prefix + "/"
    base = prefix[: -len(tail)] if prefix.endswith(tail) else "/"
    return f"{base}hub/logout"


def start_retake(entry: core.LessonEntry) -> None:
    """补考: the finished attempt's answers are kept beside the new, empty sheet."""
    store = AnswerStore(Path(entry.folder), entry.notebook)
    meta = store.read_meta()
    if int(meta.get("submitted_attempt", 0)) >= int(meta.get("attempt", 1)):
        store.archive_attempt(int(meta.get("attempt", 1)))


# --- course centre ---------------------------------------------------------------------------------
def hours_html(summary: core.HoursSummary, problem: str | None, points: dict | None = None) -> str:
    if problem:
        return f"<div class='pq-card pq-hours'><p class='pq-alert' role='alert'>{esc(t('app.records_unreachable'))}</p></div>"
    notes = []
    if summary.required:
        key = "app.hours.required_period" if summary.period_years > 1 else "app.hours.required"
        label = t(key, year=summary.year, earned=fmt(summary.earned), required=fmt(summary.required), span=summary.period_years)
        notes.append(t("app.hours.missing", hours=fmt(summary.missing)) if summary.missing else t("app.hours.done"))
        if summary.missing_parts:
            notes.append(t("app.hours.parts", parts=summary.missing_parts))
        if summary.only_some_forms:
            notes.append(t("app.hours.counts", forms="、".join(summary.counts or ()), all=fmt(summary.all_hours)))
    else:
        label = t("app.hours.no_requirement", year=summary.year, earned=fmt(summary.all_hours))
    if points is not None:
        notes.append(t("app.points.line", year=points.get("year", summary.year), points=fmt(points.get("points", 0))))
    pct = round(100 * summary.fraction)
    more = "".join(f"<p class='pq-notice'>{esc(n)}</p>" for n in notes)
    return (f"<div class='pq-card pq-hours'><p><b>{esc(label)}</b></p>"
            f"<progress max='100' value='{pct}' aria-label='{esc(label)}'></progress>{more}</div>")


def points_html(points: dict | None) -> str:
    """积分 and where they came from (the rules file's `points`: lessons, passed quizzes, activities)."""
    if not points:
        return ""
    items = []
    for key, value in sorted((points.get("detail") or {}).items()):
        what = t("app.points.attendance", kind=key.split(":", 1)[1]) if key.startswith("attendance:") else t_of("app.points.", key)
        items.append(f"<li>{esc(t('app.points.detail_line', what=what, points=fmt(round(float(value), 2))))}</li>")
    head = t("app.points.line", year=points.get("year", ""), points=fmt(points.get("points", 0)))
    body = f"<ul>{''.join(items)}</ul>" if items else f"<p>{esc(t('app.points.none'))}</p>"
    return f"<div class='pq-card pq-points'><p><b>{esc(head)}</b></p>{body}</div>"


def offline_html(standing: dict | None) -> str:
    """The offline activities the learner attended (三会一课, 党课, 集中培训 …) and their hours."""
    rows = (standing or {}).get("offline") or []
    if not rows:
        return ""
    labels = [t(k) for k in ("app.offline.date", "app.offline.title", "app.offline.kind", "app.records.hours")]
    lines = [(core.chinese_date(r.get("date")), r.get("title", ""), r.get("kind", ""), fmt(r.get("hours", 0))) for r in rows]
    return f"<h2>{esc(t('app.offline.title_section'))}</h2>{table_html(labels, lines, 'pq-offline')}"


def table_html(labels: list[str], lines: list[tuple], css: str) -> str:
    """A table whose cells carry their column's label (`data-label`: on a phone each row is shown
    as a card of label: value)."""
    head = "".join(f"<th scope='col'>{esc(label)}</th>" for label in labels)
    body = "".join("<tr>" + "".join(f"<td data-label='{esc(labels[i])}'>{esc(v)}</td>" for i, v in enumerate(line)) + "</tr>"
                   for line in lines)
    return f"<table class='pq-table {css}'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def lesson_facts(entry: core.LessonEntry, zone: str) -> str:
    kind = "required" if entry.required else "elective"
    facts = [f"<li><span class='pq-tag pq-tag-{kind}'>{esc(t('app.' + kind))}</span></li>",
             f"<li>{esc(t('app.hours_of', hours=fmt(entry.hours)))}</li>"]
    if entry.deadline:
        facts.append(f"<li>{esc(t('app.deadline', date=core.chinese_date(entry.deadline)))}</li>")
    if entry.attempts_allowed > 1:
        facts.append(f"<li>{esc(t('app.attempts_of', used=entry.attempts_used, allowed=entry.attempts_allowed))}</li>")
    return f"<ul class='pq-facts'>{''.join(facts)}</ul>"


ACTION_LABEL = {"start": "app.action.start", "continue": "app.action.continue", "result": "app.action.result", "retake": "app.action.retake"}


class CentrePage:
    def __init__(self, app: LearnerApp):
        self.app = app
        rows: list[w.Widget] = [w.HTML(f"<h1>{esc(t('app.centre.title'))}</h1>")]
        summary = core.hours_summary(app.own.standing, app.rules.year_of(app.today()))
        rows.append(w.HTML(hours_html(summary, app.own.problem, app.own.points)))
        if app.problem:
            rows.append(w.HTML(f"<p class='pq-alert' role='alert'>{esc(t('app.exchange_failed', error=app.problem))}</p>"))
        if not app.entries:
            rows.append(w.HTML(f"<p class='pq-card'>{esc(t('app.centre.none'))}</p>"))
        course = None
        for entry in app.entries:
            if entry.course_title != course:
                course = entry.course_title
                rows.append(w.HTML(f"<h2 class='pq-course-head'>{esc(course)}</h2>"))
            rows.append(self.card(entry))
        self.widget = w.VBox(rows, layout=w.Layout(width="100%"))
        self.widget.add_class("pq-page-centre")

    def card(self, entry: core.LessonEntry) -> w.Widget:
        state = core.lesson_state(entry)
        action = core.action_for(entry)
        info = w.HTML(f"<div><p class='pq-lesson-title'>{esc(entry.title)} {state_badge(state)}</p>{lesson_facts(entry, self.app.zone)}</div>")
        status = w.HTML()
        go = button(t(ACTION_LABEL[action]), "pq-action", f"pq-action-{action}", primary=True, big=True,
                    tooltip=t(ACTION_LABEL[action]) + "：" + entry.title)
        go.on_click(lambda _b: self._open(go, entry, action, status))
        parts: list[w.Widget] = [info, go]
        if action == "retake":
            see = button(t("app.action.result"), "pq-action-result-secondary")
            see.on_click(lambda _b: self.app.show_result(entry))
            parts.append(see)
        parts.append(status)
        box = w.VBox(parts, layout=w.Layout(width="100%"))
        for c in ("pq-card", "pq-lesson-card", card_class(entry), f"pq-state-{state}"):
            box.add_class(c)
        return box

    def _open(self, go: w.Button, entry: core.LessonEntry, action: str, status: w.HTML) -> None:
        go.disabled = True
        try:
            self.app.open_entry(entry, action, status)
        finally:
            go.disabled = False


# --- lesson + quiz ---------------------------------------------------------------------------------
class LessonPage:
    def __init__(self, app: LearnerApp, entry: core.LessonEntry):
        self.app, self.entry = app, entry
        self.folder = Path(entry.folder)
        self.store = AnswerStore(self.folder, entry.notebook)
        self.sections = lesson_sections(self.folder / f"{entry.notebook}.ipynb")
        self.quiz: AppQuiz | None = None
        self._study_lock = threading.Lock()
        back = button(t("app.back"), "pq-back")
        back.on_click(lambda _b: app.show_centre())
        jump = button(t("app.jump_to_quiz"), "pq-jump")
        jump.on_click(lambda _b: app.agent.scroll_to(".pq-quiz-area"))
        head = w.HTML(f"<h1>{esc(entry.title)}</h1><p class='pq-notice'>{esc(entry.course_title)}</p>{lesson_facts(entry, app.zone)}")
        text = w.HTML(render_lesson(self.sections, self.folder, app.home, app.base_url))
        self.quiz_area = w.VBox([], layout=w.Layout(width="100%"))
        self.quiz_area.add_class("pq-quiz-area")
        self.widget = w.VBox([hbox([back] + ([jump] if (self.folder / f"{entry.notebook}.quiz.json").exists() else [])),
                              head, text, self.quiz_area], layout=w.Layout(width="100%"))
        self.widget.add_class("pq-page-lesson")
        self.show_intro()

    # study time and sections reached, for hours credited by study (announced on the board)
    def record_study(self, seconds: float, reached: list[str]) -> None:
        now = self.app.clock().isoformat(timespec="seconds")

        def change(meta: dict) -> None:
            study = dict(meta.get("study") or {})
            study["active_seconds"] = round(float(study.get("active_seconds", 0)) + seconds, 1)
            seen = {int(s) for s in study.get("sections_reached", []) if str(s).isdigit()}
            seen |= {int(s) for s in reached if s.isdigit() and int(s) < len(self.sections)}
            study["sections_reached"] = sorted(seen)
            study["sections_total"] = len(self.sections)
            study.setdefault("first_active_at", now)
            study["last_active_at"] = now
            meta["study"] = study

        with self._study_lock:
            try:
                self.store.update_meta(change)
            except OSError:
                pass  # the next report carries on; answers matter more than minutes

    def close(self) -> None:
        if self.quiz is not None:
            self.quiz.stop()

    def show_intro(self) -> None:
        entry = self.entry
        if not (self.folder / f"{entry.notebook}.quiz.json").exists():
            self.quiz_area.children = []
            return
        facts = [(t("app.quiz.questions"), t("app.quiz.questions_value", n=entry.n_questions, points=fmt(entry.max_score))),
                 (t("app.quiz.pass_mark"), t("app.quiz.pass_mark_value", points=fmt(entry.max_score * entry.pass_mark / 100), percent=fmt(entry.pass_mark)))]
        if entry.time_limit:
            key = "app.quiz.time_limit_submit" if entry.time_up == "submit" else "app.quiz.time_limit_late"
            facts.append((t("app.quiz.time_limit"), t(key, minutes=fmt(entry.time_limit))))
        facts.append((t("app.quiz.attempts"), t("app.quiz.attempts_value", attempt=entry.attempt, allowed=entry.attempts_allowed,
                                                 counts=t_of("app.quiz.counts.", entry.counts))))
        dl = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in facts)
        intro = w.HTML(f"<h2 id='pq-quiz-start'>{esc(t('app.quiz.title'))}</h2><dl>{dl}</dl>")
        submitted = entry.current_submitted
        label = "app.quiz.see_result" if submitted else ("app.quiz.resume" if self.store.started_at() else "app.quiz.start")
        start = button(t(label), "pq-start-quiz", primary=True, big=True)
        start.on_click(lambda _b: self.app.show_result(entry) if submitted else self.start_quiz())
        box = w.VBox([intro, start], layout=w.Layout(width="100%"))
        for c in ("pq-card", "pq-quiz-intro"):
            box.add_class(c)
        self.quiz_area.children = [box]

    def start_quiz(self) -> None:
        if self.entry.current_submitted:
            self.app.show_result(self.entry)
            return
        if self.quiz is None:
            self.quiz = AppQuiz(self)
        self.quiz_area.children = [self.quiz.widget]
        self.app.agent.route(f"#pq/quiz/{self.entry.assignment}/{self.entry.notebook}")
        self.app.agent.scroll_to(".pq-quiz-area")
        self.quiz.check_deadline()


class AppQuiz(QuizView):
    """The quiz of the app: a numbered navigator, flags, 交卷 with confirmation, countdown that
    submits at zero (or marks late, as the quiz says), exactly one submission per attempt."""

    def __init__(self, page: LessonPage):
        self.page, self.entry = page, page.entry
        self.seq = 0
        self.flags: set[str] = set()
        self.failed: set[str] = set()
        self.submit_lock = threading.Lock()
        self.submitted = False
        self.stopped = threading.Event()
        super().__init__(f"{page.entry.notebook}.quiz.json", page.folder, page.app.learner, clock=page.app.clock)
        self.store.meta["attempt"] = page.entry.attempt
        self.nav = w.HTML()
        self.nav.add_class("pq-nav-box")
        for number, view in enumerate(self.views, 1):
            view.stem.value = f"<span id='pq-q-{number}' class='pq-anchor'></span>" + view.stem.value
            flag = w.ToggleButton(value=False, description=t("app.quiz.flag"), tooltip=t("app.quiz.flag_tip", n=number),
                                  layout=w.Layout(width="auto", height="auto"))
            flag.add_class("pq-flag")
            flag.observe(lambda change, qid=view.qid: self.set_flag(qid, change["new"]), names="value")
            view.box.children = tuple(view.box.children) + (flag,)
        self.submit_button = button(t("app.quiz.submit"), "pq-submit", primary=True, big=True)
        self.submit_button.on_click(lambda _b: self.ask_confirm())
        self.confirm = w.VBox([], layout=w.Layout(width="100%"))
        self.status = w.HTML()
        sticky = w.VBox([self.progress, self.timer, self.nav], layout=w.Layout(width="100%"))
        sticky.add_class("pq-sticky")
        children = [c for c in self.widget.children if c is not self.progress and c is not self.timer]
        self.widget.children = [children[0], sticky] + children[1:] + [self.submit_button, self.confirm, self.status]
        self.refresh_nav()
        self.refresh_timer()
        threading.Thread(target=self._tick, name="partyquiz-app-timer", daemon=True).start()

    # --- saving: confirmed by the kernel, retried when the disk said no ----------------------------
    def save(self, view):
        answer = super().save(view)
        self.seq += 1
        label = view.saved_label.value.replace("<span ", f"<span data-seq='{self.seq}' ", 1)
        view.saved_label.value = label
        (self.failed.discard if answer is not None else self.failed.add)(view.qid)
        if answer is not None and self.submitted:
            pass
        self.refresh_nav()
        return answer

    def _tick(self) -> None:
        while not self.stopped.wait(1.0):
            for view in [v for v in self.views if v.qid in self.failed]:
                self.save(view)  # the disk refused: try again every second, the label says so meanwhile
            if not self.submitted:
                self.refresh_timer()
                self.check_deadline()

    def stop(self) -> None:
        self.stopped.set()

    def check_deadline(self) -> None:
        deadline = self.deadline()
        if deadline is not None and self.clock() >= deadline and self.quiz.time_up == "submit" and not self.submitted:
            self.submit(auto=True)

    def refresh_timer(self) -> bool:
        going = super().refresh_timer()
        if not going and self.deadline() is not None and self.quiz.time_up == "submit":
            self.timer.value = f"<span class='pq-time-up' role='alert'>{esc(t('app.quiz.time_up_submit'))}</span>"
        return going

    # --- navigator and flags ----------------------------------------------------------------------
    def set_flag(self, qid: str, on: bool) -> None:
        (self.flags.add if on else self.flags.discard)(qid)
        self.refresh_nav()

    def refresh_nav(self) -> None:
        links = []
        for number, qid in enumerate(self.drawn, 1):
            answered = qid in self.answered
            css = ["pq-nav-answered" if answered else "pq-nav-open"] + (["pq-nav-flagged"] if qid in self.flags else [])
            state = t("app.quiz.nav_answered" if answered else "app.quiz.nav_open") + (t("app.quiz.nav_flagged") if qid in self.flags else "")
            links.append(f"<a href='#pq-q-{number}' class='{' '.join(css)}' aria-label='{esc(t('app.quiz.nav_item', n=number, state=state))}' "
                         f"onclick=\"event.preventDefault();document.getElementById('pq-q-{number}').closest('.pq-question').scrollIntoView()\">{number}</a>")
        legend = t("app.quiz.nav_legend")
        self.nav.value = f"<nav class='pq-nav' aria-label='{esc(t('app.quiz.nav'))}'>{''.join(links)}</nav><p class='pq-nav-legend'>{esc(legend)}</p>"

    # --- 交卷 ----------------------------------------------------------------------------------------
    def unanswered(self) -> list[int]:
        return [n for n, qid in enumerate(self.drawn, 1) if qid not in self.answered]

    def ask_confirm(self) -> None:
        if self.submitted:
            return
        missing = self.unanswered()
        flagged = [n for n, qid in enumerate(self.drawn, 1) if qid in self.flags]
        lines = [t("app.quiz.confirm_missing", n=len(missing), numbers="、".join(map(str, missing))) if missing else t("app.quiz.confirm_all")]
        if flagged:
            lines.append(t("app.quiz.confirm_flagged", numbers="、".join(map(str, flagged))))
        lines.append(t("app.quiz.confirm_final"))
        text = w.HTML("<div role='alertdialog' aria-live='assertive'>" + "".join(f"<p>{esc(line)}</p>" for line in lines) + "</div>")
        yes = button(t("app.quiz.confirm_yes"), "pq-confirm-yes", primary=True, big=True)
        no = button(t("app.quiz.confirm_no"), "pq-confirm-no", big=True)
        yes.on_click(lambda _b: self.submit())
        no.on_click(lambda _b: setattr(self.confirm, "children", []))
        box = w.VBox([text, hbox([yes, no])], layout=w.Layout(width="100%"))
        for c in ("pq-card", "pq-confirm"):
            box.add_class(c)
        self.confirm.children = [box]
        self.page.app.agent.scroll_to(".pq-confirm")

    def lock(self) -> None:
        for view in self.views:
            view.control.set_disabled(True)
        self.submit_button.disabled = True
        for box in self.confirm.children:
            for child in getattr(box, "children", []):
                for b in getattr(child, "children", []):
                    if isinstance(b, w.Button):
                        b.disabled = True

    def submit(self, auto: bool = False) -> None:
        """Exactly once per attempt, whatever arrives twice (a double tap, the countdown)."""
        with self.submit_lock:
            if self.submitted:
                return
            self.submitted = True
        self.lock()
        self.status.value = f"<p role='status'>{esc(t('app.quiz.submitting'))}</p>"
        entry, app = self.entry, self.page.app
        when = self.clock().isoformat(timespec="seconds")
        answered, total = len(self.answered & set(self.drawn)), len(self.drawn)
        record = {"attempt": entry.attempt, "submitted_at": when, "answered": answered, "total": total, "auto": auto}
        try:
            before = {s.get("timestamp") for a in app.exchange.submitted() if a["assignment_id"] == entry.assignment for s in a.get("submissions", [])}
            self.store.update_meta(lambda meta: _add_attempt(meta, record, entry.attempt), start_clock=True)
            app.exchange.submit(entry.assignment)
            after = [s.get("timestamp") for a in app.exchange.submitted() if a["assignment_id"] == entry.assignment for s in a.get("submissions", [])]
            stamp = next((s for s in reversed(after) if s not in before), "")
            self.store.update_meta(lambda meta: _stamp_attempt(meta, entry.attempt, stamp))
        except (ExchangeProblem, OSError) as exc:
            self.store.update_meta(lambda meta: _drop_attempt(meta, entry.attempt))
            self.submitted = False
            for view in self.views:
                view.control.set_disabled(False)
            self.submit_button.disabled = False
            self.confirm.children = []
            self.status.value = f"<p class='pq-alert' role='alert'>{esc(t('app.quiz.submit_failed', error=exc))}</p>"
            return
        self.stop()
        app.refresh()
        fresh = app.entry(entry.assignment, entry.notebook) or entry
        receipt = core.Submission(attempt=entry.attempt, submitted_at=when, answered=answered, total=total, auto=auto, timestamp=stamp)
        app.show_result(fresh, receipt)


def _add_attempt(meta: dict, record: dict, attempt: int) -> None:
    attempts = [a for a in meta.get("attempts", []) if int(a.get("attempt", 0)) != attempt]
    meta["attempts"] = attempts + [record]
    meta["attempt"] = attempt
    meta["submitted_attempt"] = attempt


def _stamp_attempt(meta: dict, attempt: int, stamp: str) -> None:
    for a in meta.get("attempts", []):
        if int(a.get("attempt", 0)) == attempt:
            a["timestamp"] = stamp


def _drop_attempt(meta: dict, attempt: int) -> None:
    meta["attempts"] = [a for a in meta.get("attempts", []) if int(a.get("attempt", 0)) != attempt]
    if int(meta.get("submitted_attempt", 0)) == attempt:
        meta.pop("submitted_attempt")


# --- result ----------------------------------------------------------------------------------------
class ResultPage:
    def __init__(self, app: LearnerApp, entry: core.LessonEntry, receipt: core.Submission | None = None):
        self.app, self.entry, self.receipt = app, entry, receipt
        self.stopped = threading.Event()
        self.content = w.VBox([], layout=w.Layout(width="100%"))
        back = button(t("app.back"), "pq-back")
        back.on_click(lambda _b: app.show_centre())
        again = button(t("app.result.refresh"), "pq-refresh")
        again.on_click(lambda _b: self.update(fetch=True))
        self.widget = w.VBox([hbox([back, again]), self.content], layout=w.Layout(width="100%"))
        self.widget.add_class("pq-page-result")
        self.update(fetch=True)
        threading.Thread(target=self._poll, name="partyquiz-feedback-poll", daemon=True).start()

    def close(self) -> None:
        self.stopped.set()

    def _poll(self) -> None:
        while not self.stopped.wait(POLL_SECONDS):
            latest = self.entry.submissions[-1] if self.entry.submissions else None
            if latest is None or (latest.outcome is not None and not latest.outcome.pending):
                continue  # nothing is waiting for the instructor
            self.update(fetch=True)

    def update(self, fetch: bool) -> None:
        entry = self.entry
        if fetch and entry.submissions:
            try:
                self.app.exchange.fetch_feedback(entry.assignment)
            except ExchangeProblem:
                pass  # no feedback yet, or the exchange is away: the page says what it knows
            self.app.refresh()
            entry = self.entry = self.app.entry(entry.assignment, entry.notebook) or entry
        self.content.children = self.build(entry)

    def build(self, entry: core.LessonEntry) -> list[w.Widget]:
        zone, rows = self.app.zone, []
        rows.append(w.HTML(f"<h1>{esc(t('app.result.title', lesson=entry.title))}</h1><p class='pq-notice'>{esc(entry.course_title)}</p>"))
        receipt = self.receipt or (entry.submissions[-1] if entry.submissions else None)
        if receipt is not None:
            auto = f"<p>{esc(t('app.result.auto_submitted'))}</p>" if receipt.auto else ""
            box = w.HTML(f"<div class='pq-card pq-receipt' role='status'><p><b>{esc(t('app.result.receipt_title'))}</b></p>"
                         f"<p>{esc(core.receipt_text(entry, receipt, zone, t))}</p>{auto}</div>")
            rows.append(box)
        state = core.lesson_state(entry)
        latest = entry.submissions[-1] if entry.submissions else None
        outcome = latest.outcome if latest else None
        if outcome is not None:
            rows.append(w.HTML(self.verdict(entry, outcome, state)))
            page = feedback_page(Path(entry.folder), entry.notebook, latest.timestamp)
            if page is not None:
                rows.append(w.HTML(f"<h2>{esc(t('app.result.per_question'))}</h2><div class='pq-feedback-page'>{feedback_body(page.read_text(encoding='utf-8'))}</div>"))
        elif entry.record is not None:
            rows.append(w.HTML(self.verdict(entry, core.Outcome(float(entry.record.get('score') or 0), float(entry.record.get('max_score') or 0)), state)))
        elif latest is not None:
            rows.append(w.HTML(f"<div class='pq-card' role='status'><p>{esc(t('app.result.waiting'))}</p></div>"))
        else:
            rows.append(w.HTML(f"<div class='pq-card'><p>{esc(t('app.result.not_submitted'))}</p></div>"))
        if len(entry.submissions) > 1:
            items = "".join(f"<li>{esc(t('app.result.attempt_line', attempt=s.attempt, when=core.chinese_datetime(s.submitted_at, zone), result=self.short(s)))}</li>"
                            for s in entry.submissions)
            rows.append(w.HTML(f"<div class='pq-card'><p><b>{esc(t('app.result.attempts', counts=t_of('app.quiz.counts.', entry.counts)))}</b></p><ul>{items}</ul></div>"))
        if state == "retake":
            again = button(t("app.action.retake"), "pq-retake", primary=True, big=True)
            again.on_click(lambda _b: self.app.open_entry(entry, "retake", w.HTML()))
            rows.append(again)
        records = button(t("app.nav.records"), "pq-to-records", big=True)
        records.on_click(lambda _b: self.app.show_records())
        rows.append(records)
        return rows

    @staticmethod
    def short(submission: core.Submission) -> str:
        o = submission.outcome
        if o is None:
            return t("app.state.submitted")
        if o.pending:
            return t("app.state.marking")
        return t("app.result.score_short", score=fmt(o.score), max=fmt(o.max_score))

    def verdict(self, entry: core.LessonEntry, outcome: core.Outcome, state: str) -> str:
        mark = entry.pass_mark
        lines = [f"<p>{esc(t('app.result.total', score=fmt(round(outcome.score, 2)), max=fmt(outcome.max_score), percent=fmt(round(outcome.percent, 1))))}</p>",
                 f"<p>{esc(t('app.result.pass_mark', points=fmt(round(outcome.max_score * mark / 100, 2)), percent=fmt(mark)))}</p>"]
        if outcome.pending:
            word, css = t("app.state.marking"), ""
            lines.append(f"<p class='pq-notice'>{esc(t('app.result.pending', n=outcome.pending))}</p>")
        elif state == "passed":
            word, css = t("app.state.passed"), "pq-pass"
        else:
            word, css = t("app.state.failed"), "pq-fail"
            if entry.attempts_left:
                lines.append(f"<p>{esc(t('app.result.can_retake', left=entry.attempts_left))}</p>")
        head = f"<p class='pq-verdict {css}'>{esc(word)}</p>"
        return f"<div class='pq-card pq-result' role='status'>{head}{''.join(lines)}</div>"


# --- 我的学习档案 ----------------------------------------------------------------------------------
class RecordsPage:
    def __init__(self, app: LearnerApp):
        self.app = app
        zone, today = app.zone, app.today()
        rows: list[w.Widget] = [w.HTML(f"<h1>{esc(t('app.records.title'))}</h1>")]
        summary = core.hours_summary(app.own.standing, app.rules.year_of(today))
        rows.append(w.HTML(hours_html(summary, app.own.problem)))
        if app.own.points is not None:
            rows.append(w.HTML(points_html(app.own.points)))
        years = core.hours_by_year(app.own.standing)
        if years:
            items = "".join(f"<li>{esc(t('app.records.year_line', year=y, hours=fmt(h)))}</li>" for y, h in years.items())
            rows.append(w.HTML(f"<div class='pq-card'><p><b>{esc(t('app.records.by_year'))}</b></p><ul>{items}</ul></div>"))
        steps = core.next_steps(app.entries, today)
        rows.append(w.HTML(f"<h2>{esc(t('app.records.next'))}</h2>"))
        if not steps:
            rows.append(w.HTML(f"<p class='pq-card pq-next'>{esc(t('app.records.next_none'))}</p>"))
        for kind, entry in steps[:8]:
            label = t_of("app.records.next.", kind, lesson=entry.title, course=entry.course_title,
                      deadline=core.chinese_date(entry.deadline) if entry.deadline else "")
            go = button(t(ACTION_LABEL["retake" if kind == "retake" else ("continue" if kind == "continue" else "start")]), "pq-next-go", primary=True)
            action = "retake" if kind == "retake" else ("continue" if kind == "continue" else "start")
            status = w.HTML()
            go.on_click(lambda _b, e=entry, a=action, s=status: app.open_entry(e, a, s))
            box = w.VBox([w.HTML(f"<p>{esc(label)}</p>"), go, status], layout=w.Layout(width="100%"))
            for c in ("pq-card", "pq-next"):
                box.add_class(c)
            rows.append(box)
        rows.append(w.HTML(self.table(app.entries, app.own.records, zone, (app.own.standing or {}).get("by_course") or {})))
        offline = offline_html(app.own.standing)
        if offline:
            rows.append(w.HTML(offline))
        self.widget = w.VBox(rows, layout=w.Layout(width="100%"))
        self.widget.add_class("pq-page-records")

    def table(self, entries: list[core.LessonEntry], records: list[dict], zone: str, course_hours: dict[str, dict]) -> str:
        """One table per course (by id: two courses may share a title), with the hours it credits."""
        titles = {(str(e.course_id), e.notebook): e for e in entries}
        courses: dict[str, dict[str, Any]] = {}  # course id → title, lines, hours of the passed lessons
        seen = set()
        for r in records:
            cid = str(r.get("course_id"))
            key = (cid, r.get("lesson_id"))
            seen.add(key)
            e = titles.get(key)
            title = e.course_title if e else str((course_hours.get(cid) or {}).get("title") or cid)
            course = courses.setdefault(cid, {"title": title, "lines": [], "hours": 0.0})
            lesson = e.title if e else str(r.get("lesson_id"))
            result = t("app.state.passed") if r.get("passed") else t("app.state.failed")
            score = t("app.result.score_short", score=fmt(round(float(r.get("score") or 0), 2)), max=fmt(float(r.get("max_score") or 0)))
            hours = fmt(float(r.get("hours") or 0)) if r.get("passed") else "0"
            when = core.chinese_date(str(r.get("completed_at") or ""), zone)
            course["lines"].append((lesson, result, score, hours, when))
            course["hours"] += float(r.get("hours") or 0) if r.get("passed") else 0.0
        for e in entries:  # lessons with no record yet, so the learner sees what is missing
            if (str(e.course_id), e.notebook) not in seen:
                course = courses.setdefault(str(e.course_id), {"title": e.course_title, "lines": [], "hours": 0.0})
                course["lines"].append((e.title, t_of("app.state.", core.lesson_state(e)), "", "0", ""))
        if not courses:
            return f"<p class='pq-card'>{esc(t('app.records.none'))}</p>"
        labels = [t(k) for k in ("app.records.lesson", "app.records.result", "app.records.score", "app.records.hours", "app.records.date")]
        parts = []
        for cid, course in courses.items():
            credited = course_hours.get(cid)  # as the exports credit it (material learnt twice counts once)
            total = t("app.records.course_hours", hours=fmt(round(float(credited["hours"]) if credited else course["hours"], 2)))
            parts.append(f"<h2>{esc(course['title'])}</h2>{table_html(labels, course['lines'], 'pq-records')}<p>{esc(total)}</p>")
        return "".join(parts)
