"""线下活动 and 学习评价: the workbench's faces over the records library (issue 16).

线下活动: enter one session (kind, title, date, length, organiser, branch, form) and tick who
attended (or was on leave) from the branch's roster, or upload the 签到表 spreadsheets branches
already keep (xlsx / csv, GBK too): a bad sheet stores nothing and its problems are listed with
their rows; the good ones go on. 学习评价: 学风、纪律 and 评语 per person and year.

Everything is stored by `records.activities` / `records.evaluation` (one transaction a session,
hours credited by the rules file); these pages only collect the fields and show the answers.
"""
from __future__ import annotations

import datetime as dt
import math
from html import escape
from pathlib import Path

from ..i18n import t
from . import overview
from .parts import table_html, error_html, problems_html

# How a session was held (free text in the ledger; these are the usual ones, the box takes others).
FORMS = ("现场", "线上", "站点集中收看")
PRESENT, LEAVE = "attended", "leave"


def this_year(now: dt.datetime | None = None) -> int:
    """The counting year as the hour rules see today (Beijing time by default). `now`: naive UTC."""
    from ..records.rules import load_rules

    try:
        rules = load_rules()
        # year_of takes a local time: UTC is still last year until 08:00 on 1 January in Beijing
        return rules.year_of(rules.local(now or dt.datetime.now(dt.timezone.utc).replace(tzinfo=None))) or dt.date.today().year
    except Exception:  # unreadable rules: the calendar year; the page still opens
        return dt.date.today().year


def roster_people(bench) -> list:
    """Members the ledger knows (on the current roster); the roster file when the ledger has none
    yet. Read without creating a ledger: choosing a tab writes nothing."""
    from ..records import ledger as L

    url = bench.ins.ledger_url
    if overview.ledger_exists(url):
        import sqlalchemy as sa

        engine = sa.create_engine(url)
        try:
            with engine.connect() as conn:
                people = L.load_learners(conn, members_only=True)
        except sa.exc.SQLAlchemyError:
            people = []
        finally:
            engine.dispose()
        if people:
            return people
    return list(bench.ins.roster() or [])


def ensure_people_in_ledger(bench, ids: set[str]) -> None:
    """Before storing attendance or an evaluation: the people must be in the ledger (the exports
    join on it). A roster that was never imported there is stored now, as 花名册 would."""
    from ..records import ledger as L
    from ..records.roster import store_roster

    known: set[str] = set()
    if overview.ledger_exists(bench.ins.ledger_url):
        import sqlalchemy as sa

        with L.engine_for(bench.ins.ledger_url) as engine, engine.connect() as conn:
            known = {r[0] for r in conn.execute(sa.select(L.learners.c.id))}
    if ids - known:
        roster = bench.ins.roster() or []
        if roster:
            store_roster(roster, bench.ins.ledger_url, replace=not known)





