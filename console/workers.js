// The Workers tab: every grid worker live (status, grids, position age, open tasks), one worker's detail with
// today's patrol track drawn over the grid outlines, and the nearest available workers of an event.

import { request } from "./api.js";
import { el, eventsApi } from "./events-model.js";
import { reportError } from "./actions.js";
import { when } from "./district-time.js";

const enc = encodeURIComponent;
const STATUS_LABELS = { on_duty: "On duty", busy: "Busy", off_duty: "Off duty" };
const STATUS_ORDER = { on_duty: 0, busy: 1, off_duty: 2 };

export const workersApi = {
  list: () => request("GET", "/api/workers"),
  get: (name) => request("GET", `/api/workers/${enc(name)}`),
  track: (name, since, until) => request("GET", `/api/workers/${enc(name)}/track?${new URLSearchParams(
    Object.fromEntries(Object.entries({ since, until }).filter(([, v]) => v != null)))}`),
  nearestOfEvent: (id) => request("GET", `/api/events/${enc(id)}/nearest-workers`),
};

/** "45 s", "12 min", "3 h 05 min" */
export function age(seconds) {
  if (seconds == null) return "–";
  const s = Math.max(0, Math.round(seconds));
  if (s < 90) return `${s} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")} min`;
}

const metres = (m) => (m == null ? "–" : m < 1000 ? `${Math.round(m)} m` : `${(m / 1000).toFixed(1)} km`);
const statusChip = (status, call) => el("span", { class: `wk-status wk-${status}`, dataset: { status } },
  STATUS_LABELS[status] || status, call ? " · in a call" : "");

/**
 * The nearest-workers answer as a list that explains itself: candidates by distance (own grid marked), who was
 * skipped and why, and what is short. Other parts of the console (an event's detail, the call button) reuse it.
 */
export function nearestList(answer) {
  const cands = answer.candidates.map((c) => el("li", { dataset: { testid: `nearest-${c.name}` }, class: "wk-cand" },
    el("b", {}, c.display_name), " ", el("span", { class: "muted" }, metres(c.distance_m)), " ",
    statusChip(c.status, c.call),
    c.position_age_s != null ? el("span", { class: "muted" }, ` · ${age(c.position_age_s)} ago`) : null,
    c.own_grid ? el("span", { class: "badge badge-own", title: "looks after the event's grid" }, "own grid") : null));
  const skipped = answer.skipped.map((s) => el("li", { dataset: { testid: `skipped-${s.name}` }, class: "wk-skip" },
    el("span", {}, s.display_name), " – ", el("span", { class: "muted" }, s.why),
    s.own_grid ? el("span", { class: "badge badge-own" }, "own grid") : null));
  return el("div", { class: "wk-nearest", dataset: { testid: "nearest-answer" } },
    el("p", { class: "muted small" }, `Searched within ${metres(answer.radius_m)}`
      + (answer.radii_tried.length > 1 ? ` (widened from ${metres(answer.radii_tried[0])})` : "")),
    answer.short ? el("p", { class: "wk-short", dataset: { testid: "nearest-short" } }, answer.short) : null,
    cands.length ? el("ol", { class: "wk-cands" }, ...cands) : null,
    answer.more ? el("p", { class: "muted small" }, `${answer.more} more available inside the radius`) : null,
    skipped.length ? el("details", { open: cands.length === 0 }, el("summary", {}, `Skipped (${skipped.length})`),
      el("ul", { class: "wk-skips" }, ...skipped)) : null);
}

export class WorkersPanel {
  /** `root`: the tab's section (index.html), filled here. */
  constructor(root) {
    this.root = root;
    this.workers = new Map();  // name -> worker (the REST view, kept live by the pushes)
    this.offset = 0;           // server clock - this clock, seconds (ages are counted on the server's)
    this.staleAfter = 120;
    this.selected = null;
    this.track = [];
    this.grids = null;         // GeoJSON features of the district's grids
    this.loaded = false;
    this.open = false;
    this.timer = null;
    this.build();
  }

