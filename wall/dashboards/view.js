// A dashboard on the wall (backend/dashboards): its title, key figures and tiles, as pushed by the hall; every
// size follows the screen's pitch (key figures 80 mm, labels 30 mm by default) and the tiles take the room left,
// as many as fit at that size (the others are named as not shown). The layout is a function of the window's size
// alone, so the kiosks of a panel across a seam draw the same panel, each its part.

import { el } from "/console/events-model.js";
import { typeSizes } from "./type.js";
import { TILES, TONE_COLOURS } from "./tiles.js";

const MIN_TILE = { w: 15, h: 8 };  // a tile's smallest size, in label heights

/** Columns and rows for `n` tiles in w x h: every tile at least min (w, h); as even and as many as fit. */
export function pack(n, w, h, min) {
  const maxCols = Math.max(1, Math.floor(w / min.w)), maxRows = Math.max(0, Math.floor(h / min.h));
  if (!n || !maxRows) return { cols: 1, rows: 0, shown: 0 };
  let best = null;
  for (let cols = 1; cols <= Math.min(n, maxCols); cols++) {
    const rows = Math.min(maxRows, Math.ceil(n / cols));
    const shown = Math.min(n, cols * rows);
    const room = Math.min((w / cols) / min.w, (h / rows) / min.h);  // how far above its minimum a tile is
    const score = shown * 1000 + room - (cols * rows - shown) * 0.5;
    if (!best || score > best.score) best = { cols, rows, shown, score };
  }
  return best;
}

function figureEl(f) {
  const colour = TONE_COLOURS[f.tone];
  return el("div", { class: "dash-figure", dataset: { figure: f.id, value: f.value ?? "" } },
    el("span", { class: "dash-value", style: colour ? `color:${colour}` : "" },
      el("b", { textContent: f.text }), f.unit && f.value != null ? el("small", { textContent: f.unit }) : null),
    el("span", { class: "dash-label", textContent: f.label }),
    f.note ? el("span", { class: "dash-fignote", textContent: f.note }) : null);
}

export class DashboardView {
  constructor({ part, link, screen, token }) {
    this.pid = part.panel;
    this.link = link;
    this.screen = screen;
    this.token = token;
    this.doc = null;
    this.size = null;
    this.tiles = new Map();  // tile id -> Tile
    this.el = el("div", { class: "panel-canvas dash", testid: `dash-${part.window_id}`,
      dataset: { state: "loading", panel: part.panel } });
    this.titleEl = el("span", { class: "dash-title", textContent: part.title || part.panel_name || part.panel });
    this.asOf = el("span", { class: "dash-asof" });
    this.hiddenNote = el("span", { class: "dash-hidden" });
    this.stale = el("span", { class: "stale", testid: `panel-stale-${part.window_id}`, textContent: "not live",
      hidden: true });
    this.header = el("header", { class: "dash-header" }, this.titleEl, this.hiddenNote, this.asOf, this.stale);
    this.figuresEl = el("div", { class: "dash-figures" });
    this.grid = el("div", { class: "dash-grid" });
    this.el.append(this.header, this.figuresEl, this.grid);
  }

  start() {
    this.unwatch = this.link.watch(this.pid, (doc) => this.update(doc));
    this.unstate = this.link.onState(() => this.mark());
    this.link.ready().then(() => this.relayout());
  }

  update(doc) {
    this.doc = doc;
    this.titleEl.textContent = doc.title;
    this.asOf.textContent = `as of ${doc.as_of}`;
    this.figuresEl.replaceChildren(...(doc.figures || []).map(figureEl));
    const seen = new Set();
    for (const tile of doc.tiles || []) {
      seen.add(tile.id);
      let view = this.tiles.get(tile.id);
      if (view && view.tile?.kind !== tile.kind) { view.destroy(); view = null; }
      if (!view) {
        const Kind = TILES[tile.kind];
        if (!Kind) continue;
        view = new Kind(tile, { token: this.token, link: this.link });
        this.tiles.set(tile.id, view);
      }
      view.update(tile);
    }
    for (const [id, view] of this.tiles) if (!seen.has(id)) { view.destroy(); this.tiles.delete(id); }
    this.grid.replaceChildren(...(doc.tiles || []).map((t) => this.tiles.get(t.id)?.el).filter(Boolean));
    this.el.dataset.updates = String(Number(this.el.dataset.updates || 0) + 1);
    this.mark();
    this.relayout();
  }

  mark() {
    const failed = !!this.doc?.error || !this.link.connected;
    this.stale.hidden = !failed;
    this.stale.textContent = this.doc?.error || (this.link.connected ? "" : "not live: reconnecting");
    this.el.dataset.state = !this.doc ? "loading" : failed ? "stale" : "live";
  }

  layout(w, h) {
    this.size = [w, h];
    this.el.style.width = `${w}px`;
    this.el.style.height = `${h}px`;
    this.relayout();
  }

  /** Type from the pitch, then the tiles in the room the header and the figures leave. */
  relayout() {
    if (!this.doc || !this.size || !this.link.mmPerPx) return;
    const sizes = typeSizes(this.doc.type, this.link.mmPerPx, this.screen);
    this.sizes = sizes;
    const s = this.el.style;
    s.setProperty("--fig", `${sizes.figure}px`);
    s.setProperty("--lab", `${sizes.label}px`);
    s.setProperty("--tit", `${sizes.title}px`);
    this.el.dataset.labelPx = sizes.label.toFixed(2);
    this.el.dataset.figurePx = sizes.figure.toFixed(2);
    const views = (this.doc.tiles || []).map((t) => this.tiles.get(t.id)).filter(Boolean);
    const [w] = this.size;
    const gap = sizes.label * 0.6;
    const room = this.grid.clientHeight;
    const L = sizes.label;
    const { cols, rows, shown } = pack(views.length, w - gap, room, { w: MIN_TILE.w * L, h: MIN_TILE.h * L });
    this.grid.style.gridTemplateColumns = `repeat(${cols}, minmax(0, 1fr))`;
    this.grid.style.gridTemplateRows = rows ? `repeat(${rows}, minmax(0, 1fr))` : "";
    views.forEach((v, i) => { v.el.hidden = i >= shown; });
    const left = views.slice(shown).map((v) => v.tile.title);
    this.hiddenNote.textContent = left.length ? `not shown here (too small): ${left.join("; ")}` : "";
    this.el.dataset.tilesShown = String(shown);
    for (const v of views.slice(0, shown)) v.layout(sizes);
  }

  destroy() {
    this.unwatch?.();
    this.unstate?.();
    for (const v of this.tiles.values()) v.destroy();
    this.tiles.clear();
    this.el.remove();
  }
}
