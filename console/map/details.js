// What a clicked feature is, for the side of the map: a camera with its live picture and "on the wall", a
// worker with status, tasks, call and track, an event with its summary and steps, a component, a building...

import { el, words, when } from "../events-model.js";
import { ageSeconds } from "./map.js";

const enc = encodeURIComponent;
const row = (k, v) => (v === null || v === undefined || v === "" ? null
  : el("div", { class: "map-kv" }, el("span", { class: "k", textContent: k }), el("span", { class: "v", textContent: String(v) })));

export function ageText(s) {
  if (s == null) return "unknown";
  if (s < 90) return `${Math.round(s)} s ago`;
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  return `${Math.round(s / 3600)} h ago`;
}

/** A button that does `fn` (async), shows it is busy, and reports failures through `ctx.notify`. */
export function actionButton(label, testid, fn, ctx, { disabled = false, title = "" } = {}) {
  const b = el("button", { class: "btn btn-sm", textContent: label, testid, disabled, title });
  b.addEventListener("click", async () => {
    b.disabled = true;
    try { await fn(); } catch (e) { ctx.notify?.(`${label}: ${e.message}`, { kind: "error" }); } finally { b.disabled = disabled; }
  });
  return b;
}

/** "Put on the wall" for a camera: at the next free place, or on a chosen screen or in a chosen window. */
export function wallButton(source, ctx) {
  const wrap = el("div", { class: "map-actions" });
  const targets = ctx.wallTargets ? ctx.wallTargets() : [];
  const pick = el("select", { testid: `wall-target-${source}`, title: "Where on the wall" },
    el("option", { value: "", textContent: "next free place" }),
    ...targets.map((t, i) => el("option", { value: String(i), textContent: t.label })));
  const unavailable = ctx.features && !ctx.features.wallShow;
  const go = actionButton("On the wall", `wall-show-${source}`, async () => {
    const t = pick.value === "" ? {} : targets[Number(pick.value)];
    const body = { source };
    if (t.window) body.window = t.window;
    if (t.screen) body.screen = t.screen;
    const res = await ctx.client.post("/api/wall/show", body);
    ctx.notify?.(`${source} is on the wall (window ${res?.window?.id ?? res?.window ?? "?"})`, { kind: "ok" });
  }, ctx, { disabled: !!unavailable,
    title: unavailable ? "Putting a source on the wall in one step (POST /api/wall/show) is not on this hall yet" : "" });
  if (!ctx.canWall) return null;
  wrap.append(pick, go);
  return wrap;
}

/** "Call" for a worker: rings that one worker (POST /api/calls, mode worker, about the event shown if any); the
 * page that runs calls (the console's call view) takes the call over from the `hall:call` event on document. */
export function callButton(name, ctx, event = null) {
  const can = ctx.features?.calls;
  return actionButton("Call", `call-${name}`, async () => {
    const res = await ctx.client.post("/api/calls", event ? { mode: "worker", worker: name, event } : { mode: "worker", worker: name });
    document.dispatchEvent(new CustomEvent("hall:call", { detail: { call: res.call } }));
    ctx.notify?.(`Calling ${name}…`, { kind: "ok" });
  }, ctx, { disabled: !can, title: can ? `Video-call ${name}` : "Video calls to grid workers are not on this hall" });
}

async function cameraDetails(sel, ctx) {
  const p = sel.props;
  const img = el("img", { class: "map-thumb", alt: `Live picture of ${p.name}`, testid: "camera-thumb" });
  const note = el("div", { class: "muted small", textContent: "loading the live picture…" });
  ctx.client.blob(`/api/sources/${enc(p.id)}/snapshot.jpg?width=480`).then((blob) => {
    const url = URL.createObjectURL(blob);
    ctx.urls?.push(url);
    img.src = url;
    img.dataset.loaded = "true";
    note.remove();
  }).catch((e) => { note.textContent = e.status === 404 || e.status === 503 ? "no picture yet (the source is not running)" : e.message; });
  return [el("h3", { textContent: p.name }), row("group", p.group), row("kind", p.kind), img, note, wallButton(p.id, ctx)];
}

async function workerDetails(sel, ctx) {
  const p = sel.props;
  const age = ageSeconds(p.at);
  const out = [el("h3", { textContent: p.display_name || p.name }), row("worker", p.name),
    row("status", words(p.status)), row("position", ageText(age)), row("grids", p.grids), row("in a call", p.call || null)];
  const tasks = el("div", { class: "map-tasks", testid: "worker-tasks", textContent: "tasks: loading…" });
  out.push(tasks);
  const grids = String(p.grids || "").split(",").map((s) => s.trim()).filter(Boolean);
  Promise.all(grids.map((g) => ctx.client.json(`/api/events?grid=${enc(g)}&open=true&limit=5`)))
    .then((answers) => {
      const evs = answers.flatMap((a) => a.events);
      const total = answers.reduce((n, a) => n + a.total, 0);
      tasks.replaceChildren(el("div", { class: "muted small", textContent: `${total} open event${total === 1 ? "" : "s"} in their grids` }),
        ...evs.slice(0, 5).map((e) => eventLine(e, ctx)));
    }).catch(() => { tasks.textContent = ""; });
  const buttons = el("div", { class: "map-actions" }, callButton(p.name, ctx, ctx.event?.id ?? null));
  if (ctx.openTrack) buttons.append(actionButton("Track", `track-${p.name}`, async () => ctx.openTrack(p.name), ctx));
  out.push(buttons);
  return out;
}