class SessionsPage:
    """One session entered by hand with its attendance, or 签到表 files uploaded."""

    def __init__(self, bench):
        from ..records.activities import load_activity_rules

        self.bench, w = bench, bench.w
        self.rules = load_activity_rules()
        self.people = roster_people(bench)
        branches = sorted({p.branch for p in self.people if p.branch})
        self.kind = w.Dropdown(options=list(self.rules.kinds), description=t("workbench.se.kind"), style={"description_width": "initial"})
        self.kind.add_class("pq-se-kind")
        self.title = w.Text(description=t("workbench.se.title"), placeholder=t("workbench.se.title_hint"), style={"description_width": "initial"},
                            layout=w.Layout(width="100%"))
        self.title.add_class("pq-se-title")
        self.date = w.DatePicker(value=dt.date.today(), description=t("workbench.se.date"), style={"description_width": "initial"})
        self.date.add_class("pq-se-date")
        self.length = w.FloatText(value=2, step=0.5, description=t("workbench.se.length"), style={"description_width": "initial"},
                                  layout=w.Layout(width="14em"))
        self.length.add_class("pq-se-length")
        self.unit = w.Dropdown(options=[(t("workbench.se.hours"), "hours"), (t("workbench.se.days"), "days")], layout=w.Layout(width="8em"))
        self.unit.add_class("pq-se-unit")
        self.organiser = w.Text(description=t("workbench.se.organiser"), style={"description_width": "initial"})
        self.organiser.add_class("pq-se-organiser")
        self.branch = w.Dropdown(options=branches, description=t("workbench.se.branch"), style={"description_width": "initial"})
        self.branch.add_class("pq-se-branch")
        self.form = w.Combobox(options=FORMS, value=FORMS[0], description=t("workbench.se.form"), ensure_option=False,
                               style={"description_width": "initial"})
        self.form.add_class("pq-se-form")
        self.everyone = bench._button(t("workbench.se.all_present"), "pq-se-all", "")
        self.everyone.on_click(lambda _: self.tick_all())
        self.attendees = w.VBox(layout=w.Layout(max_height="24em", overflow_y="auto"))
        self.attendees.add_class("pq-se-people")
        self.save_button = bench._button(t("workbench.se.save"), "pq-se-save")
        self.save_button.on_click(lambda _: self.save())
        self.message = bench.html("", "pq-se-message")
        self.upload = w.FileUpload(accept=".xlsx,.csv", multiple=True, description=t("workbench.se.upload"),
                                   layout=w.Layout(width="auto", min_height="44px"))
        self.upload.add_class("pq-se-upload")
        self.upload.observe(lambda _: self.import_sheets(), names="value")
        self.upload_result = bench.html("", "pq-se-upload-result")
        self.listing = bench.html("", "pq-se-list")
        self.rows: dict[str, tuple] = {}
        self.branch.observe(lambda _: self.show_people(), names="value")
        self.show_people()
        self.refresh_list()
        empty = "" if self.people else f"<p class='pq-bad'>{escape(t('workbench.se.no_roster'))}</p>"
        self.box = bench._box(
            w.HTML(f"<h3>{escape(t('workbench.se.enter'))}</h3>{empty}"), self.kind, self.title, self.date,
            w.HBox([self.length, self.unit]), self.organiser, self.branch, self.form,
            w.HTML(f"<p>{escape(t('workbench.se.tick'))}</p>"), self.everyone, self.attendees, self.save_button, self.message,
            w.HTML(f"<h3>{escape(t('workbench.se.sheets'))}</h3><p>{escape(t('workbench.se.sheets_hint'))}</p>"),
            self.upload, self.upload_result, w.HTML(f"<h3>{escape(t('workbench.se.list'))}</h3>"), self.listing)

    # --- attendance by ticking ---------------------------------------------------------------
    def members(self) -> list:
        return [p for p in self.people if p.branch == self.branch.value]

    def show_people(self) -> None:
        w = self.bench.w
        self.rows = {}
        boxes = []
        for p in self.members():
            present = w.Checkbox(value=False, description=f"{p.name}（{p.id}）", indent=False, layout=w.Layout(width="16em"))
            present.add_class("pq-se-present")
            leave = w.Checkbox(value=False, description=t("workbench.se.leave"), indent=False, layout=w.Layout(width="6em"))
            leave.add_class("pq-se-leave")
            self.rows[p.id] = (present, leave)
            boxes.append(w.HBox([present, leave]))
        self.attendees.children = boxes

    def tick_all(self) -> None:
        for present, leave in self.rows.values():
            present.value, leave.value = True, False

    def attendance(self) -> list:
        """Ticked: 出席; 请假 ticked: on leave; neither: absent (the register counts them)."""
        from ..records.activities import ABSENT, Attendance

        return [Attendance(learner_id=pid, status=PRESENT if present.value else (LEAVE if leave.value else ABSENT))
                for pid, (present, leave) in self.rows.items()]

    def session(self):
        """The session the form describes; ValueError with what to fix."""
        from ..records.activities import Session

        title = (self.title.value or "").strip()
        if not title:
            raise ValueError(t("workbench.se.need_title"))
        if self.date.value is None:
            raise ValueError(t("workbench.se.need_date"))
        if not self.branch.value:
            raise ValueError(t("workbench.se.need_branch"))
        length = self.length.value
        if length is None or not length > 0 or length > (30 if self.unit.value == "days" else 24):
            raise ValueError(t("workbench.se.need_length"))
        kind = self.kind.value
        days, hours = (float(length), None) if self.unit.value == "days" else (None, float(length))
        end = self.date.value + dt.timedelta(days=math.ceil(days) - 1) if days and days > 1 else None
        return Session(kind=kind, title=title, date=self.date.value, end_date=end, days=days, clock_hours=hours,
                       organiser=(self.organiser.value or "").strip(), branch=self.branch.value,
                       form=(self.form.value or "").strip() or self.rules.form_of(kind), source=t("workbench.se.source"))

    def save(self) -> None:
        from ..records.activities import store_session

        try:
            session = self.session()
        except ValueError as exc:
            self.message.value = f"<p class='pq-bad pq-se-refused'>{escape(str(exc))}</p>"
            return
        attendance = self.attendance()
        self.save_button.disabled = True
        try:
            ensure_people_in_ledger(self.bench, {a.learner_id for a in attendance})
            stored = store_session(self.bench.ins.ledger_url, session, attendance)
        except Exception as exc:  # nothing was stored (one transaction); say so
            self.message.value = error_html(exc)
            return
        finally:
            self.save_button.disabled = False
        counts = {s: sum(a.status == s for a in attendance) for s in (PRESENT, LEAVE)}
        self.message.value = (f"<p class='pq-ok pq-se-saved'>{escape(t('workbench.se.saved', title=stored.title, present=counts[PRESENT], leave=counts[LEAVE], absent=len(attendance) - counts[PRESENT] - counts[LEAVE], hours=f'{self.rules.hours_for(stored):g}'))}</p>")
        self.refresh_list()

    # --- 签到表 ---------------------------------------------------------------------------------
    def import_sheets(self) -> None:
        import tempfile

        from ..records.activities import import_attendance

        files = list(self.upload.value or ())
        if not files:
            return
        with tempfile.TemporaryDirectory() as tmp:
            paths = []
            for upload in files:
                path = Path(tmp) / Path(upload["name"]).name
                path.write_bytes(bytes(upload["content"]))
                paths.append(path)
            try:
                ensure_people_in_ledger(self.bench, {p.id for p in self.people})
                results = import_attendance(self.bench.ins.ledger_url, paths)
            except Exception as exc:
                self.upload_result.value = error_html(exc)
                return
        parts = []
        for result in results:
            name = Path(result.file).name
            if result.stored:
                c = result.counts
                parts.append(f"<p class='pq-ok pq-se-sheet-ok'>{escape(t('workbench.se.sheet_ok', file=name, title=result.session.title, present=c[PRESENT], leave=c[LEAVE], absent=c['absent']))}</p>")
            else:
                parts.append(f"<p class='pq-bad pq-se-sheet-bad'>{escape(t('workbench.se.sheet_bad', file=name, n=len(result.problems)))}</p>"
                             f"{problems_html(result.problems)}")
        self.upload_result.value = f"<div class='pq-wb'>{''.join(parts)}</div>"
        self.refresh_list()

    def refresh_list(self) -> None:
        from ..records.activities import list_sessions

        if not overview.ledger_exists(self.bench.ins.ledger_url):
            self.listing.value = f"<p>{escape(t('workbench.none'))}</p>"
            return
        rows = list_sessions(self.bench.ins.ledger_url, year=self.date.value.year if self.date.value else None)
        headers = [t(f"workbench.se.col.{k}") for k in ("date", "branch", "kind", "title", "hours", "present", "leave", "absent")]
        body = [[str(r["date"]), r["branch"], r["kind"], r["title"], f"{r['hours']:g}", r["attended"], r["leave"], r["absent"]] for r in rows]
        self.listing.value = f"<div class='pq-wb'>{table_html(headers, body, 'pq-sessions') if body else escape(t('workbench.none'))}</div>"


