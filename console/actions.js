// Every write to the wall goes through here: it sends the version last seen and handles 409/422/401.

import { api, request, ApiError } from "./api.js";
import { state, setLayout, update } from "./store.js";
import { notify } from "./notice.js";

let onUnauthorized = () => {};

export function setUnauthorizedHandler(fn) { onUnauthorized = fn; }

/** Explain a failed call to the operator (401 goes back to the login form). */
export function reportError(err, what = "The change") {
  if (!(err instanceof ApiError)) {
    console.error(err);
    notify(`${what} failed: ${err.message}`, { kind: "error" });
    return;
  }
  const body = err.body || {};
  if (err.status === 401) {
    onUnauthorized(body.message || "Your session has ended; please log in again.");
  } else if (err.status === 409) {
    if (body.layout) setLayout(body.layout, { force: true });
    const who = body.layout?.updated_by || "someone else";
    notify(`The wall was changed by ${who}; your change was not applied.`, { kind: "warn" });
  } else if (err.status === 422) {
    const details = (body.errors || []).map((e) => `${e.path}: ${e.message}`);
    notify(body.message || `${what} is not valid.`, { kind: "error", details });
  } else if (err.status === 403) {
    notify(body.message || "Your role is not allowed to do that.", { kind: "error" });
  } else {
    notify(body.message || `${what} failed (HTTP ${err.status}).`, { kind: "error" });
  }
}

/** Run a layout write with the version it is based on (default: the latest seen); the answer's layout becomes ours. */
export async function writeLayout(call, what, baseVersion) {
  const version = baseVersion ?? state.layout?.version ?? 0;
  try {
    const res = await call(version);
    if (res?.layout) setLayout(res.layout);
    return res;
  } catch (err) {
    reportError(err, what);
    return null;
  }
}

export const actions = {
  addWindow: (window) => writeLayout((v) => api.addWindow(v, window), "Adding the window").then((res) => {
    if (res?.window) update({ selectedWindow: res.window.id });
    return res;
  }),
  moveWindow: (id, rect, baseVersion) =>
    writeLayout((v) => api.patchWindow(v, id, { rect }), "Moving the window", baseVersion),
  bringToFront: (id) => {
    const top = Math.max(0, ...state.layout.windows.filter((w) => w.id !== id).map((w) => w.z ?? 0));
    return writeLayout((v) => api.patchWindow(v, id, { z: top + 1 }), "Bringing the window to front");
  },
  deleteWindow: (id) => writeLayout((v) => api.deleteWindow(v, id), "Removing the window"),
  /** A video window shows another source (its title follows the source). */
  changeSource: (id, source, title) =>
    writeLayout((v) => api.patchWindow(v, id, { source, title }), "Changing the window's source"),
  setFit: (id, fit) => writeLayout((v) => api.patchWindow(v, id, { fit }), "Changing how the picture fits"),
  /** A window shows something of another kind (a panel instead of a camera, ...) in the same place and stacking:
   * one versioned write of the whole layout, so nobody sees it half done. */
  replaceWindow: (id, content) => writeLayout((v) => {
    const windows = state.layout.windows.map((w) => (w.id !== id ? w : {
      id: w.id, kind: content.kind, rect: w.rect, z: w.z, label: w.label, fit: w.fit,
      source: content.source ?? null, panel: content.panel ?? null, title: content.title ?? null,
    }));
    return request("PUT", "/api/wall/layout", { version: v, windows, scene: state.layout.scene ?? null });
  }, "Replacing the window"),
  split: (body) => writeLayout((v) => api.split(v, body), "The split"),
  applyPreset: (name) => writeLayout((v) => api.applyPreset(v, name), `Applying preset “${name}”`),
  applyScene: (name) => writeLayout((v) => api.applyScene(v, name), `Applying scene “${name}”`),

  async refreshPresets() {
    try { update({ presets: (await api.presets()).presets }); } catch (e) { reportError(e, "Loading presets"); }
  },
  async refreshScenes() {
    try { update({ scenes: (await api.scenes()).scenes }); } catch (e) { reportError(e, "Loading scenes"); }
  },
  async savePreset(name) {
    try {
      await api.savePreset(name, {});
      notify(`Preset “${name}” saved.`, { kind: "ok", timeout: 3000 });
      await actions.refreshPresets();
      return true;
    } catch (e) { reportError(e, "Saving the preset"); return false; }
  },
  async deletePreset(name) {
    try { await api.deletePreset(name); await actions.refreshPresets(); } catch (e) { reportError(e, "Deleting the preset"); }
  },
  async saveScene(name, presets) {
    try {
      await api.saveScene(name, presets);
      notify(`Scene “${name}” saved.`, { kind: "ok", timeout: 3000 });
      await actions.refreshScenes();
      return true;
    } catch (e) { reportError(e, "Saving the scene"); return false; }
  },
  async deleteScene(name) {
    try { await api.deleteScene(name); await actions.refreshScenes(); } catch (e) { reportError(e, "Deleting the scene"); }
  },
};
