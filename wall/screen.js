// Kiosk page of one screen: draws the render plan's parts pushed on /wall, scaled to the viewport.

import { attachScreenVideo } from "./video.js";
import { panelView, drawsPanel } from "./panels.js";
import { PanelLink } from "./dashboards/link.js";

const params = new URLSearchParams(location.search);
const token = params.get("token");
const partsEl = document.getElementById("parts");
const reconnectingEl = document.getElementById("reconnecting");

let last = null;           // the last `screen` message
let clockTimer = null;
let stopVideo = null;
let link = null;               // the panels' pushes over this page's /wall socket (dashboards/link.js)
const panelViews = new Map();  // window id -> {key, view}: live panels kept across redraws of the parts

function clockFormatters(timeZone) {
  const tz = timeZone || undefined;
  try {
    return {
      time: new Intl.DateTimeFormat([], { timeZone: tz, hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false }),
      date: new Intl.DateTimeFormat([], { timeZone: tz, weekday: "short", year: "numeric", month: "short", day: "numeric" }),
    };
  } catch {
    return clockFormatters(undefined);  // an unknown zone: show local time rather than nothing
  }
}

function tickClocks(fmt) {
  const now = new Date();
  for (const el of partsEl.querySelectorAll(".part-clock")) {
    el.querySelector(".time").textContent = fmt.time.format(now);
    el.querySelector(".date").textContent = fmt.date.format(now);
  }
}

function span(cls, text) {
  const el = document.createElement("span");
  el.className = cls;
  el.textContent = text ?? "";
  return el;
}

function drawPart(part, sx, sy) {
  const el = document.createElement("div");
  el.className = `part part-${part.kind}`;
  el.dataset.testid = `part-${part.window_id}`;
  el.dataset.kind = part.kind;
  if (part.source) el.dataset.source = part.source;
  const r = part.screen_rect;
  const w = r.w * sx, h = r.h * sy;
  Object.assign(el.style, {
    left: `${r.x * sx}px`, top: `${r.y * sy}px`, width: `${w}px`, height: `${h}px`, zIndex: String(part.z ?? 0),
  });
  const base = Math.max(10, Math.min(h, w / 4));
  if (part.kind === "video") {
    el.style.fontSize = `${Math.max(12, Math.min(h / 10, w / 14))}px`;
    el.append(span("name", part.source_name || part.source), span("kind", "video"));
  } else if (part.kind === "clock") {
    el.style.fontSize = `${Math.max(12, Math.min(h * 0.42, w / 5))}px`;
    el.append(span("time", ""), span("date", ""));
  } else if (part.kind === "text") {
    el.style.fontSize = `${Math.max(12, h * 0.5)}px`;
    el.append(span("text", part.text));
  } else if (part.kind === "panel") {
    el.style.fontSize = `${Math.max(12, base * 0.12)}px`;
    el.append(span("title", part.title || part.panel_name || part.panel), span("kind", "panel"));
  }
  if (part.label && part.kind === "video" && part.title) el.append(span("label", part.title));
  return el;
}

/** A panel window with figures, as one element over its whole window (whose figures are kept from the last
 * render while it shows the same panel), clipped to its visible parts: windows above it may be video, which
 * plays underneath the page and must not be hidden; a window across a seam is cut like video. */
