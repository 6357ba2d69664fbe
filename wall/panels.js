// Panel windows on a kiosk, each pushed by the hall as its data changes (wall/dashboards/link.js: nothing is
// polled): event figures (Plotly JSON) drawn with plotly.js, the five dashboards, a ticker, the district's map
// (console/map/wall.js, its events and workers moved by the pushes) or an alarm's map round a place. A panel
// whose data cannot come keeps its last picture with a "stale" mark.

import { WallMap } from "/console/map/wall.js";
import { DashboardView } from "./dashboards/view.js";
import { TickerView } from "./dashboards/ticker.js";
import { FocusView } from "./dashboards/focus.js";
import { mmToPx } from "./dashboards/type.js";
import { loadPlotly } from "./plotly.js";

export { loadPlotly };

const CONFIG = { staticPlot: true, displayModeBar: false, responsive: false };  // a wall: nothing to click
const CARTESIAN = new Set(["bar", "scatter", "scattergl", "histogram", "box"]);

/** Columns and rows for n figures in a w x h box: the cells closest to a 4:3 picture. */
function grid(n, w, h) {
  let best = { cols: 1, rows: n, score: Infinity };
  for (let cols = 1; cols <= n; cols++) {
    const rows = Math.ceil(n / cols);
    const score = Math.abs(Math.log((w / cols) / (h / rows) / (4 / 3))) + (cols * rows - n) * 0.3;
    if (score < best.score) best = { cols, rows, score };
  }
  return best;
}

/** The figure's layout sized to its cell, every text at least `label` px (the screen's pitch says how many). */
function sized(layout, data, width, height, label) {
  const size = Math.ceil(Math.max(label, Math.min(28, height / 20, width / 26)));
  const m = layout.margin || {};
  const out = {
    ...layout, width, height, autosize: false, font: { ...(layout.font || {}), size },
    // the margins hold the title and tick labels: they grow with the text
    margin: { ...m, t: Math.max(m.t ?? 30, 2.6 * size), l: Math.max(m.l ?? 40, 2 * size),
              b: Math.max(m.b ?? 30, 2 * size), r: Math.max(m.r ?? 10, size) },
  };
  if (data.some((t) => CARTESIAN.has(t.type || "scatter"))) {  // bigger tick labels must not be cut off
    out.xaxis = { automargin: true, ...(layout.xaxis || {}) };
    out.yaxis = { automargin: true, ...(layout.yaxis || {}) };
  }
  return out;
}

/** One panel window's figures: owns its element and the last picture of each figure, drawn from the documents
 * the hall pushes (`figures`: name -> Plotly JSON). */
export class PanelFigures {
  constructor({ windowId, title, figures, link, panel, screen }) {
    this.figures = figures;
    this.link = link;
    this.panel = panel;
    this.screen = screen;
    this.last = new Map();      // figure name -> last Plotly JSON drawn
    this.sizes = new Map();     // figure name -> "w x h" it was drawn at
    this.texts = new Map();     // figure name -> its JSON as last drawn
    this.error = null;          // the hall could not bring the figures up to date (its words)
    this.gone = false;

    this.el = document.createElement("div");
    this.el.className = "panel-canvas";
    this.header = document.createElement("div");
    this.header.className = "panel-header";
    const name = document.createElement("span");
    name.className = "panel-title";
    name.textContent = title;
    this.header.append(name);
    this.stale = document.createElement("span");
    this.stale.className = "stale";
    this.stale.dataset.testid = `panel-stale-${windowId}`;
    this.stale.textContent = "stale";
    this.stale.hidden = true;
    this.header.append(this.stale);
    this.body = document.createElement("div");
    this.body.className = "panel-figures";
    this.cells = new Map(figures.map((name) => {
      const cell = document.createElement("div");
      cell.className = "figure";
      cell.dataset.figure = name;
      cell.dataset.updates = "0";
      return [name, cell];
    }));
    this.body.append(...this.cells.values());
    this.el.append(this.header, this.body);
    this.el.dataset.state = "loading";
  }

  start() {
    this.unwatch = this.link.watch(this.panel, (doc) => this.update(doc).catch((err) => console.warn("panel figures:", err.message)));
    this.unstate = this.link.onState(() => this.mark());
    this.link.ready().then(() => { if (this.box) this.layout(...this.box); });
  }

  /** A pushed document: every figure in it drawn again (Plotly.react: no flicker). */
  async update(doc) {
    this.error = doc.error || null;
    this.type = doc.type;
    let Plotly = null;
    try {
      Plotly = await loadPlotly();
    } catch (err) {
      console.warn("panel figures:", err.message);
    }
    if (Plotly) {
      for (const name of this.figures) {
        const fig = doc.figures?.[name];
        if (!fig || !Array.isArray(fig.data) || typeof fig.layout !== "object") continue;
        const text = JSON.stringify(fig);
        if (this.texts.get(name) === text) continue;  // unchanged: not drawn again
        this.texts.set(name, text);
        this.last.set(name, fig);
        this.sizes.delete(name);  // new data: draw even at the same size
        await this.draw(name);
      }
    } else {
      this.error = "cannot load plotly.js";
    }
    this.mark();
  }

