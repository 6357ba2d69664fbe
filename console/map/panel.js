// The console's Map tab: the district's layers with switches, live events and workers, the events' heat map
// over a chosen period, area selection around an event (box or radius) with what is inside listed beside the
// map, patrol-track playback, and 3D for the pilot street (tilt and turn).

import { el } from "../events-model.js";
import { HallMap, shapeFeature } from "./map.js";
import { TOGGLES } from "./style.js";
import { mapClient, hallFeatures } from "./client.js";
import { renderDetails } from "./details.js";
import { renderArea, areaQuery } from "./area.js";
import { TrackPlayer } from "./track.js";

const LAYER_LABELS = { grids: "Grids", water: "Water", areas: "Areas", roads: "Roads", buildings: "Buildings",
  components: "Components", places: "Places", cameras: "Cameras", events: "Events", workers: "Workers", heat: "Heat map" };
const HEAT_PERIODS = [["1", "today"], ["7", "7 days"], ["30", "30 days"], ["90", "90 days"]];
const WORKER_ROLES = new Set(["admin", "operator", "commander"]);  // who sees workers' positions (roles.CENTRE)

export class MapPanel {
  /** `root`: the tab's section; `session`: the console's ({token, user}); `host`: {notify, openEvent, wallTargets}. */
  constructor(root, { session, host }) {
    this.root = root;
    this.session = session;
    this.host = host;
    this.map = null;
    this.urls = [];
    this.selection = null;
    this.lastEvent = null;  // the event the area is asked around
  }

  async show() {
    this.root.hidden = false;
    if (!this.map) await this.build();
    else this.map.resize();
  }

  hide() { this.root.hidden = true; this.track?.stop(); }

  reset() {
    this.hide();
    this.track?.destroy();
    this.map?.destroy();
    this.map = null;
    this.root.replaceChildren();
  }

  async build() {
    const client = mapClient(this.session.token);
    this.client = client;
    this.features = await hallFeatures(client);
    const role = this.session.user?.role;
    this.canWorkers = WORKER_ROLES.has(role);
    const mapEl = el("div", { class: "map-canvas", testid: "map" });
    this.side = el("aside", { class: "map-side" });
    this.detailsEl = el("div", { class: "map-card", testid: "map-selection" },
      el("div", { class: "muted", textContent: "Click anything on the map for its details." }));
    this.areaEl = el("div", { class: "map-card", testid: "map-area-card", hidden: true });
    this.trackEl = el("div", { class: "map-card map-track", testid: "map-track", hidden: !this.canWorkers });
    this.side.append(this.detailsEl, this.areaEl, this.trackEl);
    this.root.replaceChildren(el("div", { class: "map-main" }, this.toolbar(), mapEl), this.side);
    this.map = new HallMap(mapEl, { client, onSelect: (sel) => this.select(sel) });
    await this.map.ready;
    this.settings = this.map.settings;
    this.track = new TrackPlayer(this.trackEl, { map: this.map, client, features: this.features });
    for (const name of ["components", "places", "heat"]) this.setLayer(name, name !== "heat" ? this.toggles[name].checked : false);
    await Promise.all([this.loadEvents(), this.loadWorkers()]);
  }

  toolbar() {
    this.toggles = {};
    const layers = Object.keys(TOGGLES).filter((n) => n !== "heat" && (n !== "workers" || this.canWorkers)).map((name) => {
      const box = el("input", { type: "checkbox", checked: name !== "places", testid: `layer-${name}` });
      box.addEventListener("change", () => this.setLayer(name, box.checked));
      this.toggles[name] = box;
      return el("label", { class: "toggle" }, box, LAYER_LABELS[name]);
    });
    const heat = el("select", { testid: "heat-period", ariaLabel: "Heat map period" },
      el("option", { value: "", textContent: "Heat map: off" }), ...HEAT_PERIODS.map(([v, t]) => el("option", { value: v, textContent: `Heat: ${t}` })));
    heat.addEventListener("change", () => this.loadHeat(heat.value));
    const threeD = el("button", { class: "btn btn-sm", textContent: "3D", testid: "map-3d", title: "The pilot street in 3D: tilt and turn (right-drag or Ctrl-drag to turn)" });
    threeD.addEventListener("click", () => { this.map.set3D(!this.map.threeD); threeD.classList.toggle("active", this.map.threeD); });
    const box = el("button", { class: "btn btn-sm", textContent: "Select area", testid: "map-select-box", title: "Drag a box on the map" });
    box.addEventListener("click", async () => {
      box.classList.add("active");
      const shape = await this.map.pickBox();
      box.classList.remove("active");
      if (shape) await this.area(shape);
    });
    this.radius = el("input", { type: "number", min: "50", max: "10000", step: "50", value: "500", testid: "map-radius", ariaLabel: "radius (m)" });
    const around = el("button", { class: "btn btn-sm", textContent: "Radius around", testid: "map-select-radius",
      title: "What is within the radius of the selected event (or the last point clicked)" });
    around.addEventListener("click", () => {
      const at = this.lastEvent ? [this.lastEvent.lon, this.lastEvent.lat] : this.selection?.lngLat;
      if (!at) { this.host.notify?.("Select an event (or click a point) first.", { kind: "warn" }); return; }
      this.area({ kind: "radius", lat: at[1], lon: at[0], radius_m: Number(this.radius.value) || 500 });
    });
    const clear = el("button", { class: "btn btn-sm btn-ghost", textContent: "Clear", testid: "map-clear" });
    clear.addEventListener("click", () => { this.map.setArea(null); this.areaEl.hidden = true; this.map.setTrack([]); });
    return el("div", { class: "map-toolbar" }, el("div", { class: "map-tools" }, ...layers),
      el("div", { class: "map-tools" }, heat, threeD), el("div", { class: "map-tools" }, box, this.radius, el("span", { class: "muted", textContent: "m" }), around, clear));
  }

