// The field page's client of the hall's REST API: bearer token in sessionStorage, JSON, typed errors (the
// console's reading of answers, with the field page's own session and draft).

import { ApiError as BaseApiError, readJson } from "/console/api.js";
import { loadHall } from "/console/events-vocab.js";

const TOKEN_KEY = "hall.field.token";
const USER_KEY = "hall.field.user";
const DRAFT_KEY = "hall.field.draft";  // report.js keeps the report being written there

/** A failed request: `status` 0 means the network, `fields` maps a field path to the server's message. */
export class ApiError extends BaseApiError {
  get fields() {
    const out = {};
    for (const e of this.body.errors || []) out[e.path] = e.message;
    return out;
  }
}

export const session = {
  get token() { return sessionStorage.getItem(TOKEN_KEY); },
  get user() {
    try { return JSON.parse(sessionStorage.getItem(USER_KEY)); } catch { return null; }
  },
  save(token, user) {
    sessionStorage.setItem(TOKEN_KEY, token);
    sessionStorage.setItem(USER_KEY, JSON.stringify(user));
  },
  /** Forget the token; `everything` (logging out) drops the unsent report too. */
  clear(everything = false) {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(USER_KEY);
    if (everything) sessionStorage.removeItem(DRAFT_KEY);
  },
};

/** Called when the server no longer knows the token (expired or revoked). */
let onUnauthorized = () => {};
export function whenUnauthorized(fn) { onUnauthorized = fn; }

async function send(method, path, init = {}) {
  const headers = { Accept: "application/json", ...(init.headers || {}) };
  if (session.token) headers.Authorization = `Bearer ${session.token}`;
  let res;
  try {
    res = await fetch(path, { method, cache: "no-store", ...init, headers });
  } catch {
    throw new ApiError(0, { error: "network", message: "No connection to the hall: check the network and try again" });
  }
  if (res.status === 401 && session.token && path !== "/api/auth/login") onUnauthorized();
  return res;
}

export async function request(method, path, body) {
  const init = {};
  if (body !== undefined) {
    init.headers = { "Content-Type": "application/json" };
    init.body = JSON.stringify(body);
  }
  return readJson(await send(method, path, init), ApiError);
}

const enc = encodeURIComponent;

export const api = {
  login: (username, password) => request("POST", "/api/auth/login", { username, password }),
  logout: () => request("POST", "/api/auth/logout"),
  me: () => request("GET", "/api/auth/me"),
  events: (params = {}) => request("GET", `/api/events?${new URLSearchParams(params)}`),
  event: (id) => request("GET", `/api/events/${enc(id)}`),
  audit: (id) => request("GET", `/api/events/${enc(id)}/audit`),
  act: (id, action, body) => request("POST", `/api/events/${enc(id)}/${enc(action)}`, body),
  report: (body) => request("POST", "/api/events", body),
  taxonomy: () => request("GET", "/api/events/taxonomy"),
};

/** Load once (again after a failure) and keep: the promise of `load()`. */
function once(load) {
  let kept = null;
  return () => {
    kept ||= load().catch((err) => { kept = null; throw err; });
    return kept;
  };
}

/** The hall's words (labels, open states) and the district's clock (GET /api/hall). */
export const loadWords = once(() => loadHall(request));

/** Department id -> name (GET /api/events/taxonomy), as the console names them. */
export const departmentNames = once(async () => new Map((await api.taxonomy()).departments.map((d) => [d.id, d.name])));

/** Upload one photo (the raw file as body); resolves to {sha256, url}. */
export async function uploadPhoto(blob) {
  const res = await send("POST", "/api/events/photos", {
    headers: { "Content-Type": blob.type || "application/octet-stream" }, body: blob,
  });
  const data = await res.json().catch(() => ({ message: `HTTP ${res.status}` }));
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

/** A photo as a blob: URL (the photo route needs the Authorization header, so <img src> cannot load it). */
const blobUrls = new Map();
export async function photoUrl(sha) {
  if (!blobUrls.has(sha)) {
    const p = send("GET", `/api/events/photos/${enc(sha)}`, { headers: { Accept: "image/*" }, cache: "default" })
      .then(async (res) => {
        if (!res.ok) throw new ApiError(res.status, { message: "photo not available" });
        return URL.createObjectURL(await res.blob());
      });
    blobUrls.set(sha, p);
    p.catch(() => blobUrls.delete(sha));  // a failed load may be tried again later
  }
  return blobUrls.get(sha);
}

/** A random UUID; crypto.randomUUID exists only on secure origins (a phone on the district's http:// LAN has none). */
export function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