  build() {
    this.counts = el("div", { class: "wk-counts", dataset: { testid: "workers-counts" } });
    this.filter = el("input", { type: "search", placeholder: "Filter by name or grid…", className: "filter",
      dataset: { testid: "workers-filter" } });
    this.filter.addEventListener("input", () => this.render());
    this.rows = el("tbody", { dataset: { testid: "workers-rows" } });
    this.message = el("p", { class: "wk-message", hidden: true, dataset: { testid: "workers-message" } });
    const eventInput = el("input", { placeholder: "Event id, e.g. EV20250602-…", className: "filter",
      dataset: { testid: "nearest-event" } });
    this.nearestOut = el("div", { dataset: { testid: "nearest-out" } });
    const find = el("button", { className: "btn btn-sm", textContent: "Find nearest", dataset: { testid: "nearest-find" } });
    const ask = async () => {
      const id = eventInput.value.trim();
      if (!id) return;
      try {
        this.nearestOut.replaceChildren(nearestList(await workersApi.nearestOfEvent(id)));
      } catch (e) {
        this.nearestOut.replaceChildren(el("p", { class: "wk-short" }, e.message));
      }
    };
    find.addEventListener("click", ask);
    eventInput.addEventListener("keydown", (e) => { if (e.key === "Enter") ask(); });
    this.detail = el("aside", { class: "worker-detail", hidden: true, dataset: { testid: "worker-detail" } });
    this.root.replaceChildren(
      el("div", { class: "wk-main" },
        this.counts,
        el("div", { class: "wk-filters" }, this.filter,
          el("span", { class: "wk-stale-label" }, "positions stale after ", el("b", { dataset: { testid: "stale-after" } }, "–"))),
        this.message,
        el("div", { class: "wk-table-wrap" },
          el("table", { class: "wk-table" },
            el("thead", {}, el("tr", {}, ...["Name", "Grids", "Status", "Position", "Open tasks"].map((t) => el("th", {}, t)))),
            this.rows)),
        el("section", { class: "detail-sec wk-nearest-box" }, el("h3", {}, "Nearest available workers of an event"),
          el("div", { class: "wk-filters" }, eventInput, find), this.nearestOut)),
      this.detail);
  }

  // --- showing and hiding -------------------------------------------------------

  async show() {
    this.open = true;
    this.root.hidden = false;
    if (!this.loaded) {
      this.loaded = true;
      await this.load();
    }
    clearInterval(this.timer);
    this.timer = setInterval(() => this.tick(), 1000);  // the ages grow between pushes
  }

  hide() {
    this.open = false;
    this.root.hidden = true;
    clearInterval(this.timer);
  }

  /** Logged out: forget everything (another user may log in next). */
  reset() {
    this.hide();
    this.loaded = false;
    this.workers.clear();
    this.selected = null;
    this.detail.hidden = true;
    this.root.classList.remove("with-detail");
    this.rows.replaceChildren();
  }

  /** The socket (re)connected: pushes may have been missed. */
  resync() {
    if (this.loaded) this.load();
  }

  async load() {
    try {
      const [answer, grids] = await Promise.all([workersApi.list(), this.grids ? null : eventsApi.grids()]);
      if (grids) this.grids = grids.features || [];
      this.offset = answer.at - Date.now() / 1000;
      this.staleAfter = answer.stale_after_s;
      this.root.querySelector("[data-testid=stale-after]").textContent = age(answer.stale_after_s);
      this.workers = new Map(answer.workers.map((w) => [w.name, w]));
      this.message.hidden = true;
    } catch (e) {
      if (e.status === 403) {
        this.message.textContent = "Your role may not see grid workers' positions and tracks (personal data).";
        this.message.hidden = false;
        return;
      }
      reportError(e, "Loading the workers");
    }
    this.render();
    if (this.selected) this.select(this.selected);
  }

  // --- live --------------------------------------------------------------------------

  /** `workers:positions` from /console: the newest state of the workers that changed. */
  onPositions(msg) {
    if (!this.loaded) return;
    for (const p of msg.workers || []) {
      const w = this.workers.get(p.name) || { name: p.name, grids: [], open_tasks: null };
      const moved = p.at != null && p.at !== w.at;
      Object.assign(w, p);
      this.workers.set(p.name, w);
      if (p.name === this.selected && moved && p.lat != null) {
        this.track.push({ lat: p.lat, lon: p.lon, at: p.at, status: p.status });
        this.drawTrack();
      }
    }
    if (this.open) this.render();
  }

  now() { return Date.now() / 1000 + this.offset; }

