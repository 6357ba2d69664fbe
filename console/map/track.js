// Playback of a grid worker's patrol track for a chosen period: the path with its times, a slider, and play
// at a chosen speed (GET /api/workers/{name}/track?since=&until= -> {points: [{lat, lon, at, status}]}).

import { el, words } from "../events-model.js";

const SPEEDS = [1, 10, 60, 300];
const enc = encodeURIComponent;
const pad = (n) => String(n).padStart(2, "0");
const localInput = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
const seconds = (at) => (typeof at === "number" ? at : Date.parse(at) / 1000);

export class TrackPlayer {
  constructor(root, { map, client, features }) {
    this.root = root;
    this.map = map;
    this.client = client;
    this.features = features;
    this.points = [];
    this.i = 0;
    this.timer = null;
    this.worker = el("input", { testid: "track-worker", placeholder: "worker name", size: 10 });
    const start = new Date(); start.setHours(0, 0, 0, 0);
    this.since = el("input", { type: "datetime-local", testid: "track-since", value: localInput(start) });
    this.until = el("input", { type: "datetime-local", testid: "track-until", value: localInput(new Date(Date.now() + 60000)) });
    this.slider = el("input", { type: "range", min: "0", max: "0", value: "0", testid: "track-slider", disabled: true });
    this.speed = el("select", { testid: "track-speed" }, ...SPEEDS.map((s) => el("option", { value: String(s), textContent: `${s}×` })));
    this.speed.value = "60";
    this.play = el("button", { class: "btn btn-sm", textContent: "Play", testid: "track-play", disabled: true });
    this.status = el("div", { class: "muted small", testid: "track-status" });
    const load = el("button", { class: "btn btn-sm", textContent: "Show track", testid: "track-load" });
    load.addEventListener("click", () => this.load(this.worker.value.trim()));
    this.slider.addEventListener("input", () => { this.stop(); this.seek(Number(this.slider.value)); });
    this.play.addEventListener("click", () => (this.timer ? this.stop() : this.start()));
    root.replaceChildren(el("h4", { textContent: "Patrol track" }),
      el("div", { class: "map-row" }, this.worker, load),
      el("div", { class: "map-row" }, el("label", {}, "from ", this.since), el("label", {}, "to ", this.until)),
      el("div", { class: "map-row" }, this.play, this.speed, this.slider), this.status);
  }

  async load(name) {
    this.stop();
    if (!name) { this.status.textContent = "Type a worker's name, or pick one on the map."; return; }
    this.worker.value = name;
    if (this.features && !this.features.tracks) {
      this.status.textContent = "Patrol tracks come with the grid workers' registry (not on this hall yet).";
      return;
    }
    const q = new URLSearchParams({ since: new Date(this.since.value).toISOString(), until: new Date(this.until.value).toISOString() });
    try {
      const res = await this.client.json(`/api/workers/${enc(name)}/track?${q}`);
      this.points = (res.points || []).filter((p) => p.lat != null && p.lon != null).sort((a, b) => seconds(a.at) - seconds(b.at));
    } catch (e) {
      this.points = [];
      this.status.textContent = e.message;
      this.map.setTrack([]);
      return;
    }
    this.root.dataset.points = String(this.points.length);
    this.slider.max = String(Math.max(0, this.points.length - 1));
    this.slider.disabled = this.play.disabled = this.points.length < 2;
    if (!this.points.length) { this.status.textContent = `No track of ${name} in this period.`; this.map.setTrack([]); return; }
    this.map.fitPoints(this.points.map((p) => [p.lon, p.lat]));
    this.seek(0);
  }

  seek(i) {
    this.i = Math.max(0, Math.min(i, this.points.length - 1));
    this.slider.value = String(this.i);
    this.map.setTrack(this.points, this.i);
    const p = this.points[this.i];
    this.root.dataset.head = String(this.i);
    this.status.textContent = p ? `${new Date(seconds(p.at) * 1000).toLocaleTimeString()} · ${words(p.status || "")} · point ${this.i + 1} of ${this.points.length}` : "";
  }

  /** Play: a clock runs at `speed` times real time; the head stands on the last point whose time has come. */
  start() {
    if (this.points.length < 2) return;
    if (this.i >= this.points.length - 1) this.seek(0);
    this.play.textContent = "Pause";
    let clock = seconds(this.points[this.i].at);
    const tick = 100;
    this.timer = setInterval(() => {
      clock += (Number(this.speed.value) * tick) / 1000;
      let i = this.i;
      while (i < this.points.length - 1 && seconds(this.points[i + 1].at) <= clock) i++;
      this.seek(i);
      if (i >= this.points.length - 1) this.stop();
    }, tick);
  }

  stop() {
    clearInterval(this.timer);
    this.timer = null;
    this.play.textContent = "Play";
  }

  destroy() { this.stop(); }
}
