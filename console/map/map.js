// The one map component of the hall (console, wall panels, field page, event detail): the district's layers
// served by /api/gis, live events and workers, the heat map, an area, a patrol track, 3D for the pilot street.

import { loadMapLibre, usePmtiles } from "./maplibre.js";
import { baseStyle, districtLayers, liveLayers, CLICKABLE, TOGGLES, STALE_AFTER_S } from "./style.js";

const EMPTY = { type: "FeatureCollection", features: [] };
const LIVE_SOURCES = ["heat", "area", "track", "events", "workers"];

/** Seconds since `at` (epoch seconds or an ISO string); null when unknown. */
export function ageSeconds(at, now = Date.now() / 1000) {
  if (at == null || at === "") return null;
  const t = typeof at === "number" ? at : Date.parse(at) / 1000;
  return Number.isFinite(t) ? Math.max(0, now - t) : null;
}

/** A polygon ring for a circle of `m` metres round (lat, lon), for drawing a radius. */
export function circleRing(lat, lon, m, steps = 64) {
  const mLat = 111320, mLon = 111320 * Math.cos((lat * Math.PI) / 180);
  const ring = [];
  for (let i = 0; i <= steps; i++) {
    const a = (2 * Math.PI * i) / steps;
    ring.push([lon + (Math.cos(a) * m) / mLon, lat + (Math.sin(a) * m) / mLat]);
  }
  return ring;
}

/** A shape of the area API ({kind: "box", w, s, e, n} or {kind: "radius", lat, lon, radius_m}) as GeoJSON. */
export function shapeFeature(shape) {
  const ring = shape.kind === "box"
    ? [[shape.w, shape.s], [shape.e, shape.s], [shape.e, shape.n], [shape.w, shape.n], [shape.w, shape.s]]
    : circleRing(shape.lat, shape.lon, shape.radius_m);
  return { type: "FeatureCollection", features: [{ type: "Feature", properties: {}, geometry: { type: "Polygon", coordinates: [ring] } }] };
}

export class HallMap {
  /**
   * `client`: {json(path), blob(path), post(path, body)} with the page's own token; `scale`: size of lines, dots
   * and labels (the wall's is computed from its pixel pitch); `interactive`: false on the wall; `onSelect(sel)`:
   * a clicked feature {layer, id, props, lngLat}; `pitch`: initial tilt; `labels`: grid names as HTML.
   */
  constructor(container, { client, scale = 1, interactive = true, onSelect = null, pitch = 0, labels = true,
    fit = null } = {}) {
    this.container = container;
    this.client = client;
    this.scale = scale;
    this.interactive = interactive;
    this.onSelect = onSelect;
    this.pitch = pitch;
    this.labels = labels;
    this.fit = fit;  // [w, s, e, n] to show first instead of the whole district
    this.settings = null;
    this.map = null;
    this.markers = [];
    this.events = new Map();   // id -> feature
    this.workers = new Map();  // name -> feature
    this.threeD = false;
    this.selectedEvent = null;
    container.classList.add("hall-map");
    container.hallMap = this;  // for whoever holds the element (the tests, the wall panel)
    container.dataset.state = "loading";
    this.ready = this.init().then(() => {
      container.dataset.state = "ready";
      return this;
    }, (err) => {
      container.dataset.state = "failed";
      container.dataset.error = err.message;
      throw err;
    });
  }