  mark() {
    const drawn = this.last.size > 0;
    const failed = !!this.error || !this.link.connected;
    this.stale.hidden = !failed;
    this.stale.title = this.error || "reconnecting";
    this.el.dataset.state = failed ? "stale" : drawn ? "live" : "loading";
    this.el.classList.toggle("drawn", drawn);
  }

  /** Draw one figure's last picture at its cell's current size. */
  async draw(name) {
    const fig = this.last.get(name), cell = this.cells.get(name);
    if (!fig || !cell || !window.Plotly || this.gone) return;
    const width = Math.floor(cell.clientWidth), height = Math.floor(cell.clientHeight);
    if (width < 20 || height < 20) return;  // not in the page (yet)
    const size = `${width}x${height}`;
    if (this.sizes.get(name) === size) return;
    this.sizes.set(name, size);
    await window.Plotly.react(cell, fig.data, sized(fig.layout, fig.data, width, height, this.labelPx()), CONFIG);
    cell.dataset.updates = String(Number(cell.dataset.updates) + 1);
  }

  /** The smallest text in CSS pixels: the wall's label size on this screen (10 px until the hall said). */
  labelPx() {
    const type = this.type || this.link.type;
    if (!type || !this.link.mmPerPx) return 10;
    return mmToPx(type.label_mm, this.link.mmPerPx, this.screen.resolution[0]);
  }

  /** Lay the panel out in a box of the full window's size (w x h) and redraw what changed size. */
  layout(w, h) {
    this.box = [w, h];
    const headerH = Math.max(this.labelPx() * 1.4, Math.min(40, h * 0.06));
    this.header.style.height = `${headerH}px`;
    this.header.style.fontSize = `${Math.max(this.labelPx(), headerH * 0.6)}px`;
    const { cols, rows } = grid(this.figures.length, w, h - headerH);
    this.body.style.gridTemplateColumns = `repeat(${cols}, minmax(0, 1fr))`;
    this.body.style.gridTemplateRows = `repeat(${rows}, minmax(0, 1fr))`;
    for (const name of this.figures) {
      this.sizes.delete(name);
      this.draw(name).catch((err) => console.warn("panel figures:", err.message));
    }
  }

  destroy() {
    this.gone = true;
    this.unwatch?.();
    this.unstate?.();
    if (window.Plotly) for (const cell of this.cells.values()) window.Plotly.purge(cell);
    this.el.remove();
  }
}

/** The hall's map panel (console/map/wall.js), loaded once and then moved by the pushed events and workers. */
class PushedWallMap extends WallMap {
  constructor(opts) {
    super({ ...opts, refreshMs: 3_600_000 });  // its own timer finds nothing to do: the pushes move the map
    this.link = opts.link;
    this.loaded = false;
  }

  async refresh() {
    if (this.loaded) return;
    this.loaded = true;
    await super.refresh();
    this.unlink = this.link.onMap((kind, msg) => {
      if (!this.map?.map) return;
      if (kind === "event") this.map.upsertEvent(msg);
      else if (kind === "workers") this.map.setWorkers(msg.workers, { replace: false });
    });
    let was = this.link.connected;
    this.unstate = this.link.onState((on) => {  // back after a break: read what moved meanwhile, once
      if (on && !was) { this.loaded = false; this.unlink?.(); this.refresh(); }
      was = on;
    });
  }

  destroy() {
    this.unlink?.();
    this.unstate?.();
    super.destroy();
  }
}

/** What a panel window shows: an alarm's map round a place, the district's map, a dashboard, a ticker, or its
 * event figures. `link`: the kiosk's PanelLink (the pushes); `screen`: the screen the kiosk draws. */
export function panelView(part, { token, link, screen }) {
  const title = part.title || part.panel_name || part.panel;
  if (part.focus) return new FocusView({ part, link, screen, token });
  if (part.panel_kind === "map") return new PushedWallMap({ windowId: part.window_id, title, token, screen, link });
  if (part.panel_kind === "dashboard") return new DashboardView({ part, link, screen, token });
  if (part.panel_kind === "ticker") return new TickerView({ part, link, screen });
  return new PanelFigures({ windowId: part.window_id, title, figures: part.figures, link, panel: part.panel, screen });
}

/** Whether the kiosk draws this panel part itself rather than as a titled box. */
export const drawsPanel = (p) => p.kind === "panel" && (!!p.focus || ["map", "dashboard", "ticker"].includes(p.panel_kind)
  || p.figures?.length > 0);
