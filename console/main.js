// Console entry point: login, loading the wall, wiring the views to the shared state.

import { api, request, session, ApiError } from "./api.js";
import { state, update, subscribe, setLayout, windowById, windowTitle, screenById } from "./store.js";
import { actions, reportError, setUnauthorizedHandler } from "./actions.js";
import { WallView } from "./wall-view.js";
import { Library } from "./library.js";
import { SplitPanel } from "./split.js";
import { PresetPanel } from "./presets.js";
import { WindowTable } from "./window-table.js";
import { connectLive } from "./live.js";
import { SourceThumbnails } from "./thumbnails.js";
import { WallPreview } from "./preview.js";
import { WindowPictures } from "./window-pictures.js";
import { setDistrictZone, districtZone, clockTime } from "./district-time.js";
import { clockRect, textRect } from "./geometry.js";
import { notify } from "./notice.js";
import { EventsPanel } from "./events.js";
import { MapPanel } from "./map/panel.js";
import { WorkersPanel } from "./workers.js";
import { RoomsPanel } from "./rooms/panel.js";
import { CascadeCard } from "./cascade.js";
import { callDock } from "./calls/view.js";
import { FeedsStatus } from "./connectors.js";
import { ACTING_ROLES } from "./events-model.js";  // the centre: who acts, and changes the wall
import { RulesStatus } from "./rules.js";

const $ = (sel) => document.querySelector(sel);

let disconnectLive = null;
let views = null;
let eventsPanel = null;
let mapPanel = null;
let workersPanel = null;
let roomsPanel = null;
let cascadeCard = null;
let feeds = null;   // other systems' data (connectors.js)
let rules = null;   // alarms and schedules (rules.js)

// --- login ---------------------------------------------------------------

function showLogin(message) {
  if (disconnectLive) { disconnectLive(); disconnectLive = null; }
  if (views) { views.thumbnails.clear(); views.preview.stop(); views.pictures.stop(); }
  if (eventsPanel) { eventsPanel.reset(); showView("wall"); }
  if (mapPanel) mapPanel.reset();
  workersPanel?.reset();
  roomsPanel?.reset();
  cascadeCard?.reset();
  callDock()?.reset();
  session.clear();
  $("#app").hidden = true;
  $("#login").hidden = false;
  const err = $("[data-testid=login-error]");
  err.hidden = !message;
  err.textContent = message || "";
  $("[data-testid=login-username]").focus();
}

$("#login-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const form = e.target;
  const submit = $("[data-testid=login-submit]");
  const err = $("[data-testid=login-error]");
  submit.disabled = true;
  err.hidden = true;
  try {
    const res = await api.login(form.username.value.trim(), form.password.value);
    session.save(res.token, res.user);
    form.password.value = "";
    await start();
  } catch (ex) {
    err.textContent = ex instanceof ApiError ? ex.message : String(ex);
    err.hidden = false;
  } finally {
    submit.disabled = false;
  }
});

$("#logout").addEventListener("click", async () => {
  try { await api.logout(); } catch { /* the token is dropped either way */ }
  showLogin();
});

setUnauthorizedHandler((message) => showLogin(message));

// --- the console ---------------------------------------------------------

