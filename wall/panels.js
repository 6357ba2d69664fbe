// Panel windows on a kiosk: live event figures (Plotly JSON from /api/events/figures/{name}) drawn with
// plotly.js, refreshed on a timer; a failed refresh keeps the last picture and shows a "stale" mark. A map
// panel (panel kind "map") is the hall's map component instead (console/map/wall.js).

import { WallMap } from "/console/map/wall.js";

const PLOTLY_URL = "/vendor/plotly.min.js";  // the plotly.js the server's figures are made for
const CONFIG = { staticPlot: true, displayModeBar: false, responsive: false };  // a wall: nothing to click
const CARTESIAN = new Set(["bar", "scatter", "scattergl", "histogram", "box"]);

let plotlyLoading = null;

/** plotly.js, loaded once on first need (4.8 MB: only kiosks showing a figure panel pay for it). */
export function loadPlotly() {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!plotlyLoading) {
    const script = document.createElement("script");
    plotlyLoading = new Promise((resolve, reject) => {
      script.src = PLOTLY_URL;
      script.async = true;
      script.onload = () => (window.Plotly ? resolve(window.Plotly) : reject(new Error("plotly.js defined no Plotly")));
      script.onerror = () => reject(new Error(`cannot load ${PLOTLY_URL}`));
      document.head.append(script);
    }).catch((err) => {
      plotlyLoading = null;  // try again at the next refresh
      script.remove();
      throw err;
    });
  }
  return plotlyLoading;
}

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

/** The figure's layout sized to its cell, with text readable from the hall floor. */
function sized(layout, data, width, height) {
  const size = Math.round(Math.max(10, Math.min(28, height / 20, width / 26)));
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

/** One panel window's figures: owns its element, its refresh timer and the last picture of each figure. */
export class PanelFigures {
  constructor({ windowId, title, figures, token, refreshMs }) {
    this.figures = figures;
    this.token = token;
    this.refreshMs = refreshMs;
    this.last = new Map();      // figure name -> last Plotly JSON drawn
    this.failed = new Set();    // figures whose last refresh failed
    this.sizes = new Map();     // figure name -> "w x h" it was drawn at
    this.busy = false;
    this.abort = null;
    this.timer = null;

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
    this.refresh();
    this.timer = setInterval(() => this.refresh(), this.refreshMs);
  }

  /** Fetch every figure and redraw it; never throws (a failure marks the panel stale). */
  async refresh() {
    if (this.busy || this.timer === false) return;  // the last round is still out, or the panel is gone
    this.busy = true;
    this.abort = new AbortController();
    let guard = null;
    try {
      let Plotly = null;
      try {
        Plotly = await loadPlotly();
      } catch (err) {
        console.warn("panel figures:", err.message);
      }
      guard = setTimeout(() => this.abort?.abort(), Math.max(10000, this.refreshMs));  // a hung request: stale
      await Promise.all(this.figures.map(async (name) => {
        try {
          const res = await fetch(`/api/events/figures/${encodeURIComponent(name)}`, {
            headers: { Authorization: `Bearer ${this.token}` }, signal: this.abort.signal, cache: "no-store",
          });
          if (!res.ok) throw new Error(`figure ${name}: HTTP ${res.status}`);
          const fig = await res.json();
          if (!Plotly || !Array.isArray(fig.data) || typeof fig.layout !== "object") throw new Error(`figure ${name}: not drawable`);
          this.last.set(name, fig);
          this.sizes.delete(name);  // new data: draw even at the same size
          await this.draw(name);
          this.failed.delete(name);
        } catch (err) {
          if (err.name !== "AbortError") console.warn("panel figures:", err.message);
          this.failed.add(name);
        }
      }));
    } finally {
      clearTimeout(guard);
      this.busy = false;
      this.abort = null;
      this.mark();
    }
  }

  mark() {
    const drawn = this.last.size > 0;
    this.stale.hidden = this.failed.size === 0;
    this.stale.title = [...this.failed].join(", ");
    this.el.dataset.state = this.failed.size ? "stale" : drawn ? "live" : "loading";
    this.el.classList.toggle("drawn", drawn);
  }

  /** Draw one figure's last picture at its cell's current size (Plotly.react: no flicker). */
  async draw(name) {
    const fig = this.last.get(name), cell = this.cells.get(name);
    if (!fig || !cell || !window.Plotly || this.timer === false) return;
    const width = Math.floor(cell.clientWidth), height = Math.floor(cell.clientHeight);
    if (width < 20 || height < 20) return;  // not in the page (yet)
    const size = `${width}x${height}`;
    if (this.sizes.get(name) === size) return;
    this.sizes.set(name, size);
    await window.Plotly.react(cell, fig.data, sized(fig.layout, fig.data, width, height), CONFIG);
    cell.dataset.updates = String(Number(cell.dataset.updates) + 1);
  }

  /** Lay the panel out in a box of the full window's size (w x h) and redraw what changed size. */
  layout(w, h) {
    const headerH = Math.max(16, Math.min(40, h * 0.06));
    this.header.style.height = `${headerH}px`;
    this.header.style.fontSize = `${headerH * 0.6}px`;
    const { cols, rows } = grid(this.figures.length, w, h - headerH);
    this.body.style.gridTemplateColumns = `repeat(${cols}, minmax(0, 1fr))`;
    this.body.style.gridTemplateRows = `repeat(${rows}, minmax(0, 1fr))`;
    for (const name of this.figures) this.draw(name).catch((err) => console.warn("panel figures:", err.message));
  }

  destroy() {
    clearInterval(this.timer);
    this.timer = false;
    if (this.abort) this.abort.abort();
    if (window.Plotly) for (const cell of this.cells.values()) window.Plotly.purge(cell);
    this.el.remove();
  }
}

/** What a panel window shows: the district's map for a map panel, else its figures. */
export function panelView(part, { token, refreshMs, screen }) {
  const title = part.title || part.panel_name || part.panel;
  if (part.panel_kind === "map") return new WallMap({ windowId: part.window_id, title, token, refreshMs, screen });
  return new PanelFigures({ windowId: part.window_id, title, figures: part.figures, token, refreshMs });
}

/** Whether the kiosk draws this panel part itself (figures or a map) rather than as a titled box. */
export const drawsPanel = (p) => p.kind === "panel" && (p.panel_kind === "map" || p.figures?.length > 0);
