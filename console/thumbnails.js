// Live thumbnails and health of the sources in the library list. Only items in view are refreshed
// (about every 2 s, at most 4 requests at once); health comes from `media:health`.

import { state } from "./store.js";
import { SnapshotPoller } from "./snapshots.js";
import { onHealth, sourceHealth, describeSource } from "./health.js";

const THUMB_CSS_W = 64;
const REFRESH_MS = 2000;
const MAX_IN_FLIGHT = 4;

const thumbWidth = () => Math.min(1920, Math.max(32, Math.round(THUMB_CSS_W * Math.max(1.5, window.devicePixelRatio || 1)) & ~1));

export class SourceThumbnails {
  constructor(list) {
    this.list = list;
    this.visible = new Set();
    this.poller = new SnapshotPoller({
      intervalMs: REFRESH_MS,
      maxInFlight: MAX_IN_FLIGHT,
      pathFor: (id) => `/api/sources/${encodeURIComponent(id)}/snapshot.jpg?width=${thumbWidth()}`,
      onImage: (id, url) => this.show(id, url),
      onError: (id) => this.imgs(id).forEach((img) => img.classList.add("stale")),
    });
    // The implicit root (the viewport) also honours the list's own scrolling and the side bar's.
    this.observer = new IntersectionObserver((entries) => {
      for (const en of entries) {
        const id = en.target.dataset.id;
        if (en.isIntersecting) this.visible.add(id);
        else this.visible.delete(id);
      }
      this.poller.want(this.visible);
    }, { rootMargin: "40px 0px" });
    onHealth(() => this.applyHealth());
  }

  imgs(id) {
    return this.list.querySelectorAll(`img[data-thumb="${CSS.escape(id)}"]`);
  }

  /** Called after the library re-created its items: show the last images at once, watch visibility. */
  attach() {
    this.observer.disconnect();
    this.visible.clear();
    this.poller.forget(state.sources.map((s) => s.id));
    for (const item of this.list.querySelectorAll(".lib-source")) {
      const url = this.poller.urlOf(item.dataset.id);
      const img = item.querySelector("img[data-thumb]");
      if (url && img) { img.src = url; img.classList.add("loaded"); }
      this.observer.observe(item);
    }
    this.poller.want(this.visible);
    this.applyHealth();
  }

  show(id, url) {
    for (const img of this.imgs(id)) {
      img.src = url;
      img.classList.add("loaded");
      img.classList.remove("stale");
    }
  }

  applyHealth() {
    for (const item of this.list.querySelectorAll(".lib-source")) {
      const d = describeSource(sourceHealth(item.dataset.id));
      if (item.dataset.health !== d.state) item.dataset.health = d.state;
      const label = item.querySelector(".lib-health");
      if (label && label.textContent !== d.label) label.textContent = d.label;
      if (item.title !== d.title) item.title = d.title;
    }
  }

  start() { this.poller.start(); }
  stop() { this.poller.stop(); }
  clear() { this.poller.clear(); }
}
