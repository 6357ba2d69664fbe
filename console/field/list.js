// "My tasks": the events in this user's scope, those waiting for their action first, with countdown lights.

import { api, loadWords } from "./api.js";
import { h, isClosed, light, say, stateLabel, taskActions, actionLabel, errorText } from "./ui.js";
import { districtTime, label, terms } from "/console/events-vocab.js";
import { FieldRooms } from "./rooms.js";

const RECENT = 200;  // newest events of the scope, for "all open" and "closed"
// Besides the newest events, the server lists what waits for this user's step (`needs_me`) and what is
// still open (`open`), so an older task never drops out behind newer events.
const QUERIES = [{ limit: RECENT }, { open: true, limit: RECENT }, { needs_me: true, limit: 500 }];
const LIGHT_RANK = { red: 0, yellow: 1, green: 2 };

const FILTERS = {
  needs: { label: "Needs me", keep: (ev) => taskActions(ev).length > 0 },
  open: { label: "All open", keep: (ev) => !isClosed(ev.state) },
  closed: { label: "Closed", keep: (ev) => isClosed(ev.state) },
};

function byUrgency(a, b) {
  const ta = taskActions(a).length ? 0 : 1, tb = taskActions(b).length ? 0 : 1;
  if (ta !== tb) return ta - tb;
  const la = LIGHT_RANK[a.countdown?.light] ?? 3, lb = LIGHT_RANK[b.countdown?.light] ?? 3;
  if (la !== lb) return la - lb;
  const fa = a.countdown?.fraction ?? 0, fb = b.countdown?.fraction ?? 0;
  if (fa !== fb) return fb - fa;
  return b.reported_at - a.reported_at;
}

export class TaskList {
  constructor(role) {
    this.role = role;
    this.filter = "open";
    this.events = [];
    this.loading = null;
    this.timer = null;
    this.tabs = Object.entries(FILTERS).map(([key, f]) => h("button", {
      type: "button", class: "tab", "data-testid": `filter-${key}`, "aria-pressed": String(key === this.filter),
      onclick: () => this.setFilter(key),
    }, f.label, h("span", { class: "count" })));
    this.status = h("p", { class: "status-line", "data-testid": "list-status", "aria-live": "polite" });
    this.pull = h("p", { class: "pull-hint", hidden: true }, "Release to refresh");
    this.list = h("ul", { class: "tasks", "data-testid": "task-list", "aria-label": "Events" });
    // grid workers take part in consultation rooms (departments do not): those about their tasks, above the list
    this.rooms = role === "worker" ? new FieldRooms() : null;
    this.el = h("section", { class: "view", "data-view": "tasks", "aria-labelledby": "tasks-title" },
      h("div", { class: "view-head" },
        h("h1", { id: "tasks-title", tabindex: "-1" }, "My tasks"),
        h("button", { type: "button", class: "btn btn-secondary", "data-testid": "refresh",
          onclick: () => this.refresh() }, "↻ Refresh")),
      h("div", { class: "tabs", role: "group", "aria-label": "Show" }, this.tabs),
      this.rooms?.el, this.pull, this.status, this.list);
    this.pullToRefresh();
  }

  setFilter(key) {
    this.filter = key;
    this.tabs.forEach((t) => t.setAttribute("aria-pressed", String(t.dataset.testid === `filter-${key}`)));
    this.render();
  }

  /** Load the scope again (one request in flight at a time). */
  refresh() {
    if (!this.loading) {
      this.el.setAttribute("aria-busy", "true");
      this.loading = this.load().finally(() => {
        this.loading = null;
        this.el.removeAttribute("aria-busy");
      });
    }
    return this.loading;
  }

  async load() {
    try {
      const [pages] = await Promise.all([Promise.all(QUERIES.map((q) => api.events(q))), loadWords()]);
      const byId = new Map();
      for (const page of pages) for (const ev of page.events) byId.set(ev.id, ev);
      this.events = [...byId.values()];
      this.total = pages[0].total;
      say(this.status, `Updated ${districtTime(new Date(), { date: false })}`, "info");
      await this.rooms?.show(new Set(this.events.map((ev) => ev.id)));
    } catch (err) {
      if (err.status === 401) return;
      say(this.status, `Could not refresh: ${errorText(err)}. Showing the last list.`, "error");
    }
    this.render();
  }

  render() {
    const keep = FILTERS[this.filter].keep;
    for (const tab of this.tabs) {
      const key = tab.dataset.testid.slice("filter-".length);
      tab.querySelector(".count").textContent = ` ${this.events.filter(FILTERS[key].keep).length}`;
    }
    const shown = this.events.filter(keep).sort(this.filter === "closed"
      ? (a, b) => b.reported_at - a.reported_at : byUrgency);
    if (!shown.length) {
      this.list.replaceChildren(h("li", { class: "empty" },
        this.filter === "needs" ? "Nothing waits for you now." : "No events here."));
      return;
    }
    this.list.replaceChildren(...shown.map((ev) => this.row(ev)));
    if (this.filter !== "needs" && this.total > RECENT) {
      this.list.append(h("li", { class: "empty" }, `The newest ${RECENT} of ${this.total} events are shown.`));
    }
  }

  row(ev) {
    const tasks = taskActions(ev);
    const where = ev.address || (ev.lat != null ? `${ev.lat.toFixed(5)}, ${ev.lon.toFixed(5)}` : "no location");
    return h("li", { "data-testid": `task-${ev.id}`, "data-state": ev.state, class: tasks.length ? "task mine" : "task" },
      h("a", { href: `#/event/${encodeURIComponent(ev.id)}`, class: "task-link" },
        h("div", { class: "task-top" },
          light(ev.countdown),
          h("span", { class: "state" }, stateLabel(ev.state))),
        h("div", { class: "task-class" }, ev.category_name || "Unclassified",
          ev.urgency !== terms("urgencies")[0]?.value
            ? h("span", { class: `badge urgency-${ev.urgency}` }, label("urgencies", ev.urgency)) : null,
          ev.supervised ? h("span", { class: "badge supervised" }, "supervised") : null),
        h("div", { class: "task-where" }, where),
        h("div", { class: "task-desc" }, ev.description),
        tasks.length ? h("div", { class: "task-needs" }, "For you: ", tasks.map(actionLabel).join(" · ")) : null));
  }

  /** Pull the list down from the top of the page to refresh it (phones). */
  pullToRefresh() {
    let startY = null, pulled = 0;
    this.el.addEventListener("touchstart", (e) => {
      startY = window.scrollY <= 0 ? e.touches[0].clientY : null;
      pulled = 0;
    }, { passive: true });
    this.el.addEventListener("touchmove", (e) => {
      if (startY === null) return;
      pulled = e.touches[0].clientY - startY;
      this.pull.hidden = pulled < 70;
    }, { passive: true });
    this.el.addEventListener("touchend", () => {
      if (startY !== null && pulled >= 70) this.refresh();
      startY = null;
      this.pull.hidden = true;
    });
  }

  /** Load the list as it comes on screen; afterwards the hall's `tasks` pushes reload it (main.js). */
  start() {
    this.stop();
    this.refresh();
  }

  stop() {
    clearInterval(this.timer);
    this.timer = null;
  }
}
