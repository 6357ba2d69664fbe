// The events panel: the live list of events with filters, the open counts, warnings, and the detail drawer.

import { ApiError, request } from "./api.js";
import { notify } from "./notice.js";
import { reportError } from "./actions.js";
import {
  el,
  eventsApi, ACTING_ROLES, label, terms, openStates, words, listQuery, matchesFilters, noticeMayMatch, when,
  throttle,
} from "./events-model.js";
import { loadHall } from "./events-vocab.js";
import { EventDetail } from "./events-detail.js";

const PAGE = 25;

export class EventsPanel {
  /** `root`: the panel's section (index.html); `role()` gives the logged-in user's role. */
  constructor(root, { role }) {
    this.root = root;
    this.role = role;
    this.filters = { state: "", overdue: "", supervised: "", channel: "", grid: "", department: "" };
    this.offset = 0;
    this.total = 0;
    this.events = [];          // the rows shown, newest first
    this.warnings = new Map(); // event id -> "soon_due" | "overdue"
    this.loaded = false;
    this.open = false;
    this.meta = null;          // taxonomy, departments, grids
    this.seq = 0;              // drops answers of list requests that were overtaken
    this.rows = root.querySelector("[data-testid=events-rows]");
    this.detail = new EventDetail(root.querySelector("[data-testid=event-detail]"), {
      panel: this, readOnly: () => !ACTING_ROLES.has(this.role()),
    });
    this.refreshCounts = throttle(() => this.loadCounts(), 1500);
    this.bindFilters();
  }

  // --- showing and hiding -------------------------------------------------------

  async show() {
    this.open = true;
    this.root.hidden = false;
    this.root.classList.toggle("read-only", !ACTING_ROLES.has(this.role()));
    if (!this.loaded) {
      this.loaded = true;
      await this.loadMeta();
      await Promise.all([this.load(), this.loadCounts()]);
    }
  }

  hide() {
    this.open = false;
    this.root.hidden = true;
  }

  /** Logged out: forget everything (another user may log in next). */
  reset() {
    this.hide();
    this.loaded = false;
    this.events = [];
    this.warnings.clear();
    this.detail.close();
    this.rows.replaceChildren();
  }

  /** The socket (re)connected: notices may have been missed, so read the list again. */
  resync() {
    if (this.loaded) { this.load(); this.loadCounts(); this.detail.reload(); }
  }

  // --- filters and paging -------------------------------------------------------

  bindFilters() {
    for (const name of Object.keys(this.filters)) {
      const input = this.root.querySelector(`[data-testid=filter-${name}]`);
      input.addEventListener("change", () => {
        this.filters[name] = input.value;
        this.offset = 0;
        this.load();
      });
    }
    this.root.querySelector("[data-testid=events-prev]").addEventListener("click", () => {
      this.offset = Math.max(0, this.offset - PAGE);
      this.load();
    });
    this.root.querySelector("[data-testid=events-next]").addEventListener("click", () => {
      if (this.offset + PAGE < this.total) { this.offset += PAGE; this.load(); }
    });
    this.root.querySelector("[data-testid=events-reload]").addEventListener("click", () => {
      this.load();
      this.loadCounts();
    });
  }

  async loadMeta() {
    try {
      const [, tax, grids] = await Promise.all([loadHall(request), eventsApi.taxonomy(), eventsApi.grids()]);
      this.meta = { taxonomy: tax.taxonomy, departments: tax.departments, routingMode: tax.routing_mode,
        grids: (grids.features || []).map((f) => f.properties || {}) };
    } catch (e) {
      reportError(e, "Loading the event taxonomy");
      this.meta = { taxonomy: [], departments: [], routingMode: "", grids: [] };
    }
    this.fillFilterOptions();
  }

  fillFilterOptions() {
    const opt = (value, label) => el("option", { value, textContent: label });
    const sel = (name) => this.root.querySelector(`[data-testid=filter-${name}]`);
    sel("state").replaceChildren(opt("", "All states"), ...terms("states").map((s) => opt(s.value, s.label)));
    sel("channel").replaceChildren(opt("", "All channels"), ...terms("channels").map((c) => opt(c.value, c.label)));
    sel("department").replaceChildren(opt("", "All departments"),
      ...this.meta.departments.map((d) => opt(d.id, d.name)));
    const streets = [...new Set(this.meta.grids.map((g) => g.street).filter(Boolean))].sort();
    const communities = [...new Set(this.meta.grids.map((g) => g.community).filter(Boolean))].sort();
    const group = (label, items) => {
      const g = el("optgroup", { label });
      g.append(...items);
      return g;
    };
    sel("grid").replaceChildren(opt("", "All areas"),
      group("Streets", streets.map((s) => opt(s, s))),
      group("Communities", communities.map((c) => opt(c, c))),
      group("Grids", this.meta.grids.map((g) => opt(g.id, `${g.id} · ${g.name || ""}`))));
  }

  departmentName(id) {
    return this.meta?.departments.find((d) => d.id === id)?.name || id;
  }

  // --- the list -----------------------------------------------------------------

