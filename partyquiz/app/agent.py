"""The page agent: a small front-end (anywidget) that keeps the page honest about its kernel.

Why: when a kernel dies, restarts, is culled or the connection drops, ipywidgets stay on screen
and accept clicks that reach nothing. The agent pings the kernel every 2 s; without an answer
for 7 s it says so (in Chinese, role=alert), marks every answer typed since the last confirmed
save as 未保存, and after 20 s reloads the page, which restores from the answer store and shows
the questions whose answer was lost. A save is confirmed only by the kernel: the question's
`pq-saved` label changes (with a new `data-seq`) after the file is on disk.

It also measures active study time (page visible and the learner active in the last minute) and
the lesson sections scrolled into view, and reports them to the kernel every `STUDY_SECONDS` (or
`settings().study_report_seconds`); and keeps the page the learner is on in the address (`#…`) so
a reload comes back to it.
"""
from __future__ import annotations

from typing import Callable

import anywidget
import traitlets

_ESM = r"""
const PING_MS = 2000, DOWN_MS = 7000, RELOAD_MS = 20000, UNSAVED_MS = 5000, IDLE_MS = 60000;
function qidOf(node) {
  const q = node && node.closest ? node.closest('.pq-question') : null;
  if (!q) return null;
  const c = [...q.classList].find(k => k.startsWith('pq-qid-'));
  return c ? c.slice(7) : null;
}
function render({ model, el }) {
  el.classList.add('pq-agent');
  const banner = document.createElement('div');
  banner.className = 'pq-conn';
  banner.setAttribute('role', 'alert');
  banner.hidden = true;
  el.appendChild(banner);
  const text = model.get('texts');
  const STUDY_MS = Math.max(1000, 1000 * model.get('study_seconds'));  // always set: STUDY_SECONDS or the setting
  let lastPong = Date.now(), downSince = null, seq = 0, reloading = false;
  const pending = {};          // qid -> time of the last change not yet confirmed
  let lastActive = Date.now(), activeMs = 0, lastTick = Date.now();
  const reached = new Set();
  const say = (msg, kind) => { banner.textContent = msg; banner.hidden = !msg; banner.dataset.kind = kind || ''; };
  const question = qid => document.querySelector('.pq-qid-' + CSS.escape(qid));
  const mark = () => {
    const now = Date.now();
    for (const [qid, since] of Object.entries(pending)) {
      const q = question(qid);
      if (!q) continue;
      q.classList.add('pq-pending');
      q.classList.toggle('pq-not-saved', now - since > UNSAVED_MS || downSince !== null);
    }
  };
  const send = msg => { try { model.send(msg); } catch (e) { /* comm gone: the ping timer notices */ } };
  // changes the learner makes; confirmed when that question's saved label changes
  const onEdit = ev => {
    // text fields sync on every keystroke ('input'); their 'change' on blur carries nothing new
    const typed = ev.target.matches && ev.target.matches('textarea, input[type=text], input:not([type])');
    if (typed ? ev.type !== 'input' : ev.type !== 'change') return;
    const qid = qidOf(ev.target);
    if (!qid) return;
    pending[qid] = Date.now();
    const lost = question(qid);
    if (lost) lost.classList.remove('pq-lost');
    mark();
  };
  document.addEventListener('input', onEdit, true);
  document.addEventListener('change', onEdit, true);
  const observer = new MutationObserver(records => {
    for (const r of records) {
      const label = r.target.closest ? r.target.closest('.pq-saved') : (r.target.parentElement && r.target.parentElement.closest('.pq-saved'));
      if (label && label.querySelector('.pq-saved-ok')) {
        const qid = qidOf(label);
        if (qid && pending[qid]) {
          delete pending[qid];
          const q = question(qid);
          if (q) q.classList.remove('pq-pending', 'pq-not-saved');
        }
      }
    }
    watchSections();
    restoreLost();
  });
  observer.observe(document.body, { subtree: true, childList: true, characterData: true });
  // study time and sections reached
  for (const ev of ['pointerdown', 'keydown', 'scroll', 'touchstart', 'wheel']) {
    window.addEventListener(ev, () => { lastActive = Date.now(); }, { passive: true, capture: true });
  }
  const seen = new IntersectionObserver(entries => {
    for (const e of entries) if (e.isIntersecting) reached.add(e.target.dataset.section);
  }, { threshold: 0.3 });
  const watched = new WeakSet();
  function watchSections() {
    for (const s of document.querySelectorAll('.pq-lesson-section')) {
      if (!watched.has(s)) { watched.add(s); seen.observe(s); }
    }
  }
  // questions whose answer a previous page could not save
  let lost = [];
  try { lost = JSON.parse(sessionStorage.getItem('pq-unsaved') || '[]'); } catch (e) { lost = []; }
  function restoreLost() {
    if (!lost.length) return;
    const left = [];
    for (const qid of lost) {
      const q = question(qid);
      if (q) q.classList.add('pq-lost'); else left.push(qid);
    }
    if (left.length < lost.length) sessionStorage.removeItem('pq-unsaved');
    lost = left;
  }
  setInterval(() => {
    const now = Date.now();
    if (document.visibilityState === 'visible' && now - lastActive < IDLE_MS) activeMs += now - lastTick;
    lastTick = now;
  }, 1000);
  setInterval(() => {
    if (downSince !== null) return;
    if (activeMs >= 1000 || reached.size) {
      send({ type: 'study', seconds: activeMs / 1000, reached: [...reached] });
      activeMs = 0; reached.clear();
    }
  }, STUDY_MS);
  model.on('msg:custom', msg => {
    if (msg.type === 'pong') {
      lastPong = Date.now();
      if (downSince !== null) { downSince = null; say(text.back, 'ok'); setTimeout(() => { if (downSince === null) say('', ''); }, 3000); mark(); }
    } else if (msg.type === 'route') {
      if (location.hash !== msg.hash) history.replaceState(null, '', msg.hash || location.pathname + location.search);
    } else if (msg.type === 'scroll') {
      // at once when the target is on the page: a later scroll would move a button under the finger
      // that is about to tap it; otherwise once the views have drawn
      const go = () => { const t = document.querySelector(msg.selector); if (t) t.scrollIntoView({ behavior: 'auto', block: 'start' }); return !!t; };
      if (!go()) setTimeout(go, 50);
    } else if (msg.type === 'reload') {
      location.reload();
    }
  });
  setInterval(() => {
    const now = Date.now();
    send({ type: 'ping', n: ++seq });
    if (now - lastPong > DOWN_MS) {
      if (downSince === null) downSince = now;
      const unsaved = Object.keys(pending);
      say(unsaved.length ? text.down_unsaved.replace('{n}', unsaved.length) : text.down, 'down');
      mark();
      if (now - downSince > RELOAD_MS && !reloading) {
        reloading = true;
        sessionStorage.setItem('pq-unsaved', JSON.stringify(unsaved));
        say(text.reloading, 'down');
        setTimeout(() => location.reload(), 1500);
      }
    } else {
      mark();
    }
  }, PING_MS);
  send({ type: 'hello', hash: location.hash });
  watchSections();
}
export default { render };
"""


