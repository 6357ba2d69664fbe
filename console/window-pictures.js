// The pictures inside the wall view's video windows while the live preview is off: each shows its source's
// newest snapshot fitted as the window fits it on the wall (`fit`: "contain" the whole picture with black bars,
// "cover" cropped to fill, "fill" stretched; the hall's names are CSS's object-fit values). With the live
// preview on, the screens' composed pictures (preview.js) show instead.

import { state } from "./store.js";
import { SnapshotPoller } from "./snapshots.js";

const REFRESH_MS = 2000;
const MAX_IN_FLIGHT = 3;

export class WindowPictures {
  constructor(wallView) {
    this.wallView = wallView;
    this.active = false;  // logged in and showing the console
    this.poller = new SnapshotPoller({
      intervalMs: REFRESH_MS,
      maxInFlight: MAX_IN_FLIGHT,
      pathFor: (id) => `/api/sources/${encodeURIComponent(id)}/snapshot.jpg?width=${this.widthFor(id)}`,
      onImage: (id, url) => this.show(id, url),
      onError: (id) => this.imgs(id).forEach((img) => img.classList.add("stale")),
    });
    wallView.pictures = this;
  }

  get enabled() {
    return this.active && !this.wallView.preview?.enabled;
  }

  /** Snapshot width for a source: about the widest window showing it, in device pixels. */
  widthFor(sourceId) {
    const css = Math.max(0, ...(state.layout?.windows || [])
      .filter((w) => w.source === sourceId).map((w) => w.rect.w * this.wallView.scale));
    const px = Math.round((css * (window.devicePixelRatio || 1)) / 16) * 16;
    return Math.min(1280, Math.max(32, px));
  }

  imgs(sourceId) {
    return this.wallView.root.querySelectorAll(`img[data-picture="${CSS.escape(sourceId)}"]`);
  }

  /** WallView.windowElement: put the source's last picture into a freshly drawn video window. */
  decorate(winEl, w) {
    if (!this.enabled || w.kind !== "video" || !w.source) return;
    const img = document.createElement("img");
    img.className = "win-picture";
    img.alt = "";
    img.draggable = false;
    img.dataset.picture = w.source;
    img.dataset.testid = `window-picture-${w.id}`;
    img.style.objectFit = w.fit || "contain";
    const url = this.poller.urlOf(w.source);
    if (url) { img.src = url; img.classList.add("loaded"); }
    winEl.classList.add("with-picture");
    winEl.prepend(img);
  }

  /** WallView.render is done: keep the pictures of the sources on the wall fresh. */
  rendered() {
    const ids = new Set(this.enabled
      ? (state.layout?.windows || []).filter((w) => w.kind === "video" && w.source).map((w) => w.source) : []);
    this.poller.forget(state.sources.map((s) => s.id));
    this.poller.want(ids);
  }

  show(id, url) {
    for (const img of this.imgs(id)) {
      img.src = url;
      img.classList.add("loaded");
      img.classList.remove("stale");
    }
  }

  start() {
    this.active = true;
    this.poller.start();
    this.wallView.render();
  }

  stop() {
    this.active = false;
    this.poller.clear();
  }
}