function buildViews() {
  const wallView = new WallView($("#wall"), $("#wall-frame"));
  const preview = new WallPreview(wallView, $("#live-preview"));
  const pictures = new WindowPictures(wallView);
  const thumbnails = new SourceThumbnails($("#source-list"));
  const library = new Library({
    sourceList: $("#source-list"), panelList: $("#panel-list"), filter: $("#source-filter"), wallView, thumbnails,
  });
  const split = new SplitPanel($("#split-panel"));
  const presets = new PresetPanel({
    presetList: $("#preset-list"), presetName: $("#preset-name"), presetSave: $("#preset-save"),
    sceneList: $("#scene-list"), sceneName: $("#scene-name"), sceneSave: $("#scene-save"),
  });

  const table = new WindowTable($("#window-rows"), $("#window-count"));

  subscribe((s, patch) => {
    if ("wall" in patch || "layout" in patch || "selectedWindow" in patch || "selectedScreens" in patch || "sources" in patch) wallView.render();
    if ("sources" in patch || "panels" in patch || "selectedSources" in patch || "layout" in patch) library.render();
    if ("selectedScreens" in patch || "selectedSources" in patch || "layout" in patch) split.render();
    if ("presets" in patch || "scenes" in patch || "layout" in patch) presets.render();
    if ("layout" in patch || "selectedWindow" in patch || "wall" in patch) table.render();
    if ("hall" in patch) { renderFits(); presets.render(); }
    if ("layout" in patch) callDock()?.onLayout();
    renderStatus();
    renderSelection();
  });

  $("#add-clock").addEventListener("click", () => addOnTarget("clock"));
  $("#add-text").addEventListener("click", () => addOnTarget("text"));
  $("#text-input").addEventListener("keydown", (e) => { if (e.key === "Enter") addOnTarget("text"); });
  $("#bring-front").addEventListener("click", () => state.selectedWindow && actions.bringToFront(state.selectedWindow));
  $("#delete-window").addEventListener("click", () => state.selectedWindow && actions.deleteWindow(state.selectedWindow));
  $("#window-fit").addEventListener("change", (e) => {
    const w = windowById(state.selectedWindow);
    if (w && w.fit !== e.target.value) actions.setFit(w.id, e.target.value).then(() => renderSelection());
  });
  document.addEventListener("keydown", (e) => {
    if (e.target.closest("input, textarea, select") || $("#app").hidden || !$("#events").hidden
      || !$("#map-view").hidden || !$("#workers").hidden || !$("#rooms").hidden) return;
    if ((e.key === "Delete" || e.key === "Backspace") && state.selectedWindow) {
      e.preventDefault();
      actions.deleteWindow(state.selectedWindow);
    } else if (e.key === "Escape") {
      update({ selectedWindow: null, selectedScreens: [], selectedSources: [] });
    } else if (!e.ctrlKey && !e.metaKey && !e.altKey && !e.repeat && split.key(e.key)) {
      e.preventDefault();
    }
  });
  return { wallView, library, split, presets, table, thumbnails, preview, pictures };
}

/** The topbar's tabs: the wall view, or the events or workers panel shown over it (the wall keeps its state). */
function showView(name) {
  for (const tab of document.querySelectorAll(".tabs .tab")) {
    const on = tab.dataset.view === name;
    tab.classList.toggle("active", on);
    tab.setAttribute("aria-selected", String(on));
  }
  if (name === "events") eventsPanel.show();
  else eventsPanel.hide();
  if (name === "map") mapPanel.show();
  else mapPanel.hide();
  if (name === "workers") workersPanel.show();
  else workersPanel.hide();
  if (name === "rooms") roomsPanel.show();
  else roomsPanel.hide();
}

for (const tab of document.querySelectorAll(".tabs .tab")) {
  tab.addEventListener("click", () => showView(tab.dataset.view));
}

/** What the map asks of the console: notices, opening an event in the Events tab, the wall's places for a camera. */
function mapHost() {
  return {
    notify,
    openEvent: (id) => { showView("events"); eventsPanel.select(id); },
    wallTargets: () => [
      ...(state.wall?.screens || []).map((s) => ({ label: `on ${s.name || s.id}`, screen: s.id })),
      ...(state.layout?.windows || []).filter((w) => w.kind === "video").map((w) => ({ label: `in place of ${windowTitle(w)}`, window: w.id })),
    ],
  };
}

/** Clock and text windows go on the first targeted screen (or the first screen of the wall). */
function addOnTarget(kind) {
  const screen = screenById(state.selectedScreens[0]) || state.wall?.screens[0];
  if (!screen) return;
  if (kind === "clock") {
    actions.addWindow({ kind: "clock", rect: clockRect(screen), title: "Local time" });
  } else {
    const text = $("#text-input").value.trim();
    if (!text) { notify("Type the banner text first.", { kind: "warn" }); $("#text-input").focus(); return; }
    actions.addWindow({ kind: "text", rect: textRect(screen), text }).then((res) => { if (res) $("#text-input").value = ""; });
  }
}

function renderStatus() {
  const conn = $("[data-testid=conn-status]");
  conn.dataset.state = state.connection;
  conn.textContent = state.connection;
  $("[data-testid=layout-version]").textContent = state.layout ? String(state.layout.version) : "–";
  const l = state.layout;
  const updated = $("#status-updated");
  updated.textContent = l?.updated_by ? `by ${l.updated_by}${l.updated_at ? " at " + clockTime(l.updated_at) : ""}` : "";
  updated.title = `District time (${districtZone()})`;
  $("#status-user").textContent = state.user?.name || "";
  $("#status-role").textContent = state.user?.role || "";
}