  ageOf(w) { return w.at == null ? null : Math.max(0, this.now() - w.at); }

  tick() {
    if (!this.open) return;
    for (const row of this.rows.children) {
      const w = this.workers.get(row.dataset.name);
      const cell = row.querySelector(".wk-age");
      if (w && cell) this.fillAge(cell, w);
    }
  }

  fillAge(cell, w) {
    const a = this.ageOf(w);
    cell.textContent = a == null ? "no position" : `${age(a)} ago${w.grid ? ` · ${w.grid}` : ""}`;
    cell.classList.toggle("wk-stale", a == null || a > this.staleAfter);
  }

  // --- the list --------------------------------------------------------------------------

  render() {
    const q = this.filter.value.trim().toLowerCase();
    const all = [...this.workers.values()];
    const count = (s) => all.filter((w) => w.status === s).length;
    const stale = all.filter((w) => w.status !== "off_duty" && (this.ageOf(w) ?? Infinity) > this.staleAfter).length;
    this.counts.replaceChildren(...["on_duty", "busy", "off_duty"].map((s) =>
      el("span", { class: `count-chip wk-chip-${s}`, dataset: { testid: `count-${s}` } }, el("b", {}, String(count(s))), STATUS_LABELS[s])),
    el("span", { class: "count-chip chip-overdue", dataset: { testid: "count-stale" }, title: "on duty or busy, position stale" },
      el("b", {}, String(stale)), "stale"));
    const shown = all.filter((w) => !q || `${w.name} ${w.display_name} ${(w.grids || []).join(" ")}`.toLowerCase().includes(q))
      .sort((a, b) => (STATUS_ORDER[a.status] - STATUS_ORDER[b.status]) || a.display_name.localeCompare(b.display_name));
    if (!shown.length) {
      this.rows.replaceChildren(el("tr", { class: "empty" }, el("td", { colSpan: 5 }, "No workers.")));
      return;
    }
    this.rows.replaceChildren(...shown.map((w) => {
      const ageCell = el("td", { class: "wk-age" });
      this.fillAge(ageCell, w);
      const row = el("tr", { class: `wk-row${w.name === this.selected ? " selected" : ""}`,
        dataset: { testid: `worker-${w.name}`, name: w.name } },
      el("td", {}, el("div", { class: "wk-name" }, w.display_name), el("div", { class: "wk-sub" }, w.name)),
      el("td", {}, (w.grids || []).join(", ") || el("span", { class: "muted" }, "none")),
      el("td", {}, statusChip(w.status, w.call)),
      ageCell,
      el("td", { class: "wk-tasks" }, w.open_tasks == null ? "–" : String(w.open_tasks)));
      row.addEventListener("click", () => this.select(w.name));
      return row;
    }));
  }

  // --- one worker ---------------------------------------------------------------------------

  async select(name) {
    this.selected = name;
    this.root.classList.add("with-detail");
    this.detail.hidden = false;
    for (const row of this.rows.children) row.classList.toggle("selected", row.dataset.name === name);
    const w = this.workers.get(name);
    this.svg = el("div", { class: "wk-map", dataset: { testid: "worker-track" } });
    this.trackInfo = el("p", { class: "muted small", dataset: { testid: "track-info" } }, "Loading today's track…");
    const close = el("button", { className: "btn btn-sm", textContent: "Close", dataset: { testid: "worker-close" } });
    close.addEventListener("click", () => {
      this.selected = null;
      this.detail.hidden = true;
      this.root.classList.remove("with-detail");
      this.render();
    });
    this.detail.replaceChildren(
      el("div", { class: "detail-head" },
        el("div", { class: "detail-title" }, el("div", { class: "detail-class" }, w?.display_name || name),
          el("div", { class: "wk-sub" }, name)), close),
      el("section", { class: "detail-sec" }, el("dl", { class: "detail-fields" },
        el("dt", {}, "Status"), el("dd", { dataset: { testid: "detail-status" } }, w ? statusChip(w.status, w.call) : "–"),
        el("dt", {}, "Grids"), el("dd", {}, (w?.grids || []).join(", ") || "none"),
        el("dt", {}, "Position"), el("dd", {}, w?.lat != null ? `${w.lat.toFixed(5)}, ${w.lon.toFixed(5)}${w.accuracy ? ` (±${Math.round(w.accuracy)} m)` : ""}` : "none"),
        el("dt", {}, "Open tasks"), el("dd", {}, w?.open_tasks == null ? "–" : String(w.open_tasks)))),
      el("section", { class: "detail-sec" }, el("h3", {}, "Today's patrol track"), this.svg, this.trackInfo));
    try {
      const answer = await workersApi.track(name);
      if (this.selected !== name) return;
      this.track = answer.points;
      this.truncated = answer.truncated;
      this.drawTrack();
    } catch (e) {
      if (this.selected === name) this.trackInfo.textContent = `The track could not be read: ${e.message}`;
    }
  }