  async init() {
    const [gl, settings] = await Promise.all([loadMapLibre(), this.client.json("/api/gis/map")]);
    this.settings = settings;
    if (settings.tiles?.kind === "pmtiles") await usePmtiles(gl);
    const [w, s, e, n] = this.fit || settings.bounds;
    const token = this.client.token;
    this.map = new gl.Map({
      container: this.container, style: baseStyle(settings), bounds: [[w, s], [e, n]],
      fitBoundsOptions: { padding: this.fit ? 10 : 20 }, pitch: this.pitch, maxPitch: 70,
      interactive: this.interactive, attributionControl: settings.tiles ? {} : false, boxZoom: false,
      canvasContextAttributes: { preserveDrawingBuffer: true },  // screenshots of the map (tests, README)
      // the district's layers come from our API with the page's token; nothing else is fetched
      transformRequest: (url) => (url.startsWith(`${location.origin}/api/`) && token
        ? { url, headers: { Authorization: `Bearer ${token}` } } : { url }),
    });
    if (this.interactive) this.map.addControl(new gl.NavigationControl({ visualizePitch: true }), "top-right");
    await new Promise((resolve, reject) => {
      this.map.once("load", resolve);
      this.map.once("error", (ev) => reject(ev.error || new Error("the map failed to load")));
    });
    for (const name of ["grids", "water", "areas", "roads", "buildings", "components", "places", "cameras"]) {
      this.map.addSource(name, { type: "geojson", data: `${location.origin}/api/gis/layers/${name}`, promoteId: "id" });
    }
    for (const name of LIVE_SOURCES) this.map.addSource(name, { type: "geojson", data: EMPTY, promoteId: "id" });
    for (const [source, spec] of [...districtLayers(this.scale), ...liveLayers(this.scale)]) {
      if (!settings.pilot_street && spec.id === "buildings-3d") continue;
      this.map.addLayer({ ...spec, source });
    }
    await this.sourcesLoaded();
    if (this.labels) await this.drawGridLabels();
    if (this.interactive) this.bindClicks();
    this.map.on("moveend", () => this.declutter());
    this.map.on("resize", () => this.declutter());
  }

  /** Grid names that would overlap a name already shown are hidden (the first grids listed win). */
  declutter() {
    const shown = [];
    for (const m of this.markers) {
      const e = m.getElement();
      e.style.visibility = "";
      if (e.hidden) continue;
      const r = e.getBoundingClientRect();
      const clash = shown.some((s) => r.left < s.right && s.left < r.right && r.top < s.bottom && s.top < r.bottom);
      if (clash) e.style.visibility = "hidden";
      else shown.push(r);
    }
  }

  /** Resolves once every district source has its data (the map is drawable, tests can look). */
  sourcesLoaded() {
    return new Promise((resolve) => {
      const check = () => {
        const done = ["grids", "water", "areas", "roads", "buildings", "components", "places", "cameras"]
          .every((id) => this.map.isSourceLoaded(id));
        if (done) { this.map.off("sourcedata", check); resolve(); }
      };
      this.map.on("sourcedata", check);
      check();
    });
  }

  async drawGridLabels() {
    const grids = await this.client.json("/api/gis/layers/grids");
    const gl = window.maplibregl;
    for (const f of grids.features) {
      const ring = f.geometry.type === "Polygon" ? f.geometry.coordinates[0] : f.geometry.coordinates[0][0];
      const xs = ring.map((p) => p[0]), ys = ring.map((p) => p[1]);
      const label = document.createElement("div");
      label.className = "map-label map-label-grid";
      label.dataset.grid = f.properties.id;
      label.style.fontSize = `${Math.round(12 * this.scale)}px`;
      label.textContent = f.properties.name;
      const marker = new gl.Marker({ element: label, pitchAlignment: "viewport" })
        .setLngLat([(Math.min(...xs) + Math.max(...xs)) / 2, (Math.min(...ys) + Math.max(...ys)) / 2])
        .addTo(this.map);
      this.markers.push(marker);
    }
    this.declutter();
  }

  bindClicks() {
    const layers = () => CLICKABLE.filter((id) => this.map.getLayer(id));
    this.map.on("click", (ev) => {
      const hit = this.map.queryRenderedFeatures(ev.point, { layers: layers() })[0];
      if (!hit || !this.onSelect) return;
      const layer = hit.layer.id.replace(/-(dot|fill|3d|line|head)$/, "");
      this.onSelect({ layer, id: hit.properties.id ?? hit.properties.name, props: hit.properties,
        lngLat: [ev.lngLat.lng, ev.lngLat.lat] });
    });
    this.map.on("mousemove", (ev) => {
      const over = this.map.queryRenderedFeatures(ev.point, { layers: layers().slice(0, 6) }).length > 0;
      this.map.getCanvas().style.cursor = over ? "pointer" : "";
    });
  }

