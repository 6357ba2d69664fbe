// A ticker window: the connectors' lines (weather, traffic, news, warnings) running right to left, pushed by the
// hall as they change; a warning is coloured by its level, a line that is getting old says since when. The line's
// place follows the wall clock, so a ticker across a seam runs on as one.

import { el } from "/console/events-model.js";
import { mmToPx } from "./type.js";

const SPEED_MM_S = 150;  // how fast the line runs on the wall
const ALERT = ["#58a6ff", "#e3b341", "#f0883e", "#f85149"];  // a warning's level, least to most severe

export class TickerView {
  constructor({ part, link, screen }) {
    this.pid = part.panel;
    this.link = link;
    this.screen = screen;
    this.el = el("div", { class: "panel-canvas ticker", testid: `ticker-${part.window_id}`, dataset: { state: "loading" } });
    this.track = el("div", { class: "ticker-track" });
    this.el.append(this.track);
    this.width = 0;
    this.frame = null;
  }

  start() {
    this.unwatch = this.link.watch(this.pid, (doc) => this.update(doc));
    this.link.ready().then(() => this.relayout());
    const run = () => { this.move(); this.frame = requestAnimationFrame(run); };
    this.frame = requestAnimationFrame(run);
  }

  update(doc) {
    this.doc = doc;
    const items = (doc.lines || []).map((l) => {
      const level = l.alert ? ALERT[Math.min(ALERT.length - 1, Math.round(l.alert.rank * (ALERT.length - 1)
        / Math.max(1, l.alert.levels.length - 1)))] : null;
      return el("span", { class: `ticker-item${l.alert ? " alert" : ""}`, dataset: { connector: l.id },
        style: level ? `--alert:${level}` : "" },
      el("i", { class: "ticker-dot" }), l.line, l.stale ? el("small", { textContent: ` (as of ${l.as_of})` }) : null);
    });
    if (!items.length) items.push(el("span", { class: "ticker-item", textContent: "no news from other systems yet" }));
    // twice, so the line never ends on the wall
    this.track.replaceChildren(el("span", { class: "ticker-run" }, ...items),
      el("span", { class: "ticker-run", ariaHidden: "true" }, ...items.map((i) => i.cloneNode(true))));
    this.el.dataset.state = "live";
    this.el.dataset.updates = String(Number(this.el.dataset.updates || 0) + 1);
    this.relayout();
  }

  layout(w, h) {
    this.size = [w, h];
    this.el.style.width = `${w}px`;
    this.el.style.height = `${h}px`;
    this.relayout();
  }

  relayout() {
    if (!this.size || !this.link.mmPerPx || !this.doc) return;
    const min = mmToPx(this.doc.type.label_mm, this.link.mmPerPx, this.screen.resolution[0]);
    const font = Math.max(min, this.size[1] * 0.55);
    this.el.style.fontSize = `${font}px`;
    this.el.dataset.labelPx = min.toFixed(2);
    this.speed = mmToPx(SPEED_MM_S, this.link.mmPerPx, this.screen.resolution[0]);
    this.width = this.track.firstChild?.offsetWidth || 0;
  }

  move() {
    if (!this.width || !this.speed) return;
    const x = ((Date.now() / 1000) * this.speed) % this.width;
    this.track.style.transform = `translateX(${-x}px)`;
  }

  destroy() {
    cancelAnimationFrame(this.frame);
    this.unwatch?.();
    this.el.remove();
  }
}
