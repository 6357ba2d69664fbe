// Kiosk page of one screen: draws the render plan's parts pushed on /wall, scaled to the viewport.

import { attachScreenVideo } from "./video.js";

const params = new URLSearchParams(location.search);
const token = params.get("token");
const partsEl = document.getElementById("parts");
const reconnectingEl = document.getElementById("reconnecting");

let last = null;           // the last `screen` message
let clockTimer = null;
let stopVideo = null;

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
    el.append(span("title", part.title || part.panel), span("kind", "panel"));
  }
  if (part.label && part.kind === "video" && part.title) el.append(span("label", part.title));
  return el;
}

function render() {
  if (!last) return;
  const [rw, rh] = last.screen.resolution;
  const sx = window.innerWidth / rw, sy = window.innerHeight / rh;
  const parts = [...last.parts].sort((a, b) => (a.z ?? 0) - (b.z ?? 0));
  partsEl.replaceChildren(...parts.map((p) => drawPart(p, sx, sy)));
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
window.addEventListener("pagehide", () => stopVideo && stopVideo());
connect();
