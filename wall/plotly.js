// plotly.js for the wall's charts, as bundled with the Python plotly package the figures are made for (served
// by the hall), loaded once on first need (4.8 MB: only kiosks showing a chart pay for it).

const PLOTLY_URL = "/vendor/plotly.min.js";

let plotlyLoading = null;

/** The `Plotly` global, loaded once; a failed load is tried again at the next need. */
export function loadPlotly() {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!plotlyLoading) {
    const script = document.createElement("script");
    plotlyLoading = new Promise((resolve, reject) => {
      script.src = PLOTLY_URL;
      script.async = true;
      script.onload = () => (window.Plotly ? resolve(window.Plotly) : reject(new Error("plotly.js defined no Plotly")));
      script.onerror = () => reject(new Error(`cannot load ${PLOTLY_URL}`));
      document.head.append(script);
    }).catch((err) => {
      plotlyLoading = null;  // try again at the next need
      script.remove();
      throw err;
    });
  }
  return plotlyLoading;
}
