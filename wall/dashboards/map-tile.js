// The district's map inside a wall panel (the hall's one map component, console/map/map.js), not clickable, its
// lines, dots and labels sized from the screen's pitch: open events by countdown light and grid workers as they
// move (pushed on /wall: nothing polled), a heat map of where events were reported, or a focus on one place.

import { el } from "/console/events-model.js";
import { HallMap } from "/console/map/map.js";
import { mapClient } from "/console/map/client.js";
import { LIGHT, STATUS } from "/console/map/style.js";

const BASE_LABEL_PX = 12;  // the map's own label size at scale 1

export class WallLiveMap {
  /** `host`: the element to fill; `link`: the kiosk's PanelLink; `events`, `workers`: live layers; `heat`: a
   * heat map instead; `fit`: [w, s, e, n] to show instead of the district; `focus`: {lat, lon} marked. */
  constructor(host, { token, link, events = false, workers = false, legend = false, fit = null, focus = null,
    pitch = 0 }) {
    this.host = host;
    this.client = mapClient(token);
    this.link = link;
    this.opts = { events, workers, legend, fit, focus, pitch };
    this.box = el("div", { class: "dash-map" });
    host.append(this.box);
    host.dataset.state = "loading";
    this.hall = null;
    this.heatPoints = null;
    this.gone = false;
    this.unlink = null;
  }

  layout(sizes) {
    this.sizes = sizes;
    if (!this.hall) this.build(sizes).catch((err) => { console.warn("wall map:", err.message); this.host.dataset.state = "failed"; });
    else this.hall.resize();
    if (this.legendEl) this.legendEl.style.fontSize = `${sizes.label}px`;
  }

  async build(sizes) {
    const scale = Math.max(1, Math.min(10, sizes.label / BASE_LABEL_PX));
    this.hall = new HallMap(this.box, { client: this.client, scale, interactive: false, pitch: this.opts.pitch,
      fit: this.opts.fit, labels: true });
    this.box.dataset.labelPx = String(Math.round(sizes.label));
    await this.hall.ready;
    if (this.gone) return;
    const { events, workers, legend, focus } = this.opts;
    this.hall.setVisible("events", events || !!focus);
    this.hall.setVisible("workers", workers || !!focus);
    this.hall.setVisible("cameras", events || !!focus);  // the heat map alone: nothing on it but where
    if (events || focus) {
      const open = await this.client.json("/api/events?open=true&limit=500");  // once: then the notices move them
      this.hall.setEvents(open.events);
      if (focus?.event) this.hall.selectEvent(focus.event);
    }
    if (workers || focus) this.hall.setWorkers((await this.client.json("/api/gis/workers")).workers);
    if (events || workers || focus) {
      this.unlink = this.link.onMap((kind, msg) => {
        if (!this.hall?.map) return;
        if (kind === "event" && (events || focus)) this.hall.upsertEvent(msg);
        if (kind === "workers" && (workers || focus)) this.hall.setWorkers(msg.workers, { replace: false });
      });
    }
    if (focus) this.mark(focus);
    if (legend) this.legend();
    if (this.heatPoints) this.heat(this.heatPoints);
    this.host.dataset.state = "live";
  }

  /** Where events were reported: [lon, lat, how many] squares, weighted. */
  heat(points) {
    this.heatPoints = points;
    const m = this.hall?.map;
    if (!m || !m.getSource("heat")) return;
    const most = Math.max(1, ...points.map((p) => p[2]));
    m.getSource("heat").setData({ type: "FeatureCollection", features: points.map((p) => ({
      type: "Feature", properties: { w: p[2] / most }, geometry: { type: "Point", coordinates: [p[0], p[1]] } })) });
    m.setPaintProperty("heat", "heatmap-weight", ["coalesce", ["get", "w"], 1]);
    this.hall.setVisible("heat", true);
    this.box.dataset.heat = String(points.reduce((n, p) => n + p[2], 0));
  }

  mark(focus) {
    const ring = el("div", { class: "dash-focus-ring" });
    new window.maplibregl.Marker({ element: ring }).setLngLat([focus.lon, focus.lat]).addTo(this.hall.map);
  }

  legend() {
    const item = (colour, text) => el("span", {}, el("i", { style: `background:${colour}` }), text);
    this.legendEl = el("div", { class: "dash-map-legend", style: `font-size:${this.sizes.label}px` },
      item(LIGHT.green, "on time"), item(LIGHT.yellow, "soon due"), item(LIGHT.red, "overdue"),
      item(STATUS.on_duty, "grid worker on duty"), item(STATUS.busy, "busy"));
    this.box.append(this.legendEl);
  }

  destroy() {
    this.gone = true;
    this.unlink?.();
    this.hall?.destroy();
    this.box.remove();
  }
}