function drawFigurePanel(parts, sx, sy) {
  const part = parts[0];
  const key = JSON.stringify([part.panel, part.panel_kind, part.figures, part.title, part.focus]);
  let entry = panelViews.get(part.window_id);
  if (entry && entry.key !== key) {
    entry.view.destroy();
    entry = null;
  }
  if (!entry) {
    const view = panelView(part, { token, link, screen: last.screen });
    entry = { key, view, started: false };
    panelViews.set(part.window_id, entry);
  }
  // The whole window in this screen's pixels, from any one of its parts and that part's crop.
  const r = part.screen_rect, [x0, y0, x1, y1] = part.crop;
  const w = (r.w * sx) / Math.max(1e-6, x1 - x0), h = (r.h * sy) / Math.max(1e-6, y1 - y0);
  const left = r.x * sx - x0 * w, top = r.y * sy - y0 * h;
  const el = document.createElement("div");
  el.className = "part part-panel with-figures";
  el.dataset.testid = `part-${part.window_id}`;
  el.dataset.kind = "panel";
  el.dataset.panel = part.panel;
  Object.assign(el.style, {
    left: `${left}px`, top: `${top}px`, width: `${w}px`, height: `${h}px`, zIndex: String(part.z ?? 0),
  });
  const whole = parts.length === 1 && x0 === 0 && y0 === 0 && x1 === 1 && y1 === 1;
  el.style.clipPath = whole ? "" : `path("${parts.map((p) => {
    const q = p.screen_rect;
    return `M${q.x * sx - left} ${q.y * sy - top}h${q.w * sx}v${q.h * sy}h${-q.w * sx}z`;
  }).join(" ")}")`;
  el.append(entry.view.el);
  entry.size = [w, h];
  return el;
}

/** After the parts are in the page: start new panels, lay out kept ones, and stop those no longer shown. */
function settlePanels(shown) {
  for (const [wid, entry] of panelViews) {
    if (!shown.has(wid)) {
      entry.view.destroy();
      panelViews.delete(wid);
      continue;
    }
    entry.view.layout(...entry.size);
    if (!entry.started) {
      entry.started = true;
      entry.view.start();
    }
  }
}

function render() {
  if (!last) return;
  const [rw, rh] = last.screen.resolution;
  const sx = window.innerWidth / rw, sy = window.innerHeight / rh;
  const parts = [...last.parts].sort((a, b) => (a.z ?? 0) - (b.z ?? 0));
  const figurePanels = new Map();  // window id -> its parts (one element per window, see drawFigurePanel)
  for (const p of parts) {
    if (drawsPanel(p)) figurePanels.set(p.window_id, [...(figurePanels.get(p.window_id) || []), p]);
  }
  const els = [];
  for (const p of parts) {
    if (!figurePanels.has(p.window_id)) els.push(drawPart(p, sx, sy));
    else if (figurePanels.get(p.window_id)[0] === p) els.push(drawFigurePanel(figurePanels.get(p.window_id), sx, sy));
  }
  partsEl.replaceChildren(...els);
  settlePanels(new Set(figurePanels.keys()));
  document.body.dataset.version = String(last.version);
  clearInterval(clockTimer);
  if (parts.some((p) => p.kind === "clock")) {
    const fmt = clockFormatters(last.timezone);
    tickClocks(fmt);
    clockTimer = setInterval(() => tickClocks(fmt), 1000);
  }
}

function connect() {
  const socket = window.io("/wall", { auth: { token } });
  link = new PanelLink(socket);
  window.hallPanels = link;  // for whoever inspects the kiosk (the tests)
  socket.on("connect", () => { reconnectingEl.hidden = true; });
  socket.on("disconnect", () => { reconnectingEl.hidden = false; });
  socket.on("connect_error", () => {
    reconnectingEl.hidden = false;
    // A refusal by the server is not retried by the client itself; keep trying, the kiosk has no one to click.
    if (!socket.active) setTimeout(() => socket.connect(), 5000);
  });
  socket.on("screen", (msg) => {
    const first = !last;
    last = msg;
    render();
    if (first) {
      stopVideo = attachScreenVideo(document.getElementById("screen-video"), {
        screenId: msg.screen.id, token,
        onLive: (live) => document.body.classList.toggle("video-live", live),
      });
    }
  });
}

window.addEventListener("resize", render);
window.addEventListener("pagehide", () => {
  if (stopVideo) stopVideo();
  for (const { view } of panelViews.values()) view.destroy();
  panelViews.clear();
});
connect();
