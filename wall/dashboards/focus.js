// An alarm's map on the wall: a map panel window with a focus (layouts' MapFocus), the district's map round the
// place of the event or warning, the place ringed, with the alarm's words above it in the title size.

import { el } from "/console/events-model.js";
import { typeSizes } from "./type.js";
import { WallLiveMap } from "./map-tile.js";

const M_PER_DEG = 111320;

/** [w, s, e, n] round a point out to `m` metres. */
export function box(lat, lon, m) {
  const dy = m / M_PER_DEG, dx = m / (M_PER_DEG * Math.cos((lat * Math.PI) / 180));
  return [lon - dx, lat - dy, lon + dx, lat + dy];
}

export class FocusView {
  constructor({ part, link, screen, token }) {
    this.part = part;
    this.link = link;
    this.screen = screen;
    const f = part.focus;
    this.el = el("div", { class: "panel-canvas dash focus", testid: `focus-${part.window_id}`,
      dataset: { state: "loading", lat: f.lat, lon: f.lon, event: f.event || "" } });
    this.header = el("header", { class: "dash-header focus-header" },
      el("span", { class: "dash-title", textContent: part.title || `Alarm · ${f.label || ""}` }),
      el("span", { class: "dash-asof", textContent: `within ${Math.round(f.radius_m)} m` }));
    this.body = el("div", { class: "focus-map" });
    this.el.append(this.header, this.body);
    this.map = new WallLiveMap(this.body, { token, link, focus: f, fit: box(f.lat, f.lon, f.radius_m) });
  }

  start() { this.link.ready().then(() => this.relayout()); }

  layout(w, h) {
    this.size = [w, h];
    this.el.style.width = `${w}px`;
    this.el.style.height = `${h}px`;
    this.relayout();
  }

  relayout() {
    if (!this.size || !this.link.mmPerPx) return;
    const sizes = typeSizes(this.link.type, this.link.mmPerPx, this.screen);
    this.el.style.setProperty("--lab", `${sizes.label}px`);
    this.el.style.setProperty("--tit", `${sizes.title}px`);
    this.el.dataset.labelPx = sizes.label.toFixed(2);
    this.map.layout(sizes);
    this.el.dataset.state = "live";
  }

  destroy() {
    this.map.destroy();
    this.el.remove();
  }
}
