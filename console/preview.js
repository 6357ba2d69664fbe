// The live wall preview: each screen of the wall view shows a snapshot of its composed picture
// (about once a second per screen, staggered), under translucent window outlines. A toolbar
// toggle turns it off (remembered in localStorage).

import { state } from "./store.js";
import { SnapshotPoller } from "./snapshots.js";

const STORE_KEY = "hall.livePreview";
const REFRESH_MS = 1000;
const MAX_IN_FLIGHT = 3;

export class WallPreview {
  constructor(wallView, toggle) {
    this.wallView = wallView;
    this.toggle = toggle;
    this.active = false;   // logged in and showing the console
    this.enabled = localStorage.getItem(STORE_KEY) !== "off";
    toggle.checked = this.enabled;
    toggle.addEventListener("change", () => this.setEnabled(toggle.checked));
    this.poller = new SnapshotPoller({
      intervalMs: REFRESH_MS,
      maxInFlight: MAX_IN_FLIGHT,
      pathFor: (id) => `/api/screens/${encodeURIComponent(id)}/snapshot.jpg?width=${this.widthFor(id)}`,
      onImage: (id, url) => this.show(id, url),
      onError: (id) => this.img(id)?.classList.add("stale"),
    });
    wallView.preview = this;
  }

  /** Snapshot width for a screen: about its drawn size in device pixels. */
  widthFor(id) {
    const s = state.wall?.screens.find((x) => x.id === id);
    const css = s ? s.canvas.w * this.wallView.scale : 320;
    const px = Math.round((css * (window.devicePixelRatio || 1)) / 16) * 16;
    return Math.min(1920, Math.max(32, px));
  }

  img(id) {
    return this.wallView.root.querySelector(`img[data-preview="${CSS.escape(id)}"]`);
  }

  /** WallView.render: put the screen's last picture into its freshly drawn rectangle. */
  decorate(screenEl, screen) {
    if (!this.enabled) return;
    const img = document.createElement("img");
    img.className = "screen-preview";
    img.alt = "";
    img.draggable = false;
    img.dataset.preview = screen.id;
    img.dataset.testid = `screen-preview-${screen.id}`;
    const url = this.poller.urlOf(screen.id);
    if (url) { img.src = url; img.classList.add("loaded"); }
    screenEl.prepend(img);
  }

  /** WallView.render is done: follow the wall's screens. */
  rendered() {
    this.wallView.root.classList.toggle("live-preview", this.enabled);
    const ids = state.wall?.screens.map((s) => s.id) || [];
    this.poller.forget(ids);
    this.poller.want(this.enabled ? ids : []);
  }

  show(id, url) {
    const img = this.img(id);
    if (!img) return;
    img.src = url;
    img.classList.add("loaded");
    img.classList.remove("stale");
  }

  setEnabled(on) {
    this.enabled = on;
    this.toggle.checked = on;
    localStorage.setItem(STORE_KEY, on ? "on" : "off");
    if (on && this.active) this.poller.start();
    if (!on) this.poller.clear();
    this.wallView.render();
  }

  start() {
    this.active = true;
    if (this.enabled) this.poller.start();
  }

  stop() {
    this.active = false;
    this.poller.clear();
  }
}
