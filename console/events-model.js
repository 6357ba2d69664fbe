// The events panel's pure parts: the event API calls, filter matching and what each action asks for (the words
// and the clock come from events-vocab.js, served by the hall).

import { request } from "./api.js";
import { districtTime } from "./events-vocab.js";

export { label, terms, words, openStates } from "./events-vocab.js";

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

/** A date-time for display on the district's clock (whatever the browser's zone), from ISO text or epoch s. */
export const when = (v) => districtTime(v);

export function throttle(fn, ms) {
  let timer = null;
  let last = 0;
  return () => {
    if (timer) return;
    const wait = Math.max(0, last + ms - Date.now());
    timer = setTimeout(() => { timer = null; last = Date.now(); fn(); }, wait);
  };
}
