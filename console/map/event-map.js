// The map around one event, for its detail (the console's events drawer, the field page): the event's dot,
// a circle of `radius` metres, and (for the centre's roles) the workers and cameras inside, each actionable.

import { el } from "../events-model.js";
import { HallMap } from "./map.js";
import { mapClient, hallFeatures } from "./client.js";
import { renderDetails, callButton, wallButton } from "./details.js";

const metres = (d) => (d < 1000 ? `${Math.round(d)} m` : `${(d / 1000).toFixed(1)} km`);

/**
 * The map section of an event's detail, kept on `owner` across its re-renders (one WebGL map per event shown).
 * `token`: the page's; `nearby`: ask what is around (GET /api/gis/area: the centre's roles and experts);
 * `host`: {notify, wallTargets, canWall}. Null for an event without a position.
 */
export function eventMap(owner, ev, { token, nearby = true, radius = 500, host = {} } = {}) {
  const kept = owner.eventMapState;
  if (kept && kept.id === ev.id) {
    kept.map.ready.then(() => kept.map.setEvents([ev])).catch(() => {});
    return kept.el;
  }
  dropEventMap(owner);
  if (ev.lat == null || ev.lon == null) return null;
  const client = mapClient(token);
  const mLat = radius / 111320, mLon = radius / (111320 * Math.cos((ev.lat * Math.PI) / 180));
  const canvas = el("div", { testid: "event-map" });
  const near = el("div", { class: "map-near", testid: "event-map-near" });
  const details = el("div", { class: "map-near" });
  const section = el("section", { class: "detail-sec event-map" },
    el("h3", { textContent: ev.place ? `Map · ${ev.place}` : "Map" }), canvas, near, details);
  const ctxBase = { client, notify: host.notify, wallTargets: host.wallTargets, canWall: !!host.canWall, event: ev, urls: [] };
  const map = new HallMap(canvas, { client, fit: [ev.lon - mLon, ev.lat - mLat, ev.lon + mLon, ev.lat + mLat],
    onSelect: async (sel) => details.replaceChildren(await renderDetails(sel, { ...ctxBase, features: await hallFeatures(client) })) });
  owner.eventMapState = { id: ev.id, el: section, map };
  map.ready.then(async () => {
    map.setEvents([ev]);
    map.selectEvent(ev.id);
    map.setArea({ kind: "radius", lat: ev.lat, lon: ev.lon, radius_m: radius });
    if (!nearby) return;
    const features = await hallFeatures(client);
    const ctx = { ...ctxBase, features };
    const q = new URLSearchParams({ lat: ev.lat, lon: ev.lon, radius_m: radius, exclude: ev.id, limit: 8 });
    const a = await client.json(`/api/gis/area?${q}`);
    if (a.workers.shown) map.setWorkers(a.workers.items);
    near.replaceChildren(
      el("div", { class: "muted small", textContent: `Within ${radius} m: ${a.workers.shown ? `${a.workers.total} grid workers · ` : ""}`
        + `${a.cameras.total} cameras · ${a.buildings.residents.toLocaleString()} residents · ${a.events.total} earlier events` }),
      ...(a.workers.shown ? a.workers.items : []).map((w) => el("div", { class: "map-item", testid: `near-worker-${w.name}` },
        el("span", { class: "name", textContent: `${w.display_name || w.name} · ${metres(w.distance_m)}` }),
        el("span", { class: "map-actions" }, callButton(w.name, ctx, ev.id)))),
      ...a.cameras.items.map((c) => el("div", { class: "map-item", testid: `near-camera-${c.id}` },
        el("span", { class: "name", textContent: `${c.name} · ${metres(c.distance_m)}` }), wallButton(c.id, ctx))));
  }).catch((e) => { near.textContent = e.message; });
  return section;
}

/** The detail closed or shows another event: its map goes (and its WebGL context with it). */
export function dropEventMap(owner) {
  owner.eventMapState?.map.destroy();
  owner.eventMapState = null;
}