  /** The track as SVG over the grid outlines (equirectangular, north up): the worker's grids highlighted. */
  drawTrack() {
    if (!this.svg || !this.selected) return;
    const NS = "http://www.w3.org/2000/svg";
    const w = this.workers.get(this.selected);
    const mine = new Set(w?.grids || []);
    const rings = (this.grids || []).map((f) => ({ id: f.properties?.id, name: f.properties?.name,
      rings: f.geometry?.type === "MultiPolygon" ? f.geometry.coordinates.map((p) => p[0]) : [f.geometry?.coordinates?.[0] || []] }));
    const pts = [...rings.flatMap((g) => g.rings.flat()), ...this.track.map((p) => [p.lon, p.lat])];
    if (!pts.length) { this.svg.replaceChildren(); this.trackInfo.textContent = "No grids and no track to draw."; return; }
    const lons = pts.map((p) => p[0]), lats = pts.map((p) => p[1]);
    const [x0, x1, y0, y1] = [Math.min(...lons), Math.max(...lons), Math.min(...lats), Math.max(...lats)];
    const k = Math.cos(((y0 + y1) / 2) * Math.PI / 180);
    const W = 1000, H = Math.max(200, Math.round(W * ((y1 - y0) || 0.001) / (((x1 - x0) || 0.001) * k)));
    const pad = 12;
    const sx = (lon) => pad + ((lon - x0) / ((x1 - x0) || 1)) * (W - 2 * pad);
    const sy = (lat) => pad + ((y1 - lat) / ((y1 - y0) || 1)) * (H - 2 * pad);
    const svg = document.createElementNS(NS, "svg");
    svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", `Patrol track of ${w?.display_name || this.selected}`);
    const add = (tag, attrs, text) => {
      const e = document.createElementNS(NS, tag);
      for (const [a, v] of Object.entries(attrs)) e.setAttribute(a, v);
      if (text) e.textContent = text;
      svg.append(e);
      return e;
    };
    for (const g of rings) {
      for (const ring of g.rings) {
        add("path", { d: `M${ring.map(([lon, lat]) => `${sx(lon).toFixed(1)},${sy(lat).toFixed(1)}`).join("L")}Z`,
          class: mine.has(g.id) ? "wk-grid wk-grid-mine" : "wk-grid" });
      }
      const first = g.rings[0];
      if (first?.length) {
        const cx = first.reduce((s, p) => s + p[0], 0) / first.length, cy = first.reduce((s, p) => s + p[1], 0) / first.length;
        add("text", { x: sx(cx).toFixed(1), y: sy(cy).toFixed(1), class: "wk-grid-label" }, g.name || g.id);
      }
    }
    if (this.track.length) {
      add("polyline", { points: this.track.map((p) => `${sx(p.lon).toFixed(1)},${sy(p.lat).toFixed(1)}`).join(" "),
        class: "wk-track", "data-points": String(this.track.length) });
      const a = this.track[0], b = this.track[this.track.length - 1];
      add("circle", { cx: sx(a.lon).toFixed(1), cy: sy(a.lat).toFixed(1), r: 6, class: "wk-start" });
      add("circle", { cx: sx(b.lon).toFixed(1), cy: sy(b.lat).toFixed(1), r: 8, class: `wk-here wk-${b.status}` });
    }
    this.svg.replaceChildren(svg);
    const time = (t) => when(t * 1000);  // the district's clock, as everywhere in the console
    this.trackInfo.textContent = this.track.length
      ? `${this.track.length} points, ${time(this.track[0].at)}–${time(this.track[this.track.length - 1].at)}`
        + (this.truncated ? " (the first part of the day only)" : "")
      : "No track today.";
  }
}