  // --- what is shown ---------------------------------------------------------------------------

  setVisible(name, on) {
    for (const id of TOGGLES[name] || []) {
      if (this.map.getLayer(id)) this.map.setLayoutProperty(id, "visibility", on ? "visible" : "none");
    }
    if (name === "grids") for (const m of this.markers) m.getElement().hidden = !on;
  }

  isVisible(name) {
    const id = (TOGGLES[name] || [])[0];
    return !!id && this.map.getLayer(id) && this.map.getLayoutProperty(id, "visibility") !== "none";
  }

  /** Events as the API returns them (views or `event` notices): a dot each, coloured by countdown light. */
  setEvents(list) {
    this.events.clear();
    for (const ev of list) this.putEvent(ev);
    this.flushEvents();
  }

  /** One `event` notice: moves, recolours, or (closed and final states) removes the event's dot. */
  upsertEvent(n) {
    if (n.open === false) this.events.delete(n.id);  // the notice says whether it is still open
    else this.putEvent(n, this.events.get(n.id)?.properties);
    this.flushEvents();
  }

  putEvent(ev, before = {}) {
    const lat = ev.lat ?? before.lat, lon = ev.lon ?? before.lon;
    if (lat == null || lon == null) return;
    const light = ev.light !== undefined ? ev.light : (ev.countdown ? ev.countdown.light : before.light ?? null);
    this.events.set(ev.id, { type: "Feature", id: ev.id, geometry: { type: "Point", coordinates: [lon, lat] },
      properties: { ...before, id: ev.id, state: ev.state ?? before.state, light, lat, lon,
        category_name: ev.category_name ?? before.category_name ?? null, place: ev.place ?? before.place ?? null,
        selected: ev.id === this.selectedEvent } });
  }

  flushEvents() {
    this.map?.getSource("events")?.setData({ type: "FeatureCollection", features: [...this.events.values()] });
    this.container.dataset.events = String(this.events.size);
  }

  selectEvent(id) {
    this.selectedEvent = id;
    for (const f of this.events.values()) f.properties.selected = f.properties.id === id;
    this.flushEvents();
  }

  /** Workers' last positions ({name, display_name, lat, lon, status, at, grids, call}); stale ones fade. */
  setWorkers(list, { replace = true } = {}) {
    if (replace) this.workers.clear();
    const now = Date.now() / 1000;
    for (const w of list) {
      if (w.lat == null || w.lon == null) { this.workers.delete(w.name); continue; }
      const age = ageSeconds(w.at, now);
      this.workers.set(w.name, { type: "Feature", id: w.name, geometry: { type: "Point", coordinates: [w.lon, w.lat] },
        properties: { ...w, id: w.name, grids: (w.grids || []).join(", "), status: w.status || "on_duty",
          age_s: age, stale: age != null && age > STALE_AFTER_S } });
    }
    this.map?.getSource("workers")?.setData({ type: "FeatureCollection", features: [...this.workers.values()] });
    this.container.dataset.workers = String(this.workers.size);
  }

  /** Heat of events: [[lon, lat], ...] (GET /api/gis/heat). */
  setHeat(points) {
    this.map.getSource("heat").setData({ type: "FeatureCollection", features: points.map((p) => (
      { type: "Feature", properties: {}, geometry: { type: "Point", coordinates: p } })) });
    this.setVisible("heat", true);
    this.container.dataset.heat = String(points.length);
  }

  setArea(shape) {
    this.map.getSource("area").setData(shape ? shapeFeature(shape) : EMPTY);
  }

