// Keeps a set of snapshot images fresh: fetched with the bearer token, shown through object URLs.
// Each key (a source or screen id) is refetched `intervalMs` after its last fetch began, at most
// `maxInFlight` at once; nothing is fetched while the page is hidden. Every object URL this
// poller made is revoked once a newer one replaces it, or on clear().

import { fetchImage } from "./api.js";

const TICK_MS = 150;

/** How long to wait after a failed fetch before trying that key again. */
function backoffMs(status, fails) {
  if (status === 404) return 15000;       // unknown id (or the endpoint is not there)
  if (status === 503) return 5000;        // no media engine yet
  return Math.min(30000, 1000 * 2 ** Math.min(fails, 5));
}

export class SnapshotPoller {
  /**
   * @param {object} o
   * @param {number} o.intervalMs       refresh period per key
   * @param {number} o.maxInFlight      concurrent requests at most
   * @param {(key: string) => string} o.pathFor   URL of a key's snapshot (read at fetch time)
   * @param {(key: string, url: string) => void} o.onImage  a fresh object URL for key (the old one is revoked after)
   * @param {(key: string, err: Error) => void} [o.onError]
   */
  constructor({ intervalMs, maxInFlight, pathFor, onImage, onError = () => {} }) {
    Object.assign(this, { intervalMs, maxInFlight, pathFor, onImage, onError });
    this.wanted = new Set();
    this.entries = new Map();   // key -> {url, next, ctrl, fails}
    this.inFlight = 0;
    this.running = false;
    this.timer = null;
    document.addEventListener("visibilitychange", () => {
      if (document.hidden) this.abortAll();
      else this.tick();
    });
  }

  /** The keys to keep fresh (others keep their last image but are not fetched). */
  want(keys) {
    this.wanted = new Set(keys);
    if (this.running) queueMicrotask(() => this.tick());
  }

  /** The newest object URL of a key, or null. */
  urlOf(key) {
    return this.entries.get(key)?.url || null;
  }

  start() {
    if (this.running) return;
    this.running = true;
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.tick();
  }

  stop() {
    this.running = false;
    clearInterval(this.timer);
    this.timer = null;
    this.abortAll();
  }

  /** Stop and drop every image (revoking its object URL). */
  clear() {
    this.stop();
    for (const e of this.entries.values()) if (e.url) URL.revokeObjectURL(e.url);
    this.entries.clear();
  }

  /** Drop the images of keys not in `keep` (e.g. sources no longer configured). */
  forget(keep) {
    const k = new Set(keep);
    for (const [key, e] of this.entries) {
      if (k.has(key)) continue;
      e.ctrl?.abort();
      if (e.url) URL.revokeObjectURL(e.url);
      this.entries.delete(key);
    }
  }

  /** Fetch the next images now instead of waiting for their time (e.g. after a resize). */
  refreshSoon() {
    for (const e of this.entries.values()) e.next = Math.min(e.next, performance.now());
  }

  abortAll() {
    for (const e of this.entries.values()) {
      if (e.ctrl) { e.ctrl.abort(); e.next = 0; }
    }
  }

  entry(key) {
    let e = this.entries.get(key);
    if (!e) {
      e = { url: null, next: 0, ctrl: null, fails: 0 };
      this.entries.set(key, e);
    }
    return e;
  }

  tick() {
    if (!this.running || document.hidden) return;
    const now = performance.now();
    const due = [];
    for (const key of this.wanted) {
      const e = this.entry(key);
      if (!e.ctrl && e.next <= now) due.push([key, e]);
    }
    due.sort((a, b) => a[1].next - b[1].next);
    for (const [key, e] of due) {
      if (this.inFlight >= this.maxInFlight) break;
      this.load(key, e);
    }
  }

  async load(key, e) {
    const ctrl = new AbortController();
    const started = performance.now();
    e.ctrl = ctrl;
    this.inFlight++;
    try {
      const blob = await fetchImage(this.pathFor(key), ctrl.signal);
      if (ctrl.signal.aborted || this.entries.get(key) !== e) return;
      const url = URL.createObjectURL(blob);
      const old = e.url;
      e.url = url;
      e.fails = 0;
      // A little jitter keeps keys that started together from staying in lockstep.
      e.next = started + this.intervalMs * (0.9 + Math.random() * 0.2);
      try {
        this.onImage(key, url);
      } finally {
        if (old) URL.revokeObjectURL(old);
      }
    } catch (err) {
      if (err?.name === "AbortError" || ctrl.signal.aborted) return;
      e.fails++;
      e.next = performance.now() + backoffMs(err?.status, e.fails);
      this.onError(key, err);
    } finally {
      this.inFlight--;
      if (e.ctrl === ctrl) e.ctrl = null;
      if (this.running) queueMicrotask(() => this.tick());
    }
  }
}
