// HTTP client for the hall's REST API (docs/api.md): bearer token, JSON, typed errors.

const TOKEN_KEY = "hall.token";
const USER_KEY = "hall.user";

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
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
  clear() {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(USER_KEY);
  },
};

export async function request(method, path, body) {
  const headers = { Accept: "application/json" };
  if (session.token) headers.Authorization = `Bearer ${session.token}`;
  const init = { method, headers };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, { error: "network", message: "The server cannot be reached" });
  }
  return readJson(res);
}

/** A response's JSON (null when empty); a failure as `Err` (an ApiError) with the server's body. */
export async function readJson(res, Err = ApiError) {
  if (res.status === 204) return null;
  let data = null;
  const text = await res.text().catch(() => "");
  if (text) {
    try { data = JSON.parse(text); } catch { data = { message: text.slice(0, 200) }; }
  }
  if (!res.ok) throw new Err(res.status, data);
  return data;
}

const enc = encodeURIComponent;

export const api = {
  login: (username, password) => request("POST", "/api/auth/login", { username, password }),
  logout: () => request("POST", "/api/auth/logout"),
  me: () => request("GET", "/api/auth/me"),
  wall: () => request("GET", "/api/wall"),
  addWindow: (version, window) => request("POST", "/api/wall/windows", { version, window }),
  patchWindow: (version, id, changes) => request("PATCH", `/api/wall/windows/${enc(id)}`, { version, ...changes }),
  deleteWindow: (version, id) => request("DELETE", `/api/wall/windows/${enc(id)}?version=${version}`),
  split: (version, body) => request("POST", "/api/wall/split", { version, ...body }),
  presets: () => request("GET", "/api/presets"),
  savePreset: (name, body = {}) => request("PUT", `/api/presets/${enc(name)}`, body),
  deletePreset: (name) => request("DELETE", `/api/presets/${enc(name)}`),
  applyPreset: (version, name) => request("POST", `/api/presets/${enc(name)}/apply`, { version }),
  scenes: () => request("GET", "/api/scenes"),
  saveScene: (name, presets) => request("PUT", `/api/scenes/${enc(name)}`, { presets }),
  deleteScene: (name) => request("DELETE", `/api/scenes/${enc(name)}`),
  applyScene: (version, name) => request("POST", `/api/scenes/${enc(name)}/apply`, { version }),
};

/** GET an image (snapshot JPEG) with the bearer token; resolves to a Blob, throws ApiError (or AbortError). */
export async function fetchImage(path, signal) {
  const headers = { Accept: "image/jpeg" };
  if (session.token) headers.Authorization = `Bearer ${session.token}`;
  const res = await fetch(path, { headers, signal, cache: "no-store" });
  if (!res.ok) {
    let body = null;
    try { body = await res.json(); } catch { /* not JSON */ }
    throw new ApiError(res.status, body);
  }
  return res.blob();
}
