// The tiles of a dashboard, each drawn in the type sizes of its screen: a chart (plotly.js), a list (long ones
// run upward by themselves), a ranking (a page at a time, in turns), squares, and the district's map. Nothing
// needs a pointer: whatever a person should read is written out. Moving parts follow the wall clock, so the two
// kiosks of a panel across a seam show the same moment.

import { el } from "/console/events-model.js";
import { loadPlotly } from "../plotly.js";
import { WallLiveMap } from "./map-tile.js";

const PLOT_CONFIG = { staticPlot: true, displayModeBar: false, responsive: false };
const PAGE_MS = 8000;        // a ranking's page stays this long
const SCROLL_PX_S = 1.2;     // a long list runs upward this many label heights a second

export const TONE_COLOURS = { good: "#3fb950", warn: "#e3b341", bad: "#f85149", info: "#58a6ff" };
export const LIGHTS = { green: "#3fb950", yellow: "#e3b341", red: "#f85149" };

/** A tile's frame: its title, its body and an optional note, all at the label size. */
class Tile {
  constructor(tile) {
    this.id = tile.id;
    this.el = el("section", { class: `dash-tile kind-${tile.kind}`, dataset: { tile: tile.id, kind: tile.kind } });
    this.title = el("h3", { class: "dash-tile-title" });
    this.body = el("div", { class: "dash-tile-body" });
    this.note = el("p", { class: "dash-note" });
    this.el.append(this.title, this.body, this.note);
    this.sizes = null;
  }

  update(tile) {
    this.tile = tile;
    this.title.textContent = tile.title;
    this.note.textContent = tile.note || "";
    this.note.hidden = !tile.note;
    this.fill(tile);
    if (this.sizes) this.draw();
  }

  layout(sizes) {
    this.sizes = sizes;
    this.draw();
  }

  fill() {}
  draw() {}
  destroy() { this.el.remove(); }
}

/** Plotly's layout with every text at the label size and margins that make room for it. */
export function wallLayout(layout, data, width, height, L) {
  const font = { ...(layout.font || {}), size: L };
  const axis = (a) => ({ ...(a || {}), tickfont: { size: L }, title: a?.title ? { ...a.title, font: { size: L } } : undefined });
  const out = { ...layout, width, height, autosize: false, font,
    margin: { l: L * 0.5, r: L * 3, t: layout.showlegend ? L * 2.4 : L * 0.6, b: L * 0.5, pad: L * 0.2 },
    legend: layout.legend ? { ...layout.legend, font: { size: L } } : undefined,
    xaxis: axis(layout.xaxis), yaxis: axis(layout.yaxis) };
  if (out.title) delete out.title;  // the tile's own title is written above the plot
  return out;
}

/** Whether a figure has anything to show: a value above zero in one of its traces. */
const hasValues = (fig) => (fig?.data || []).some((t) => [...(t.x || []), ...(t.y || []), ...(t.values || [])]
  .some((v) => typeof v === "number" && v > 0));

export class ChartTile extends Tile {
  fill(tile) {
    this.figure = tile.figure;
    this.empty = !hasValues(tile.figure);
    this.el.dataset.empty = String(this.empty);
    if (this.empty) {
      window.Plotly?.purge(this.body);
      this.body.replaceChildren(el("p", { class: "dash-empty", textContent: tile.empty }));
    } else {
      this.body.querySelector(".dash-empty")?.remove();
    }
  }

  async draw() {
    const Plotly = await loadPlotly().catch(() => null);
    if (!Plotly || !this.figure || !this.sizes || this.empty) return;
    const w = Math.floor(this.body.clientWidth), h = Math.floor(this.body.clientHeight);
    if (w < 20 || h < 20) return;
    const L = this.sizes.label;
    const data = this.figure.data.map((t) => (t.type === "bar"
      ? { ...t, textfont: { size: L }, constraintext: "none", outsidetextfont: { size: L } } : t));
    await Plotly.react(this.body, data, wallLayout(this.figure.layout, data, w, h, L), PLOT_CONFIG);
    this.el.dataset.drawn = String(Number(this.el.dataset.drawn || 0) + 1);
  }

  destroy() {
    window.Plotly?.purge(this.body);
    super.destroy();
  }
}

/** One line: a countdown light or tone, its text, what it is now (state, deadline, reason) and a time. */
function line(row) {
  const colour = LIGHTS[row.light] || TONE_COLOURS[row.tone] || null;
  return el("li", { class: `dash-row${row.tone ? ` tone-${row.tone}` : ""}`, dataset: { id: row.id || "" } },
    el("i", { class: "dash-dot", style: colour ? `background:${colour}` : "visibility:hidden" }),
    el("span", { class: "dash-row-text", textContent: row.text }),
    row.when ? el("span", { class: "dash-row-when", textContent: row.when }) : null,
    row.sub ? el("span", { class: "dash-row-sub", textContent: row.sub }) : null);
}

export class ListTile extends Tile {
  fill(tile) {
    this.rows = tile.rows;
    const list = el("ul", { class: "dash-list" }, ...tile.rows.map(line));
    if (!tile.rows.length) list.append(el("li", { class: "dash-empty", textContent: tile.empty }));
    this.list = list;
    this.body.replaceChildren(list);
  }