  async load() {
    const seq = ++this.seq;
    this.root.classList.add("loading");
    try {
      const res = await eventsApi.list(listQuery(this.filters, this.offset, PAGE));
      if (seq !== this.seq) return;
      this.events = res.events;
      this.total = res.total;
      this.render();
    } catch (e) {
      if (seq === this.seq) this.showListError(e);
    } finally {
      if (seq === this.seq) this.root.classList.remove("loading");
    }
  }

  showListError(e) {
    if (e instanceof ApiError && e.status === 422) {
      const details = (e.body.errors || []).map((x) => `${x.path}: ${x.message}`);
      notify(e.body.message || "The filter is not valid.", { kind: "error", details });
    } else {
      reportError(e, "Loading the events");
    }
  }

  /** Only the total, for the filters as they are (throttled with the counts). */
  async refreshTotal() {
    const seq = this.seq;
    try {
      const res = await eventsApi.list(listQuery(this.filters, 0, 1));
      if (seq === this.seq) { this.total = res.total; this.renderTotal(); }
    } catch { /* the next refresh tries again */ }
  }

  render() {
    this.rows.replaceChildren();
    if (!this.events.length) {
      this.rows.append(el("tr", { class: "empty" }, el("td", { colSpan: 7, textContent: "No events match." })));
    }
    for (const ev of this.events) this.rows.append(this.row(ev));
    this.renderTotal();
  }

  renderTotal() {
    this.root.querySelector("[data-testid=events-total]").textContent = String(this.total);
    const first = this.total ? this.offset + 1 : 0;
    const last = Math.min(this.total, this.offset + this.events.length);
    this.root.querySelector("[data-testid=events-page]").textContent = `${first}–${last} of ${this.total}`;
    this.root.querySelector("[data-testid=events-prev]").disabled = this.offset === 0;
    this.root.querySelector("[data-testid=events-next]").disabled = this.offset + PAGE >= this.total;
  }

  row(ev) {
    const light = ev.countdown?.light || "none";
    const tr = el("tr", {
      testid: `event-row-${ev.id}`, class: "ev-row",
      dataset: { id: ev.id, state: ev.state, version: String(ev.version), light },
    });
    const warning = this.warnings.get(ev.id);
    if (warning) { tr.dataset.warning = warning; tr.classList.add(`warn-${warning}`); }
    if (this.detail.id === ev.id) tr.classList.add("selected");
    const badges = el("td", { class: "ev-badges" },
      ev.level && ev.level !== terms("levels")[0]?.value
        ? el("span", { class: "badge badge-level", textContent: label("levels", ev.level) }) : null,
      ev.supervised ? el("span", { class: "badge badge-supervised", textContent: "supervised" }) : null,
      ev.urgency && ev.urgency !== terms("urgencies")[0]?.value
        ? el("span", { class: `badge badge-${ev.urgency}`, textContent: label("urgencies", ev.urgency) }) : null,
      ev.overdue
        ? el("span", { class: "badge badge-overdue", testid: "badge-overdue", textContent: "overdue" }) : null);
    tr.append(
      el("td", { class: "ev-light-cell" }, el("i", {
        class: `light light-${light}`,
        title: ev.countdown ? `${words(ev.countdown.node)} · due ${when(ev.countdown.due_at)}` : "no clock running",
      })),
      el("td", { class: "ev-class" },
        el("div", { class: "ev-class-name", textContent: ev.category_name || ev.category || "unclassified" }),
        el("div", { class: "ev-sub", textContent: `${ev.id} · ${when(ev.reported_at_local)}` })),
      el("td", { class: "ev-addr" },
        el("div", { testid: "row-place", textContent: ev.address || ev.place || "—",
          title: ev.place && ev.address ? `on the map: ${ev.place}` : "" }),
        el("div", { class: "ev-sub", textContent: ev.description || "" })),
      el("td", {}, el("span", {
        class: `state state-${ev.state}`, testid: "row-state", textContent: label("states", ev.state),
      })),
      el("td", { class: "ev-dept", testid: "row-department",
        textContent: ev.department ? this.departmentName(ev.department) : "—" }),
      el("td", { class: "ev-area", textContent: ev.grid || (ev.outside_grid ? "outside" : "—") }),
      badges);
    tr.addEventListener("click", () => this.select(ev.id));
    return tr;
  }

  select(id) {
    for (const tr of this.rows.querySelectorAll("tr.selected")) tr.classList.remove("selected");
    this.rows.querySelector(`[data-testid="event-row-${CSS.escape(id)}"]`)?.classList.add("selected");
    this.detail.show(id);
  }

