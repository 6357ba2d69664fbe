// Media health pushed by the server on /console (`media:health`, about once a second), and its wording.

import { clockTime } from "./district-time.js";

let latest = { sources: {}, screens: {} };
const listeners = new Set();

export function setHealth(msg) {
  latest = { sources: msg?.sources || {}, screens: msg?.screens || {} };
  for (const fn of listeners) fn(latest);
}

export function onHealth(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function sourceHealth(id) {
  return latest.sources[id] || null;
}

export function screenHealth(id) {
  return latest.screens[id] || null;
}


/** {state, label, title} of a source's health for the source list. */
export function describeSource(h) {
  if (!h) return { state: "unknown", label: "no data", title: "No health report from the media engine yet" };
  const state = h.state || "unknown";
  let label = state;
  if (state === "lost" && h.lost_since) label = `lost since ${clockTime(h.lost_since * 1000)}`;
  const parts = [];
  if (typeof h.fps === "number") parts.push(`${h.fps.toFixed(1)} fps`);
  if (h.width && h.height) parts.push(`${h.width}×${h.height}${h.stream === "sub" ? " (sub-stream)" : ""}`);
  if (typeof h.bitrate_kbps === "number" && h.bitrate_kbps > 0) parts.push(`${Math.round(h.bitrate_kbps)} kbps`);
  if (typeof h.last_frame_age_s === "number") parts.push(`last frame ${h.last_frame_age_s.toFixed(1)} s ago`);
  if (h.reconnects) parts.push(`${h.reconnects} reconnect${h.reconnects === 1 ? "" : "s"}`);
  if (h.error) parts.push(h.error);
  return { state, label, title: `${label} · ${parts.join(" · ") || "no frames yet"}` };
}