function renderSelection() {
  const w = state.selectedWindow && windowById(state.selectedWindow);
  $("#selection-label").textContent = w
    ? `${windowTitle(w)} · ${w.rect.w}×${w.rect.h} at ${w.rect.x},${w.rect.y}`
    : "No window selected";
  $("#bring-front").disabled = !w;
  $("#delete-window").disabled = !w;
  const fit = $("#window-fit");
  fit.hidden = !(w && w.kind === "video" && fit.options.length);
  if (!fit.hidden) fit.value = w.fit || "contain";
}

// How a source's picture fills its window, in the operator's words (the values come from GET /api/hall).
const FIT_WORDS = { contain: "Fit: whole", cover: "Fit: crop", fill: "Fit: stretch" };

function renderFits() {
  const fits = state.hall?.window_fits || [];
  $("#window-fit").replaceChildren(...fits.map((f) => {
    const o = document.createElement("option");
    o.value = f;
    o.textContent = FIT_WORDS[f] || `Fit: ${f}`;
    return o;
  }));
  renderSelection();
}

/** The district's time in the top bar, so every time the console shows is read against it. */
function tickClock() {
  const el = $("#district-clock");
  el.textContent = clockTime(new Date());
  el.title = `District time (${districtZone()})`;
}
setInterval(tickClock, 1000);

/** The hall's zone and vocabularies (GET /api/hall); the console keeps working without them. */
async function loadHall() {
  try {
    const hall = await request("GET", "/api/hall");
    if (hall.timezone) setDistrictZone(hall.timezone);
    update({ hall });
    tickClock();
  } catch (e) {
    reportError(e, "Loading the hall's settings");
  }
}

async function start() {
  $("#login").hidden = true;
  $("#app").hidden = false;
  if (!views) views = buildViews();
  if (!eventsPanel) eventsPanel = new EventsPanel($("#events"), { role: () => session.user?.role });
  if (!mapPanel) mapPanel = new MapPanel($("#map-view"), { session, host: mapHost() });
  if (!workersPanel) workersPanel = new WorkersPanel($("#workers"));
  if (!roomsPanel) roomsPanel = new RoomsPanel($("#rooms"));
  if (!cascadeCard) cascadeCard = new CascadeCard($("#cascade-card"));
  const calls = callDock($("#call-dock"));
  if (!feeds) feeds = new FeedsStatus($("#feeds-status"));
  if (!rules) rules = new RulesStatus($("#rules-status"), { canWrite: () => ACTING_ROLES.has(session.user?.role) });
  update({ user: session.user });
  tickClock();
  loadHall();
  try {
    const data = await api.wall();
    update({ wall: data.wall, sources: data.sources || [], panels: data.panels || [] });
    setLayout(data.layout, { force: true });
  } catch (e) {
    if (e instanceof ApiError && e.status === 403) {
      const u = session.user;
      showLogin(`${u?.name ?? "This user"} (${u?.role ?? "?"}) may not use the wall console.`);
    } else {
      reportError(e, "Loading the wall");
    }
    return;
  }
  actions.refreshPresets();
  actions.refreshScenes();
  cascadeCard.load();
  views.thumbnails.start();
  views.preview.start();
  views.pictures.start();
  if (disconnectLive) disconnectLive();
  disconnectLive = connectLive(session.token, {
    onUnauthorized: showLogin,
    on: {
      event: (n) => { eventsPanel.onNotice(n); mapPanel.onEvent(n); },
      "event:warning": (w) => eventsPanel.onWarning(w),
      "workers:positions": (msg) => { mapPanel.onWorkers(msg); workersPanel.onPositions(msg); },
      room: (r) => roomsPanel.onRoom(r),
      "media:health": (msg) => cascadeCard.onHealth(msg),
      "call:state": (call) => calls.onState(call),
      connect: () => { eventsPanel.resync(); mapPanel.resync(); workersPanel.resync(); roomsPanel.resync(); cascadeCard.load(); calls.resume(); feeds.load(); rules.load(); },
      connector: (c) => feeds.onState(c),
      rule: (n) => rules.onNotice(n),
    },
  });
}

if (session.token) start();
else showLogin();