  /** Put a fresh view of an event into the list: replace its row, insert it where it belongs, or drop it. */
  place(ev, { isNew = false } = {}) {
    const i = this.events.findIndex((e) => e.id === ev.id);
    const matches = matchesFilters(ev, this.filters);
    if (i >= 0) {
      if (this.events[i].version > ev.version) return;  // an older answer overtaken by a newer one
      if (matches) {
        this.events[i] = ev;
        this.rows.querySelector(`[data-testid="event-row-${CSS.escape(ev.id)}"]`)?.replaceWith(this.row(ev));
      } else {
        this.events.splice(i, 1);
        this.rows.querySelector(`[data-testid="event-row-${CSS.escape(ev.id)}"]`)?.remove();
        this.total = Math.max(0, this.total - 1);
        if (!this.events.length) this.render();
        this.renderTotal();
      }
      return;
    }
    if (!matches) return;
    // Newest first by report time: it belongs on this page if it is not newer than the page's first row
    // (unless this is the first page) and not older than its last row (unless the page has room).
    const at = this.events.findIndex((e) => e.reported_at < ev.reported_at);
    const pos = at < 0 ? this.events.length : at;
    if (pos === 0 && this.offset > 0) { this.bumpTotal(isNew); return; }
    if (pos === this.events.length && this.events.length >= PAGE) { this.bumpTotal(isNew); return; }
    if (!this.events.length) this.rows.replaceChildren();
    this.events.splice(pos, 0, ev);
    const tr = this.row(ev);
    tr.classList.add("fresh");
    const before = this.rows.children[pos];
    if (before) before.before(tr); else this.rows.append(tr);
    if (this.events.length > PAGE) {
      const dropped = this.events.pop();
      this.rows.querySelector(`[data-testid="event-row-${CSS.escape(dropped.id)}"]`)?.remove();
    }
    this.bumpTotal(true);
  }

  bumpTotal(counted) {
    if (counted) this.total += 1;
    this.renderTotal();
  }

  // --- live notices ----------------------------------------------------------------

  /** An `event` notice: {id, version, state, action, by, ...}. */
  async onNotice(n) {
    if (!this.loaded) return;
    this.refreshCounts();
    this.detail.onNotice(n);
    const shown = this.events.find((e) => e.id === n.id);
    if (shown && shown.version >= n.version) return;
    if (!shown && !noticeMayMatch(n, this.filters)) return;
    if (!shown && this.offset > 0 && n.action !== "report") return;  // the counts' refresh fixes the total
    let ev;
    try {
      ev = (await eventsApi.get(n.id)).event;
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) reportError(e);
      return;  // gone or out of scope: nothing to show
    }
    this.place(ev, { isNew: n.action === "report" && !shown });
  }

  /** An `event:warning`: {kind: soon_due | overdue, id, node, ...}. */
  async onWarning(w) {
    const prev = this.warnings.get(w.id);
    if (!(prev === "overdue" && w.kind === "soon_due")) this.warnings.set(w.id, w.kind);
    const what = [w.category ? this.classNameOf(w.category) : "event", w.id].join(" ");
    const node = w.node ? ` at ${words(w.node)}` : "";
    if (w.kind === "overdue") {
      notify(`Overdue${node}: ${what}`, { kind: "error", details: this.warningDetails(w) });
    } else {
      notify(`Soon due${node}: ${what}`, { kind: "warn", details: this.warningDetails(w) });
    }
    if (!this.loaded) return;
    this.refreshCounts();
    const shown = this.events.find((e) => e.id === w.id);
    try {
      const ev = (await eventsApi.get(w.id)).event;
      if (shown || w.kind === "overdue") this.place(ev);
    } catch { /* gone or out of scope: nothing to show */ }
    if (this.detail.id === w.id) this.detail.reload();
  }

  warningDetails(w) {
    const out = [`state: ${label("states", w.state)}`];
    if (w.department) out.push(`department: ${this.departmentName(w.department)}`);
    if (w.due_at) out.push(`due: ${when(w.due_at)}`);
    return out;
  }

  classNameOf(code) {
    for (const major of this.meta?.taxonomy || []) {
      for (const m of major.minors) if (m.code === code) return m.name;
    }
    return code;
  }

  // --- counts --------------------------------------------------------------------------

  async loadCounts() {
    if (!this.loaded) return;
    let stats, overdue;
    try {
      [stats, overdue] = await Promise.all([eventsApi.stats(), eventsApi.list({ overdue: "true", limit: "1" })]);
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) reportError(e);
      return;
    }
    const now = stats.states_now || {};
    const box = this.root.querySelector("[data-testid=events-counts]");
    const chip = (testid, label, n, cls, onClick) => {
      const b = el("button", { class: `count-chip ${cls}`, testid, title: `Show ${label}` },
        el("b", { textContent: String(n) }), el("span", { textContent: label }));
      b.addEventListener("click", onClick);
      return b;
    };
    const open = openStates().reduce((a, s) => a + (now[s] || 0), 0);
    box.replaceChildren(
      chip("count-open", "open now", open, "chip-total", () => this.setFilters({ state: "", overdue: "" })),
      chip("count-overdue", "overdue", overdue.total, overdue.total ? "chip-overdue" : "",
        () => this.setFilters({ overdue: "true", state: "" })),
      ...openStates().filter((s) => now[s]).map((s) => chip(`count-${s}`, label("states", s), now[s], "",
        () => this.setFilters({ state: s, overdue: "" }))));
    this.refreshTotal();
  }

  setFilters(patch) {
    Object.assign(this.filters, patch);
    for (const [k, v] of Object.entries(this.filters)) {
      this.root.querySelector(`[data-testid=filter-${k}]`).value = v;
    }
    this.offset = 0;
    this.load();
  }
}