  setLayer(name, on) { this.map?.setVisible(name, on); }

  ctx() {
    return { client: this.client, settings: this.settings, features: this.features, urls: this.urls,
      notify: this.host.notify, openEvent: this.host.openEvent, wallTargets: this.host.wallTargets,
      canWall: WORKER_ROLES.has(this.session.user?.role), event: this.lastEvent,
      openTrack: this.canWorkers ? (name) => { this.trackEl.hidden = false; this.track.load(name); } : null,
      around: (e) => this.area({ kind: "radius", lat: e.lat, lon: e.lon, radius_m: Number(this.radius.value) || 500 }, e),
      showEvent: (id) => this.select({ layer: "events", id, props: { id } }),
      select: (sel) => this.select(sel) };
  }

  async select(sel) {
    this.selection = sel;
    for (const u of this.urls.splice(0)) URL.revokeObjectURL(u);
    if (sel.layer === "events") {
      this.map.selectEvent(sel.id);
      const f = this.map.events.get(sel.id);
      if (f) this.lastEvent = { id: sel.id, lat: f.properties.lat, lon: f.properties.lon };
    }
    const details = await renderDetails(sel, this.ctx());
    if (this.selection === sel) this.detailsEl.replaceChildren(details);
  }

  /** What is inside the shape: drawn on the map and listed beside it. */
  async area(shape, event = null) {
    if (event) this.lastEvent = { id: event.id, lat: event.lat, lon: event.lon };
    this.map.setArea(shape);
    this.map.fitPoints(shapeFeature(shape).features[0].geometry.coordinates[0], 40);  // the whole area in view
    this.areaEl.hidden = false;
    this.areaEl.replaceChildren(el("div", { class: "muted", textContent: "asking…" }));
    try {
      const a = await this.client.json(`/api/gis/area?${areaQuery(shape, { exclude: this.lastEvent?.id })}`);
      this.areaEl.replaceChildren(el("h3", { textContent: shape.kind === "box" ? "Inside the box" : `Within ${shape.radius_m} m` }),
        renderArea(a, this.ctx()));
    } catch (e) {
      this.areaEl.replaceChildren(el("div", { class: "muted", textContent: e.message }));
    }
  }

  async loadEvents() {
    try {
      const res = await this.client.json("/api/events?open=true&limit=500");
      this.map.setEvents(res.events);
    } catch (e) { this.host.notify?.(`Events on the map: ${e.message}`, { kind: "error" }); }
  }

  async loadWorkers() {
    if (!this.canWorkers) return;
    try {
      const res = await this.client.json("/api/gis/workers");
      this.map.setWorkers(res.workers);
    } catch (e) { this.host.notify?.(`Workers on the map: ${e.message}`, { kind: "error" }); }
  }

  async loadHeat(days) {
    if (!days) { this.setLayer("heat", false); return; }
    const until = new Date(), since = new Date(until.getTime() - Number(days) * 86400000);
    if (days === "1") since.setHours(0, 0, 0, 0);
    const res = await this.client.json(`/api/gis/heat?${new URLSearchParams({ since: since.toISOString(), until: until.toISOString() })}`);
    this.map.setHeat(res.points);
  }

  // --- pushed by the /console socket -----------------------------------------------------

  onEvent(n) { this.map?.settings && this.map.upsertEvent(n); }

  onWorkers(msg) { if (this.canWorkers && this.map?.settings) this.map.setWorkers(msg.workers || [], { replace: false }); }

  resync() { if (this.map?.settings) { this.loadEvents(); this.loadWorkers(); } }
}