export function eventLine(e, ctx) {
  const light = e.light ?? e.countdown?.light;
  const line = el("button", { class: "map-line", testid: `map-event-${e.id}`, type: "button" },
    el("i", { class: `light light-${light || "none"}` }),
    el("span", { textContent: `${e.category_name || "unclassified"} · ${words(e.state)}` }),
    el("span", { class: "muted", textContent: e.place || when(e.reported_at_local || e.reported_at) }));
  line.addEventListener("click", () => ctx.showEvent?.(e.id));
  return line;
}

async function eventDetails(sel, ctx) {
  const [{ event: e }, { audit }] = await Promise.all([
    ctx.client.json(`/api/events/${enc(sel.id)}`), ctx.client.json(`/api/events/${enc(sel.id)}/audit`)]);
  const steps = el("ol", { class: "map-steps", testid: "event-steps" },
    ...audit.map((a) => el("li", {}, el("b", { textContent: words(a.action) }),
      ` ${a.by || ""} · ${when(a.at)}${a.note ? ` · ${a.note}` : ""}`)));
  const out = [el("h3", { textContent: `${e.category_name || "Unclassified"} · ${words(e.state)}` }),
    row("event", e.id), row("place", e.place || e.address), row("description", e.description),
    row("countdown", e.countdown ? `${e.countdown.light} · ${words(e.countdown.node)} · due ${when(e.countdown.due_at)}` : null),
    row("grid", [e.grid, e.community, e.street].filter(Boolean).join(" · ")), row("department", e.department),
    el("h4", { textContent: "Steps" }), steps];
  const buttons = el("div", { class: "map-actions" });
  if (ctx.around) buttons.append(actionButton("What is around", "event-around", async () => ctx.around(e), ctx));
  if (ctx.openEvent) buttons.append(actionButton("Open in Events", "event-open", async () => ctx.openEvent(e.id), ctx));
  out.push(buttons);
  return out;
}

function componentDetails(sel, ctx) {
  const p = sel.props;
  const kind = ctx.settings?.component_kinds?.[p.kind] || words(p.kind);
  return [el("h3", { textContent: p.name }), row("kind", kind), row("state", words(p.state)),
    row("owner", p.department), row("road", p.road), row("grid", p.grid)];
}

function buildingDetails(sel) {
  const p = sel.props;
  return [el("h3", { textContent: p.name }), row("use", p.use), row("floors", p.floors), row("height", p.height ? `${p.height} m` : null),
    row("households", p.households || null), row("residents", p.residents || null), row("grid", p.grid),
    p.pilot === true || p.pilot === "true" ? el("div", { class: "muted small", textContent: "pilot street: modelled in 3D" }) : null];
}

function gridDetails(sel) {
  const p = sel.props;
  const workers = Array.isArray(p.workers) ? p.workers : (() => { try { return JSON.parse(p.workers); } catch { return []; } })();
  return [el("h3", { textContent: p.name }), row("grid", p.id), row("community", p.community), row("street", p.street),
    row("main worker", p.worker), row("workers", workers.join(", "))];
}

function areaDetails(sel) {
  const p = sel.props;
  return [el("h3", { textContent: p.name }), row("kind", p.kind), row("buildings", p.buildings || null),
    row("households", p.households || null), row("residents", p.residents || null), row("grid", p.grid)];
}

const BY_LAYER = { cameras: cameraDetails, workers: workerDetails, events: eventDetails, components: componentDetails,
  buildings: buildingDetails, grids: gridDetails, areas: areaDetails,
  places: (sel) => [el("h3", { textContent: sel.props.name }), row("kind", sel.props.kind), row("grid", sel.props.grid)],
  track: (sel) => [el("h3", { textContent: "Patrol track" }), row("at", when(sel.props.at)), row("status", words(sel.props.status))] };

/** The details of a selection as an element (data-layer says what it is). */
export async function renderDetails(sel, ctx) {
  const build = BY_LAYER[sel.layer];
  const box = el("div", { class: "map-details", testid: "map-details", dataset: { layer: sel.layer, id: String(sel.id ?? "") } });
  if (!build) return box;
  try {
    box.append(...(await build(sel, ctx)).filter(Boolean));
  } catch (e) {
    box.append(el("div", { class: "muted", textContent: e.message }));
  }
  return box;
}
