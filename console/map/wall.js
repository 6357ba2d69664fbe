// A map panel on a wall screen: the district with open events by countdown light, grid workers by status and
// the pilot street in 3D (tilted as gis.wall_pitch says); nothing to click; type sized for reading from 10 m
// from the screen's physical pixel pitch (GET /api/wall: px_per_mm, each screen's canvas and resolution).

import { el } from "../events-model.js";
import { HallMap } from "./map.js";
import { mapClient } from "./client.js";
import { LIGHT, STATUS } from "./style.js";

export const LABEL_MM = 30;  // letters about 3 cm high: readable from the hall floor, 10 m away
const BASE_LABEL_PX = 12;    // the map's own label size at scale 1

/** CSS pixels for `mm` of text on this screen: its millimetres per screen pixel, and the page's scale. */
export function labelPx(wall, screen, mm = LABEL_MM, cssPerScreenPx = 1) {
  const mmPerPx = screen.canvas.w / wall.px_per_mm / screen.resolution[0];
  return (mm / mmPerPx) * cssPerScreenPx;
}

export class WallMap {
  constructor({ windowId, title, token, refreshMs, screen }) {
    this.client = mapClient(token);
    this.refreshMs = refreshMs;
    this.screen = screen;
    this.map = null;
    this.timer = null;
    this.gone = false;
    this.el = el("div", { class: "panel-canvas wall-map", testid: `wall-map-${windowId}`, dataset: { state: "loading" } });
    this.header = el("div", { class: "panel-header" }, el("span", { class: "panel-title", textContent: title }));
    this.body = el("div", { class: "hall-map-host" });
    this.el.append(this.header, this.body);
  }

  async start() {
    try {
      const { wall } = { wall: (await this.client.json("/api/wall")).wall };
      const cssPerScreenPx = window.innerWidth / this.screen.resolution[0];
      const px = labelPx(wall, wall.screens.find((s) => s.id === this.screen.id) || this.screen, LABEL_MM, cssPerScreenPx);
      this.scale = Math.max(1, Math.min(8, px / BASE_LABEL_PX));
      this.el.dataset.labelPx = String(Math.round(px));
      this.header.style.fontSize = `${Math.round(px)}px`;
      const settings = await this.client.json("/api/gis/map");
      if (this.gone) return;
      this.map = new HallMap(this.body, { client: this.client, scale: this.scale, interactive: false, pitch: settings.wall_pitch });
      await this.map.ready;
      if (settings.wall_pitch > 0 && settings.pilot_street) this.map.set3D(true, { animate: false });
      this.legend(px);
      await this.refresh();
      this.el.dataset.state = "live";
      this.timer = setInterval(() => this.refresh(), this.refreshMs);
    } catch (err) {
      console.warn("wall map:", err.message);
      this.el.dataset.state = "failed";
    }
  }

  legend(px) {
    const item = (colour, text) => el("span", {}, el("i", { style: `background:${colour}` }), text);
    this.body.append(el("div", { class: "wall-map-legend", style: `font-size:${Math.round(px * 0.8)}px` },
      item(LIGHT.green, "on time"), item(LIGHT.yellow, "soon due"), item(LIGHT.red, "overdue"),
      item(STATUS.on_duty, "grid worker"), item(STATUS.busy, "busy")));
  }

  /** Open events and workers again (a failure keeps the last picture and marks the panel stale). */
  async refresh() {
    if (!this.map || this.gone) return;
    try {
      const [events, workers] = await Promise.all([this.client.json("/api/events?open=true&limit=500"),
        this.client.json("/api/gis/workers")]);
      this.map.setEvents(events.events);
      this.map.setWorkers(workers.workers);
      this.el.dataset.state = "live";
    } catch (err) {
      console.warn("wall map:", err.message);
      this.el.dataset.state = "stale";
    }
  }

  layout(w, h) {
    this.el.style.width = `${w}px`;
    this.el.style.height = `${h}px`;
    this.map?.resize();
  }

  destroy() {
    this.gone = true;
    clearInterval(this.timer);
    this.map?.destroy();
    this.el.remove();
  }
}