  draw() {
    // a list longer than its tile runs upward, again and again (a copy follows it so there is no gap)
    const list = this.list;
    list.style.animation = "";
    this.body.querySelector(".dash-list-copy")?.remove();
    const over = list.scrollHeight - this.body.clientHeight;
    this.el.dataset.scrolls = String(over > 2 && this.tile.scroll);
    if (over <= 2 || !this.tile.scroll) return;
    const copy = list.cloneNode(true);
    copy.classList.add("dash-list-copy");
    copy.setAttribute("aria-hidden", "true");
    this.body.append(copy);
    const distance = list.scrollHeight;
    const seconds = distance / (SCROLL_PX_S * this.sizes.label);
    this.body.style.setProperty("--scroll", `-${distance}px`);
    for (const l of [list, copy]) {
      l.style.animation = `dash-scroll ${seconds}s linear infinite`;
      l.style.animationDelay = `-${((Date.now() / 1000) % seconds).toFixed(2)}s`;  // the wall clock's moment
    }
  }
}

export class TableTile extends Tile {
  constructor(tile) {
    super(tile);
    this.page = 0;
    this.timer = setInterval(() => this.turn(), 1000);
  }

  fill(tile) {
    const head = el("div", { class: "dash-tr dash-th" }, el("span", { class: "dash-name", textContent: "" }),
      ...tile.columns.map((c) => el("span", { class: `dash-cell${c.bar ? " dash-bar-cell" : ""}`, textContent: c.label })),
      el("span", { class: "dash-grade", textContent: "Grade" }));
    this.rowEls = tile.rows.map((r) => el("div", { class: "dash-tr", dataset: { name: r.name } },
      el("span", { class: "dash-name", textContent: r.name }),
      ...tile.columns.map((c) => (c.bar
        ? el("span", { class: "dash-cell dash-bar-cell" },
          el("i", { class: "dash-bar", style: `width:${Math.round(100 * (r.bars?.[c.id] || 0))}%;background:${r.colour || "#58a6ff"}` }),
          el("b", { textContent: r.values[c.id] ?? "–" }))
        : el("span", { class: "dash-cell", textContent: r.values[c.id] ?? "–" }))),
      el("span", { class: "dash-grade", style: r.colour ? `background:${r.colour}` : "", textContent: r.grade || "–" })));
    this.pager = el("span", { class: "dash-pager" });
    this.rowsBox = el("div", { class: "dash-rows" }, ...this.rowEls);
    this.body.replaceChildren(head, this.rowsBox);
    if (!tile.rows.length) this.rowsBox.append(el("div", { class: "dash-empty", textContent: tile.empty }));
    this.title.append(this.pager);
    const cols = `minmax(0, 2.4fr) ${tile.columns.map((c) => (c.bar ? "minmax(0, 2fr)" : "minmax(0, 1fr)")).join(" ")} auto`;
    this.el.style.setProperty("--dash-cols", cols);
  }

  draw() { this.turn(true); }

  /** The page the wall clock says (the same on both kiosks of a panel across a seam). */
  turn(force = false) {
    if (!this.sizes || !this.rowEls) return;
    const rowH = this.sizes.label * 1.7;
    const per = Math.max(1, Math.floor(this.rowsBox.clientHeight / rowH));
    const pages = Math.max(1, Math.ceil(this.rowEls.length / per));
    const page = Math.floor(Date.now() / PAGE_MS) % pages;
    if (!force && page === this.page && per === this.per) return;
    this.page = page;
    this.per = per;
    this.rowEls.forEach((r, i) => { r.hidden = Math.floor(i / per) !== page; });
    this.pager.textContent = pages > 1 ? ` · ${page + 1}/${pages}` : "";
    this.el.dataset.pages = String(pages);
    this.el.dataset.page = String(page);
  }

  destroy() {
    clearInterval(this.timer);
    super.destroy();
  }
}

export class SquaresTile extends Tile {
  fill(tile) {
    this.body.replaceChildren(el("div", { class: "dash-squares" }, ...tile.items.map((i) => el("div", {
      class: `dash-square${i.tone ? ` tone-${i.tone}` : ""}`, dataset: { id: i.id },
      style: `--share:${Math.round(100 * i.share)}%` },
    el("span", { class: "dash-square-label", textContent: i.label }),
    el("b", { textContent: i.text })))));
  }
}

export class MapTile extends Tile {
  constructor(tile, ctx) {
    super(tile);
    this.ctx = ctx;
    this.map = null;
  }

  fill(tile) {
    if (!this.map) {
      this.map = new WallLiveMap(this.body, { ...this.ctx, events: !!tile.events, workers: !!tile.workers,
        legend: !!tile.legend });
    }
    if (tile.heat) this.map.heat(tile.heat);
  }

  draw() { this.map?.layout(this.sizes); }

  destroy() {
    this.map?.destroy();
    super.destroy();
  }
}

export const TILES = { chart: ChartTile, list: ListTile, table: TableTile, squares: SquaresTile, map: MapTile };
