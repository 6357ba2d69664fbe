// The map's look: colours and the MapLibre style of every layer (pure: no map, no DOM). Dark, like the
// console; what matters (events by countdown light, workers by status) is brightest.

export const LIGHT = { green: "#3fb950", yellow: "#e3b341", red: "#f85149" };  // as the events' figures
export const NO_LIGHT = "#8b949e";
export const STATUS = { on_duty: "#2fa8ff", busy: "#f97316", off_duty: "#64748b" };
export const STALE_AFTER_S = 120;  // a position older than this is drawn faded (the workers' default)
export const COMPONENT_COLOURS = {
  street_light: "#facc15", manhole: "#a78bfa", hydrant: "#ef4444", bus_stop: "#22d3ee",
  trash_station: "#84cc16", traffic_signal: "#fb923c", flood_gauge: "#38bdf8",
};
const FALLBACK = "#cbd5e1";

/** A base style: the background and, when the hall has them, raster tiles under the district's layers. */
export function baseStyle(settings) {
  const style = { version: 8, sources: {}, layers: [{ id: "background", type: "background", paint: { "background-color": "#0d141c" } }] };
  const t = settings.tiles;
  if (t) {
    const url = t.url.startsWith("/") ? `${location.origin}${t.url}` : t.url;
    style.sources.tiles = t.kind === "pmtiles"
      ? { type: "raster", url: `pmtiles://${url}`, tileSize: 256, attribution: settings.tiles_attribution || "" }
      : { type: "raster", tiles: [url], tileSize: 256, attribution: settings.tiles_attribution || "" };
    style.layers.push({ id: "tiles", type: "raster", source: "tiles", paint: { "raster-opacity": 0.55 } });
  }
  return style;
}

const match = (prop, table, fallback) => ["match", ["get", prop], ...Object.entries(table).flat(), fallback];

/** The district's layers in drawing order: [source name, layer spec]. `scale` enlarges lines and dots
 * (the wall reads them from 10 m). */
export function districtLayers(scale = 1) {
  const s = (v) => v * scale;
  return [
    ["grids", { id: "grids-fill", type: "fill", paint: { "fill-color": "#1a2a3c", "fill-opacity": 0.35 } }],
    ["areas", { id: "areas-fill", type: "fill", paint: {
      "fill-color": match("kind", { residential: "#2a2f24", park: "#16361f", school: "#3a2f1a", market: "#3a2a1a",
        station: "#2c2c3a", hospital: "#3a1f26", office: "#22303f", police: "#1f2a44" }, "#242a30"),
      "fill-opacity": 0.9 } }],
    ["water", { id: "water-fill", type: "fill", paint: { "fill-color": "#1d4e7a", "fill-opacity": 0.95 } }],
    ["roads", { id: "roads-line", type: "line", filter: ["!=", ["get", "class"], "rail"],
      layout: { "line-cap": "round", "line-join": "round" },
      paint: { "line-color": match("class", { trunk: "#7c6a3c", primary: "#5d6775", secondary: "#414a55" }, "#414a55"),
        "line-width": ["interpolate", ["linear"], ["zoom"], 12, s(1), 15, match("class", { trunk: s(7), primary: s(5) }, s(3))] } }],
    ["roads", { id: "rail-line", type: "line", filter: ["==", ["get", "class"], "rail"],
      paint: { "line-color": "#9aa4b0", "line-width": s(2), "line-dasharray": [3, 2] } }],
    ["grids", { id: "grids-line", type: "line", paint: { "line-color": "#4f7cb0", "line-width": s(1.5), "line-opacity": 0.9 } }],
    ["buildings", { id: "buildings-fill", type: "fill", paint: {
      "fill-color": match("use", { residential: "#4a5566" }, "#6b5a44"), "fill-outline-color": "#708099" } }],
    ["buildings", { id: "buildings-3d", type: "fill-extrusion", filter: ["==", ["get", "pilot"], true],
      layout: { visibility: "none" },
      paint: { "fill-extrusion-color": match("use", { residential: "#8aa0bd" }, "#c49a6c"),
        "fill-extrusion-height": ["get", "height"], "fill-extrusion-opacity": 0.9 } }],
    ["components", { id: "components-dot", type: "circle", minzoom: 13.5, paint: {
      "circle-color": match("kind", COMPONENT_COLOURS, FALLBACK),
      "circle-radius": ["interpolate", ["linear"], ["zoom"], 13.5, s(1.5), 17, s(5)],
      "circle-stroke-color": match("state", { ok: "#0d141c" }, "#ff2d2d"),
      "circle-stroke-width": match("state", { ok: 0.5 }, s(2)) } }],
    ["places", { id: "places-dot", type: "circle", paint: { "circle-color": "#e2e8f0", "circle-radius": s(3),
      "circle-stroke-color": "#0d141c", "circle-stroke-width": 1 } }],
  ];
}

