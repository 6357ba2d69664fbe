// The console's one shared state and a tiny change notification.

export const state = {
  user: null,            // {name, role}
  hall: null,            // GET /api/hall: district, timezone, vocabularies (window_fits, ...)
  wall: null,            // Wall (geometry)
  layout: null,          // Layout (versioned windows)
  sources: [],
  panels: [],
  presets: [],
  scenes: [],
  connection: "connecting",  // connecting | connected | disconnected
  selectedWindow: null,      // window id
  selectedScreens: [],       // screen ids (split / add targets), in click order
  selectedSources: [],       // source ids (split input), in click order
};

const listeners = new Set();

export function subscribe(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function update(patch) {
  Object.assign(state, patch);
  for (const fn of listeners) fn(state, patch);
}

/** Take a layout from the server; a REST answer older than what the socket already brought is ignored. */
export function setLayout(layout, { force = false } = {}) {
  if (!layout) return;
  if (!force && state.layout && layout.version < state.layout.version) return;
  const patch = { layout };
  if (state.selectedWindow && !layout.windows.some((w) => w.id === state.selectedWindow)) patch.selectedWindow = null;
  update(patch);
}

export function sourceById(id) {
  return state.sources.find((s) => s.id === id) || null;
}

export function panelById(id) {
  return state.panels.find((p) => p.id === id) || null;
}

export function screenById(id) {
  return state.wall?.screens.find((s) => s.id === id) || null;
}

export function windowById(id) {
  return state.layout?.windows.find((w) => w.id === id) || null;
}

/** What a window shows, in words: its title, else its source's or panel's name. */
export function windowTitle(w) {
  if (w.title) return w.title;
  if (w.kind === "video") return sourceById(w.source)?.name || w.source || "Video";
  if (w.kind === "panel") return panelById(w.panel)?.name || w.panel || "Panel";
  if (w.kind === "text") return w.text || "Text";
  return "Clock";
}
