// How the map talks to the hall: JSON, images and posts with the page's own token (console session, field
// session or a screen's kiosk token), read the console's way (readJson: ApiError with the server's body).

import { ApiError, readJson } from "../api.js";

export function mapClient(token) {
  const headers = (extra = {}) => (token ? { ...extra, Authorization: `Bearer ${token}` } : extra);
  const send = async (method, path, body) => {
    let res;
    try {
      res = await fetch(path, { method, headers: headers(body === undefined ? { Accept: "application/json" }
        : { Accept: "application/json", "Content-Type": "application/json" }), body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store" });
    } catch {
      throw new ApiError(0, { error: "network", message: "The server cannot be reached" });
    }
    return readJson(res);
  };
  return {
    token,
    json: (path) => send("GET", path),
    post: (path, body) => send("POST", path, body),
    async blob(path) {
      const res = await fetch(path, { headers: headers({ Accept: "image/jpeg" }), cache: "no-store" });
      if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => null));
      return res.blob();
    },
  };
}

/** The hall's optional features, read once from its API document: the map's buttons for features that
 * another part of the hall brings (calls, putting a source on the wall) stay disabled until they are there. */
let features = null;
export function hallFeatures(client) {
  if (!features) {
    features = client.json("/api/openapi.json").then((doc) => {
      const has = (path, method) => !!doc.paths?.[path]?.[method];
      return { calls: has("/api/calls", "post"), wallShow: has("/api/wall/show", "post"),
        tracks: has("/api/workers/{name}/track", "get"), workers: has("/api/workers", "get") };
    }).catch(() => { features = null; return { calls: false, wallShow: false, tracks: false, workers: false }; });
  }
  return features;
}