STUDY_SECONDS = 15.0  # settings().study_report_seconds changes it (a test shortens it)


class PageAgent(anywidget.AnyWidget):
    _esm = _ESM
    texts = traitlets.Dict().tag(sync=True)
    study_seconds = traitlets.Float(STUDY_SECONDS).tag(sync=True)  # how often study time is reported

    def __init__(self, texts: dict[str, str], on_study: Callable[[float, list[str]], None] | None = None,
                 on_hello: Callable[[str], None] | None = None, study_seconds: float | None = None):
        super().__init__(texts=texts, study_seconds=study_seconds or STUDY_SECONDS)
        self.on_study = on_study
        self.on_hello = on_hello
        self.on_msg(self._message)

    def _message(self, _widget, content, _buffers) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "ping":
            self.send({"type": "pong", "n": content.get("n")})
        elif kind == "study" and self.on_study is not None:
            # one report covers one interval: a page cannot claim more time than passed
            seconds = min(max(float(content.get("seconds") or 0), 0.0), max(60.0, 4 * self.study_seconds))
            self.on_study(seconds, [str(s) for s in content.get("reached") or []][:200])
        elif kind == "hello" and self.on_hello is not None:
            self.on_hello(str(content.get("hash") or ""))

    def route(self, hash_: str) -> None:
        self.send({"type": "route", "hash": hash_})

    def scroll_to(self, selector: str) -> None:
        self.send({"type": "scroll", "selector": selector})

    def reload(self) -> None:
        self.send({"type": "reload"})