class EvaluationPage:
    """学风、纪律 (a grade of the rules' scale) and 评语 per person and year."""

    def __init__(self, bench):
        from ..records.evaluation import load_evaluation_rules

        self.bench, w = bench, bench.w
        self.rules = load_evaluation_rules()
        self.people = roster_people(bench)
        branches = sorted({p.branch for p in self.people if p.branch})
        self.year = w.IntText(value=this_year(), description=t("workbench.ev.year"), style={"description_width": "initial"},
                              layout=w.Layout(width="14em"))
        self.year.add_class("pq-ev-year")
        self.branch = w.Dropdown(options=branches, description=t("workbench.se.branch"), style={"description_width": "initial"})
        self.branch.add_class("pq-ev-branch")
        self.person = w.Dropdown(options=[], description=t("workbench.ev.person"), style={"description_width": "initial"})
        self.person.add_class("pq-ev-person")
        grades = [(t("workbench.ev.unset"), "")] + [(g, g) for g in self.rules.qualitative]
        self.study_style = w.Dropdown(options=grades, description=t("workbench.ev.study_style"), style={"description_width": "initial"})
        self.study_style.add_class("pq-ev-study")
        self.discipline = w.Dropdown(options=grades, description=t("workbench.ev.discipline"), style={"description_width": "initial"})
        self.discipline.add_class("pq-ev-discipline")
        self.comment = w.Textarea(placeholder=t("workbench.ev.comment"), continuous_update=False, layout=w.Layout(width="100%", height="5em"))
        self.comment.add_class("pq-ev-comment")
        self.save_button = bench._button(t("workbench.ev.save"), "pq-ev-save")
        self.save_button.on_click(lambda _: self.save())
        self.message = bench.html("", "pq-ev-message")
        self.listing = bench.html("", "pq-ev-list")
        self._filling = False  # show_people is setting the person list: it shows the person itself
        self.branch.observe(lambda _: self.show_people(), names="value")
        self.person.observe(lambda _: None if self._filling else self.show_person(), names="value")
        self.year.observe(lambda _: self.show_people(), names="value")
        self.show_people()
        empty = "" if self.people else f"<p class='pq-bad'>{escape(t('workbench.se.no_roster'))}</p>"
        self.box = bench._box(w.HTML(f"<p>{escape(t('workbench.ev.hint'))}</p>{empty}"), self.year, self.branch, self.person,
                              self.study_style, self.discipline, self.comment, self.save_button, self.message, self.listing)

    def stored(self) -> dict[str, dict]:
        from ..records.evaluation import evaluations

        if not overview.ledger_exists(self.bench.ins.ledger_url):
            return {}
        return evaluations(self.bench.ins.ledger_url, int(self.year.value))

    def show_people(self) -> None:
        """The branch's people for the year: the evaluations are read once for the person and the list."""
        members = [p for p in self.people if p.branch == self.branch.value]
        keep = self.person.value
        stored = self.stored()
        self._filling = True
        try:
            self.person.options = [(f"{p.name}（{p.id}）", p.id) for p in members]
            ids = [p.id for p in members]
            # new options leave a Dropdown with nothing chosen: keep the person, else the first one
            self.person.value = keep if keep in ids else (ids[0] if ids else None)
        finally:
            self._filling = False
        self.show_person(stored)
        self.refresh_list(members, stored)

    def show_person(self, stored: dict[str, dict] | None = None) -> None:
        mine = (self.stored() if stored is None else stored).get(self.person.value or "", {})
        self.study_style.value = mine.get("study_style") if mine.get("study_style") in self.rules.qualitative else ""
        self.discipline.value = mine.get("discipline") if mine.get("discipline") in self.rules.qualitative else ""
        self.comment.value = mine.get("comment") or ""

    def save(self) -> None:
        from ..records.evaluation import record_evaluation
        from ..settings import settings

        if not self.person.value:
            self.message.value = f"<p class='pq-bad'>{escape(t('workbench.ev.need_person'))}</p>"
            return
        try:
            ensure_people_in_ledger(self.bench, {self.person.value})
            record_evaluation(self.bench.ins.ledger_url, self.person.value, int(self.year.value), study_style=self.study_style.value,
                              discipline=self.discipline.value, comment=(self.comment.value or "").strip(),
                              evaluator=settings().hub_user or "")
        except ValueError as exc:  # a grade the rules do not know, a person not on the roster
            self.message.value = f"<p class='pq-bad'>{escape(str(exc))}</p>"
            return
        except Exception as exc:  # nothing was stored (one transaction); say so
            self.message.value = error_html(exc)
            return
        name = dict((v, k) for k, v in self.person.options).get(self.person.value, self.person.value)
        self.message.value = f"<p class='pq-ok pq-ev-saved'>{escape(t('workbench.ev.saved', name=name, year=self.year.value))}</p>"
        self.refresh_list([p for p in self.people if p.branch == self.branch.value])

    def refresh_list(self, members: list, stored: dict[str, dict] | None = None) -> None:
        stored = self.stored() if stored is None else stored
        rows = [[p.name, p.id, stored[p.id]["study_style"] or "—", stored[p.id]["discipline"] or "—", stored[p.id]["comment"] or "—"]
                for p in members if p.id in stored]
        headers = [t(f"workbench.ev.col.{k}") for k in ("name", "id", "study_style", "discipline", "comment")]
        self.listing.value = f"<div class='pq-wb'>{table_html(headers, rows, 'pq-evaluations') if rows else escape(t('workbench.none'))}</div>"
