// The answer of GET /api/gis/area beside the map: the resources inside (workers to call, cameras to put on
// the wall, city components) and what the area affects (residential buildings and residents, earlier events).

import { el, words } from "../events-model.js";
import { actionButton, callButton, eventLine, wallButton } from "./details.js";

const metres = (d) => (d == null ? "" : d < 1000 ? `${Math.round(d)} m` : `${(d / 1000).toFixed(1)} km`);

function section(title, testid, total, ...children) {
  return el("section", { class: "map-section", testid },
    el("h4", {}, title, " ", el("span", { class: "count", testid: `${testid}-total`, textContent: total == null ? "–" : String(total) })),
    ...children);
}

/** The area's query string: a box or a circle, the period and the event left out. */
export function areaQuery(shape, { since, until, exclude } = {}) {
  const q = shape.kind === "box" ? { w: shape.w, s: shape.s, e: shape.e, n: shape.n }
    : { lat: shape.lat, lon: shape.lon, radius_m: shape.radius_m };
  if (since) q.since = since;
  if (until) q.until = until;
  if (exclude) q.exclude = exclude;
  return new URLSearchParams(Object.fromEntries(Object.entries(q).map(([k, v]) => [k, typeof v === "number" ? v.toFixed(6).replace(/\.?0+$/, "") : v])));
}

export function renderArea(a, ctx) {
  const workers = a.workers.shown
    ? section("Grid workers", "area-workers", a.workers.total, ...a.workers.items.map((w) => el("div", { class: "map-item", testid: `area-worker-${w.name}` },
      el("span", { class: "name", textContent: w.display_name || w.name }),
      el("span", { class: "muted", textContent: [metres(w.distance_m), w.status && words(w.status), (w.grids || []).join(", ")].filter(Boolean).join(" · ") }),
      el("span", { class: "map-actions" }, callButton(w.name, ctx, ctx.event?.id ?? null),
        ctx.openTrack ? actionButton("Track", `area-track-${w.name}`, async () => ctx.openTrack(w.name), ctx) : null))),
    a.workers.total === 0 ? el("div", { class: "muted small", textContent: "nobody's last position is inside" }) : null)
    : section("Grid workers", "area-workers", null, el("div", { class: "muted small", textContent: "workers' positions are for the centre's roles" }));
  const cameras = section("Cameras", "area-cameras", a.cameras.total, ...a.cameras.items.map((c) => el("div", { class: "map-item", testid: `area-camera-${c.id}` },
    el("button", { class: "name link", type: "button", textContent: c.name, onclick: () => ctx.select?.({ layer: "cameras", id: c.id, props: c }) }),
    el("span", { class: "muted", textContent: metres(c.distance_m) }), wallButton(c.id, ctx))));
  const kinds = Object.entries(a.components.by_kind).map(([k, n]) => `${ctx.settings?.component_kinds?.[k] || words(k)} ${n}`);
  const broken = a.components.items.filter((c) => c.state && c.state !== "ok");
  const components = section("City components", "area-components", a.components.total,
    el("div", { class: "muted small", textContent: kinds.join(" · ") || "none" }),
    ...broken.slice(0, 10).map((c) => el("div", { class: "map-item warn", testid: `area-component-${c.id}` },
      el("span", { class: "name", textContent: c.name }), el("span", { class: "muted", textContent: `${words(c.state)} · ${c.department} · ${metres(c.distance_m)}` }))));
  const b = a.buildings;
  const affected = section("Affected", "area-affected", b.residents,
    el("div", { class: "map-figures" },
      el("div", {}, el("b", { testid: "area-residents", textContent: b.residents.toLocaleString() }), " residents"),
      el("div", {}, el("b", { textContent: b.households.toLocaleString() }), " households"),
      el("div", {}, el("b", { testid: "area-buildings", textContent: String(b.residential) }), " residential buildings"),
      el("div", {}, el("b", { testid: "area-areas", textContent: String(a.areas.residential) }), " residential areas")),
    el("div", { class: "muted small", textContent: a.areas.items.filter((x) => x.kind === "residential").map((x) => x.name).join(" · ") }));
  const states = Object.entries(a.events.by_state).map(([s, n]) => `${words(s)} ${n}`).join(" · ");
  const events = section("Earlier events here", "area-events", a.events.total,
    el("div", { class: "muted small", textContent: states || "none in the period" }),
    ...a.events.items.slice(0, 20).map((e) => eventLine(e, ctx)));
  return el("div", { class: "map-area", testid: "map-area" }, workers, cameras, components, affected, events);
}