/** Live layers on top: heat, the area asked about, tracks, cameras, events, workers. */
export function liveLayers(scale = 1) {
  const s = (v) => v * scale;
  return [
    ["heat", { id: "heat", type: "heatmap", layout: { visibility: "none" }, paint: {
      "heatmap-radius": ["interpolate", ["linear"], ["zoom"], 12, s(18), 16, s(40)],
      "heatmap-intensity": ["interpolate", ["linear"], ["zoom"], 11, 2.5, 16, 1], "heatmap-opacity": 0.85,
      "heatmap-color": ["interpolate", ["linear"], ["heatmap-density"], 0, "rgba(0,0,0,0)", 0.2, "#1d4ed8",
        0.45, "#16a34a", 0.7, "#eab308", 1, "#dc2626"] } }],
    ["area", { id: "area-fill", type: "fill", paint: { "fill-color": "#2fa8ff", "fill-opacity": 0.12 } }],
    ["area", { id: "area-line", type: "line", paint: { "line-color": "#2fa8ff", "line-width": s(2), "line-dasharray": [2, 1] } }],
    ["track", { id: "track-line", type: "line", filter: ["==", ["geometry-type"], "LineString"],
      paint: { "line-color": "#f0abfc", "line-width": s(3), "line-opacity": 0.9 } }],
    ["track", { id: "track-head", type: "circle", filter: ["==", ["geometry-type"], "Point"],
      paint: { "circle-color": "#f0abfc", "circle-radius": s(7), "circle-stroke-color": "#fff", "circle-stroke-width": s(2) } }],
    ["cameras", { id: "cameras-dot", type: "circle", paint: { "circle-color": "#22d3ee", "circle-radius": s(6),
      "circle-stroke-color": "#0b2530", "circle-stroke-width": s(2) } }],
    ["events", { id: "events-dot", type: "circle", paint: {
      "circle-color": ["match", ["get", "light"], "green", LIGHT.green, "yellow", LIGHT.yellow, "red", LIGHT.red, NO_LIGHT],
      "circle-radius": s(7), "circle-stroke-color": ["case", ["get", "selected"], "#ffffff", "#0d141c"],
      "circle-stroke-width": ["case", ["get", "selected"], s(3), s(1.5)] } }],
    ["workers", { id: "workers-dot", type: "circle", paint: {
      "circle-color": match("status", STATUS, STATUS.on_duty),
      "circle-radius": s(6), "circle-opacity": ["case", ["get", "stale"], 0.35, 1],
      "circle-stroke-color": "#e2e8f0", "circle-stroke-width": s(1.5), "circle-stroke-opacity": ["case", ["get", "stale"], 0.35, 1] } }],
  ];
}

/** Which layer a click found, by MapLibre layer id, in the order they win (top first). */
export const CLICKABLE = ["workers-dot", "events-dot", "cameras-dot", "track-head", "components-dot", "places-dot",
  "buildings-3d", "buildings-fill", "areas-fill", "grids-fill"];

/** The layer names a person can switch, with their MapLibre layer ids. */
export const TOGGLES = {
  grids: ["grids-fill", "grids-line"], water: ["water-fill"], areas: ["areas-fill"], roads: ["roads-line", "rail-line"],
  buildings: ["buildings-fill"], components: ["components-dot"], places: ["places-dot"], cameras: ["cameras-dot"],
  events: ["events-dot"], workers: ["workers-dot"], heat: ["heat"],
};