  /** A patrol track ([{lat, lon, at, status}]) with its head at point `head` (the playback's position). */
  setTrack(points, head = null) {
    const features = [];
    if (points.length > 1) {
      features.push({ type: "Feature", properties: { id: "track" },
        geometry: { type: "LineString", coordinates: points.map((p) => [p.lon, p.lat]) } });
    }
    if (head != null && points[head]) {
      const p = points[head];
      features.push({ type: "Feature", properties: { id: "head", ...p }, geometry: { type: "Point", coordinates: [p.lon, p.lat] } });
    }
    this.map.getSource("track").setData({ type: "FeatureCollection", features });
  }

  fitPoints(coords, padding = 60) {
    if (!coords.length) return;
    const xs = coords.map((c) => c[0]), ys = coords.map((c) => c[1]);
    this.map.fitBounds([[Math.min(...xs), Math.min(...ys)], [Math.max(...xs), Math.max(...ys)]],
      { padding, maxZoom: 17, duration: 0 });
  }

  /** 3D: the pilot street's buildings extruded by height, the map tilted and turned (and back). */
  set3D(on, { animate = true } = {}) {
    this.threeD = on;
    if (this.map.getLayer("buildings-3d")) this.map.setLayoutProperty("buildings-3d", "visibility", on ? "visible" : "none");
    const camera = on ? { pitch: this.pitch > 0 ? this.pitch : 55, bearing: -20 } : { pitch: 0, bearing: 0 };
    if (animate) this.map.easeTo({ ...camera, duration: 600 });
    else {  // the wall: the whole district, tilted, filling the panel
      const [w, s, e, n] = this.fit || this.settings.bounds;
      const fit = this.map.cameraForBounds([[w, s], [e, n]], { padding: 10 });
      // fitted flat, then tilted (not turned): the district keeps the panel's width, the near side a little more
      this.map.jumpTo({ ...fit, zoom: fit.zoom + 0.2, pitch: camera.pitch, bearing: 0 });
    }
    this.container.dataset.threeD = String(on);
  }

  /** Let the person drag a box on the map; resolves to {kind: "box", w, s, e, n} (null if Escape). */
  pickBox() {
    const map = this.map, canvas = map.getCanvasContainer();
    map.dragPan.disable();
    canvas.classList.add("picking");
    return new Promise((resolve) => {
      let start = null, box = null;
      const pos = (e) => { const r = canvas.getBoundingClientRect(); return [e.clientX - r.left, e.clientY - r.top]; };
      const finish = (result) => {
        canvas.removeEventListener("mousedown", down);
        window.removeEventListener("mousemove", move);
        window.removeEventListener("mouseup", up);
        window.removeEventListener("keydown", key);
        box?.remove();
        canvas.classList.remove("picking");
        map.dragPan.enable();
        resolve(result);
      };
      const down = (e) => {
        if (e.button !== 0) return;
        e.preventDefault();
        start = pos(e);
        box = Object.assign(document.createElement("div"), { className: "map-pick-box" });
        canvas.append(box);
      };
      const move = (e) => {
        if (!start) return;
        const [x, y] = pos(e);
        Object.assign(box.style, { left: `${Math.min(x, start[0])}px`, top: `${Math.min(y, start[1])}px`,
          width: `${Math.abs(x - start[0])}px`, height: `${Math.abs(y - start[1])}px` });
      };
      const up = (e) => {
        if (!start) return;
        const end = pos(e);
        if (Math.abs(end[0] - start[0]) < 4 || Math.abs(end[1] - start[1]) < 4) { finish(null); return; }
        const a = map.unproject(start), b = map.unproject(end);
        finish({ kind: "box", w: Math.min(a.lng, b.lng), s: Math.min(a.lat, b.lat), e: Math.max(a.lng, b.lng), n: Math.max(a.lat, b.lat) });
      };
      const key = (e) => { if (e.key === "Escape") finish(null); };
      canvas.addEventListener("mousedown", down);
      window.addEventListener("mousemove", move);
      window.addEventListener("mouseup", up);
      window.addEventListener("keydown", key);
    });
  }

  resize() { this.map?.resize(); }

  destroy() {
    for (const m of this.markers) m.remove();
    this.markers = [];
    this.map?.remove();
    this.map = null;
  }
}
