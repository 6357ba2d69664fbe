// The events panel's pure parts: the event API calls, wording, filter matching and what each action asks for.

import { request } from "./api.js";

const enc = encodeURIComponent;

/** A DOM element: props (`testid`, `class`, `dataset`, or any property) and children (null/false skipped). */
export function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === "testid") e.dataset.testid = v;
    else if (k === "class") e.className = v;
    else if (k === "dataset") Object.assign(e.dataset, v);
    else e[k] = v;
  }
  e.append(...children.filter((c) => c != null && c !== false));
  return e;
}

export const eventsApi = {
  list: (query) => request("GET", `/api/events?${new URLSearchParams(query)}`),
  get: (id) => request("GET", `/api/events/${enc(id)}`),
  audit: (id) => request("GET", `/api/events/${enc(id)}/audit`),
  act: (id, action, body) => request("POST", `/api/events/${enc(id)}/${enc(action)}`, body),
  taxonomy: () => request("GET", "/api/events/taxonomy"),
  grids: () => request("GET", "/api/events/grids"),
  stats: () => request("GET", "/api/events/stats?period=today"),
};

// States an event can still move from (the counts at the top): everything but closed and the final ones.
export const OPEN_STATES = [
  "reported", "verifying", "to_register", "to_dispatch", "dispatched", "in_progress", "postpone_pending",
  "suspend_pending", "suspended", "to_check", "to_close", "self_handled",
];

export const LEVELS = ["grid", "community", "street", "district"];
export const URGENCIES = ["normal", "urgent", "critical"];
export const CHANNELS = ["resident", "worker", "department", "camera", "open311"];
export const CLOSE_TYPES = ["normal", "overdue", "error", "special"];

/** "to_dispatch" -> "to dispatch". */
export const words = (s) => String(s ?? "").replaceAll("_", " ");

/** The roles that may act from the console; experts (and anyone else) only read. */
export const ACTING_ROLES = new Set(["admin", "operator", "commander"]);

/**
 * What each action asks for, in order: [field, kind, required].
 * Kinds: note, text, category, conditions, urgency, department, co_handlers, close_type, rating, original,
 * level, extra, result. An action not listed asks only for an optional note.
 */
export const ACTION_FIELDS = {
  refuse: [["note", "note", true]],
  dismiss: [["note", "note", true]],
  cancel: [["note", "note", true]],
  return: [["note", "note", true]],
  deny_postpone: [["note", "note", true]],
  deny_suspend: [["note", "note", true]],
  check_fail: [["note", "note", true]],
  decline: [["note", "note", true]],
  verify: [["note", "note", true]],
  request_suspend: [["note", "note", true]],
  supervise: [["note", "note", true]],
  register: [["category", "category", false], ["conditions", "conditions", false], ["urgency", "urgency", false],
    ["note", "note", false]],
  dispatch: [["department", "department", true], ["co_handlers", "co_handlers", false], ["note", "note", false]],
  close: [["close_type", "close_type", false], ["note", "note", false]],
  evaluate: [["rating", "rating", true], ["note", "note", false]],
  mark_duplicate: [["original", "original", true], ["note", "note", false]],
  escalate: [["level", "level", false], ["note", "note", false]],
  set_urgency: [["urgency", "urgency", true], ["note", "note", false]],
  request_postpone: [["extra", "extra", true], ["note", "note", true]],
  feedback: [["result", "result", true], ["note", "note", false]],
};

export function fieldsOf(action) {
  return ACTION_FIELDS[action] || [["note", "note", false]];
}

/** Actions that end or shelve a case: their buttons are drawn as dangerous. */
export const DANGER_ACTIONS = new Set(["refuse", "dismiss", "cancel", "return", "check_fail", "decline",
  "deny_postpone", "deny_suspend", "mark_duplicate"]);

/** The list query of the current filters (only the ones set), with paging. */
export function listQuery(filters, offset, limit) {
  const q = {};
  for (const [k, v] of Object.entries(filters)) if (v !== "" && v != null) q[k] = v;
  q.offset = String(offset);
  q.limit = String(limit);
  return q;
}

/** Does the event (a full view) pass the filters, as the API's indexes would decide? */
export function matchesFilters(ev, f) {
  if (f.state && ev.state !== f.state) return false;
  if (f.channel && ev.channel !== f.channel) return false;
  if (f.department && ev.department !== f.department && !(ev.co_handlers || []).includes(f.department)) return false;
  if (f.level && ev.level !== f.level) return false;
  if (f.category && !(ev.category || "").startsWith(f.category)) return false;
  if (f.overdue && String(!!ev.overdue) !== f.overdue) return false;
  if (f.supervised && String(!!ev.supervised) !== f.supervised) return false;
  if (f.grid && ![ev.grid, ev.community, ev.street].includes(f.grid) && !(f.grid === "outside" && ev.outside_grid)) {
    return false;
  }
  return true;
}

/** Can a notice (the short summary) still match the filters? (false: no need to fetch the event) */
export function noticeMayMatch(n, f) {
  if (f.state && n.state !== f.state) return false;
  if (f.channel && n.channel !== f.channel) return false;
  // (no department test here: the notice does not name the co-handlers, the full event decides)
  if (f.level && n.level !== f.level) return false;
  if (f.overdue && String(!!n.overdue) !== f.overdue) return false;
  if (f.supervised && String(!!n.supervised) !== f.supervised) return false;
  return true;
}

/** The body of an action from the form's values: only what was given, and the version shown. */
export function actionBody(values, version) {
  const body = {};
  for (const [k, v] of Object.entries(values)) {
    if (v === "" || v == null || (Array.isArray(v) && !v.length)) continue;
    body[k] = v;
  }
  body.version = version;
  return body;
}

/** Local date-time for display from an ISO string or epoch seconds. */
export function when(v) {
  if (v == null || v === "") return "";
  const d = typeof v === "number" ? new Date(v * 1000) : new Date(v);
  if (Number.isNaN(d.getTime())) return String(v);
  return d.toLocaleString([], {
    month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
  });
}

export function throttle(fn, ms) {
  let timer = null;
  let last = 0;
  return () => {
    if (timer) return;
    const wait = Math.max(0, last + ms - Date.now());
    timer = setTimeout(() => { timer = null; last = Date.now(); fn(); }, wait);
  };
}
