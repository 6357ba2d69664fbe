// A grid worker's duty switch (on duty / busy / off duty) and, while on duty, their position sent to the
// hall over /field: at most every few seconds and after a move of some metres (the hall says how many), and
// often enough while standing still that the centre never sees it as stale.

import { ask } from "./live.js";
import { h } from "./ui.js";

const STATUSES = ["on_duty", "busy", "off_duty"];
const LABELS = { on_duty: "On duty", busy: "Busy", off_duty: "Off duty" };
const REPORTING = new Set(["on_duty", "busy"]);
const CHECK_MS = 1000;  // how often a fix (or a still-standing phone) is looked at for sending

/** Metres between two {lat, lon} (haversine). */
function metres(a, b) {
  const r = (d) => (d * Math.PI) / 180;
  const s = Math.sin(r(b.lat - a.lat) / 2) ** 2 + Math.cos(r(a.lat)) * Math.cos(r(b.lat)) * Math.sin(r(b.lon - a.lon) / 2) ** 2;
  return 2 * 6_371_000 * Math.asin(Math.sqrt(Math.min(1, s)));
}

const clock = (epochMs) => new Date(epochMs).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });

export class DutyBar {
  constructor(socket) {
    this.socket = socket;
    this.status = null;
    this.rule = { report_every_s: 5, report_min_move_m: 20, stale_after_s: 120 };
    this.watch = null;      // geolocation watch id while reporting
    this.timer = null;
    this.fix = null;        // the newest fix: {lat, lon, accuracy, at, fresh}
    this.sent = null;       // the last sent: {lat, lon, t (ms)}
    this.sending = false;
    this.problem = "";
    this.buttons = STATUSES.map((s) => h("button", {
      type: "button", class: "duty-btn", "data-status": s, "data-testid": `duty-${s}`, "aria-pressed": "false",
      onclick: () => this.set(s),
    }, LABELS[s]));
    this.line = h("p", { class: "duty-line", "data-testid": "duty-line", "aria-live": "polite" }, "Connecting…");
    this.el = h("section", { class: "duty", "data-testid": "duty", "aria-label": "My duty" },
      h("div", { class: "duty-switch", role: "group", "aria-label": "My duty status" }, this.buttons), this.line);
    socket.on("duty", (d) => this.apply(d));
    socket.on("connect", () => this.check());
  }

  /** The hall's word on this worker's duty (on connect, after a switch, or changed elsewhere). */
  apply(d) {
    this.status = d.status;
    for (const k of Object.keys(this.rule)) if (typeof d[k] === "number") this.rule[k] = d[k];
    this.el.dataset.status = d.status;
    for (const b of this.buttons) b.setAttribute("aria-pressed", String(b.dataset.status === d.status));
    if (REPORTING.has(d.status)) this.startWatching(); else this.stopWatching();
    this.render();
  }

  async set(status) {
    this.buttons.forEach((b) => { b.disabled = true; });
    const ack = await ask(this.socket, "duty", { status });
    this.buttons.forEach((b) => { b.disabled = false; });
    if (ack.ok) { this.problem = ""; this.apply(ack); } else { this.problem = `Not changed: ${ack.message}`; this.render(); }
  }

  startWatching() {
    if (this.watch !== null) return;
    if (!navigator.geolocation) { this.problem = "This phone cannot share its location."; return; }
    this.watch = navigator.geolocation.watchPosition((p) => {
      this.fix = { lat: p.coords.latitude, lon: p.coords.longitude, accuracy: p.coords.accuracy, at: p.timestamp / 1000, fresh: true };
      if (this.problem.startsWith("Location")) this.problem = "";
      this.check();
    }, (e) => {
      this.problem = e.code === 1
        ? "Location blocked: allow it for this page in the browser's settings so the centre can see you."
        : "Location not found yet: looking…";
      this.render();
    }, { enableHighAccuracy: true, maximumAge: 5000, timeout: 30_000 });
    this.timer = setInterval(() => this.check(), CHECK_MS);
  }

  stopWatching() {
    if (this.watch !== null) navigator.geolocation.clearWatch(this.watch);
    clearInterval(this.timer);
    this.watch = this.timer = null;
    this.fix = null;
  }

  /** Send the position when the rule says so: not sooner than report_every_s after the last, and only after a
   * report_min_move_m move, unless half the stale time has passed (standing still is news too). */
  async check() {
    if (!this.fix || !REPORTING.has(this.status) || this.sending || !this.socket.connected) return;
    const now = Date.now();
    const since = this.sent ? (now - this.sent.t) / 1000 : Infinity;
    if (since < this.rule.report_every_s) return;
    const moved = this.sent ? metres(this.sent, this.fix) : Infinity;
    if (moved < this.rule.report_min_move_m && since < this.rule.stale_after_s / 2) return;
    const { lat, lon, accuracy } = this.fix;
    // a new fix keeps the time it was taken; a phone standing still (no new fix) is there now
    const at = this.fix.fresh ? this.fix.at : now / 1000;
    this.sending = true;
    const ack = await ask(this.socket, "position", { lat, lon, accuracy, at });
    this.sending = false;
    if (ack.ok) {
      this.sent = { lat, lon, t: now };
      if (this.fix) this.fix.fresh = false;
      this.grid = ack.grid_name || ack.grid;
      this.problem = "";
    } else if (ack.status === 409) {
      this.problem = ack.message;  // off duty meanwhile (switched on another device): the `duty` push follows
    } else if (ack.status !== 0) {
      this.problem = `Location not accepted: ${ack.message}`;
    }
    this.render();
  }

  render() {
    let text;
    if (!this.status) text = "Connecting…";
    else if (!REPORTING.has(this.status)) text = "Off duty: your location is not shared.";
    else if (this.sent) text = `${LABELS[this.status]} · location shared at ${clock(this.sent.t)}${this.grid ? ` (${this.grid})` : ""}`;
    else text = `${LABELS[this.status]} · finding your location…`;
    this.line.textContent = this.problem ? `${text} ${this.problem}` : text;
    this.line.dataset.kind = this.problem ? "warn" : "info";
  }

  stop() {
    this.stopWatching();
  }
}
