// Small DOM helpers shared by the field page's views: element builder, labels, countdown light, field errors.

import { districtTime, isOpen, isOverlay, label } from "/console/events-vocab.js";

export { isOverlay } from "/console/events-vocab.js";

/** h("p", {class: "x", onclick: fn}, "text", child) -> element; null/false children are skipped. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k === "text") el.textContent = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

/** Replace `el`'s children, skipping null/false ones as h() does (replaceChildren would print "null"). */
export function fill(el, ...children) {
  el.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return el;
}

// The events' words (labels, open states, overlays) and the district's clock come from the hall: main.js loads
// them (GET /api/hall) before any view is drawn.
export const stateLabel = (s) => label("states", s);
export const actionLabel = (a) => label("actions", a);
export const isClosed = (state) => !isOpen(state);

/** The actions that make an event this user's task (overlays alone do not). */
export const taskActions = (ev) => (ev.actions || []).filter((a) => !isOverlay(a));

export function duration(seconds) {
  const s = Math.max(0, Math.round(seconds));
  const d = Math.floor(s / 86400), hr = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
  if (d) return `${d} d ${hr} h`;
  if (hr) return `${hr} h ${m} min`;
  return `${m} min`;
}

/** "11-24 16:30": a moment (ISO text, epoch seconds, a Date) on the district's clock, whatever the phone's zone. */
export const localTime = (v) => districtTime(v, { seconds: false });

/** The countdown light of the node an event waits at: coloured dot + time left or overdue. */
export function light(countdown) {
  if (!countdown) return h("span", { class: "light light-none", "data-light": "none" }, "no deadline");
  const left = countdown.limit_s - countdown.used_s;
  const work = countdown.unit.startsWith("work_") ? " working time" : "";
  let text = left >= 0 ? `${duration(left)} left` : `overdue ${duration(-left)}`;
  if (!countdown.running) text += " · paused";
  const due = countdown.due_at ? `due ${localTime(countdown.due_at)}` : "";
  return h("span", {
    class: `light light-${countdown.light}`, "data-light": countdown.light, "data-testid": "light",
    title: [due, `${countdown.node} limit${work}`].filter(Boolean).join(" · "),
  }, h("span", { class: "dot", "aria-hidden": "true" }), h("span", { class: "sr" }, `${countdown.light}: `), text);
}

/** Show a status line (kind: info | ok | warn | error) in `box`, or clear it with an empty text. */
export function say(box, text, kind = "info") {
  box.textContent = text || "";
  box.dataset.kind = kind;
  box.hidden = !text;
}

/**
 * Put the server's 422 field messages next to their fields (elements with data-field="path";
 * "photos[1]" and "extra.value" fall back to "photos" and "extra"); returns the messages left unplaced.
 */
export function showFieldErrors(form, err) {
  clearFieldErrors(form);
  const rest = [];
  for (const e of err.body.errors || []) {
    const candidates = [e.path, e.path.replace(/\[\d+\]$/, ""), e.path.split(".")[0]];
    const field = candidates.map((p) => form.querySelector(`[data-field="${CSS.escape(p)}"]`)).find(Boolean);
    if (!field) { rest.push(`${e.path}: ${e.message}`); continue; }
    const msg = h("p", { class: "field-error", role: "alert", "data-testid": `error-${e.path}` }, e.message);
    field.append(msg);
    field.querySelector("input, select, textarea")?.setAttribute("aria-invalid", "true");
  }
  const first = form.querySelector("[aria-invalid=true]");
  if (first) first.focus();
  return rest;
}

export function clearFieldErrors(form) {
  form.querySelectorAll(".field-error").forEach((e) => e.remove());
  form.querySelectorAll("[aria-invalid]").forEach((e) => e.removeAttribute("aria-invalid"));
}

/** The user-facing text of a failed request. */
export function errorText(err) {
  if (err.status === 0) return err.message;
  return `${err.message}${err.status ? ` (${err.status})` : ""}`;
}
