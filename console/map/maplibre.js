// MapLibre GL JS, served by the hall from the npm package (/vendor/maplibre-gl/): its CSP build, whose worker
// is a file of its own, so the map runs under the pages' Content-Security-Policy (no eval, no blob scripts).

const BASE = "/vendor/maplibre-gl";
let loading = null;

/** The `maplibregl` global, loaded once (script and style sheet) on first need. */
export function loadMapLibre() {
  if (window.maplibregl) return Promise.resolve(window.maplibregl);
  if (!loading) {
    if (!document.querySelector(`link[href="${BASE}/maplibre-gl.css"]`)) {
      document.head.append(Object.assign(document.createElement("link"), { rel: "stylesheet", href: `${BASE}/maplibre-gl.css` }));
    }
    const script = document.createElement("script");
    loading = new Promise((resolve, reject) => {
      script.src = `${BASE}/maplibre-gl-csp.js`;
      script.async = true;
      script.onload = () => {
        const gl = window.maplibregl;
        if (!gl) { reject(new Error("maplibre-gl defined no maplibregl")); return; }
        gl.setWorkerUrl(`${BASE}/maplibre-gl-csp-worker.js`);
        resolve(gl);
      };
      script.onerror = () => reject(new Error(`cannot load ${script.src}`));
      document.head.append(script);
    }).catch((err) => {
      loading = null;  // try again next time
      script.remove();
      throw err;
    });
  }
  return loading;
}

let pmtilesLoading = null;

/** A .pmtiles base map: the npm `pmtiles` reader (/vendor/pmtiles.js) as MapLibre's `pmtiles://` protocol. */
export function usePmtiles(gl) {
  if (!pmtilesLoading) {
    pmtilesLoading = new Promise((resolve, reject) => {
      const script = Object.assign(document.createElement("script"), { src: "/vendor/pmtiles.js", async: true });
      script.onload = () => {
        if (!window.pmtiles) { reject(new Error("pmtiles.js defined no pmtiles")); return; }
        gl.addProtocol("pmtiles", new window.pmtiles.Protocol().tile);
        resolve();
      };
      script.onerror = () => { pmtilesLoading = null; reject(new Error("cannot load /vendor/pmtiles.js")); };
      document.head.append(script);
    });
  }
  return pmtilesLoading;
}
