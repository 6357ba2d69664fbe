// "Talk": the intercom on the field page. The user's talkgroups (a worker's while on duty), a big push-to-talk
// button (press and hold, or the space key) saying who talks now or the place in the queue, and the group's last
// transmissions to replay. Floors and clips arrive on the /field connection (intercom:floor, intercom:clip).

import { request, session } from "./api.js";
import { errorText, fill, h, say } from "./ui.js";
import { Talk, clipAudio, floorText, holdToTalk } from "/console/intercom/talk.js";
import { clockTime } from "/console/district-time.js";

export class IntercomView {
  constructor(socket, user) {
    this.user = user;
    this.groups = [];
    this.groupId = null;
    this.floor = null;
    this.talk = null;
    this.clips = [];
    this.picker = h("div", { class: "talk-groups", role: "group", "aria-label": "Talkgroups", "data-testid": "talk-groups" });
    this.status = h("p", { class: "status-line", "data-testid": "talk-status", "aria-live": "polite" });
    this.floorLine = h("p", { class: "talk-floor", "data-testid": "talk-floor", "aria-live": "polite" });
    this.meter = h("div", { class: "talk-meter", "data-testid": "talk-meter", "data-energy": "0", "aria-hidden": "true" },
      h("span"));
    this.ptt = h("button", { type: "button", class: "ptt", "data-testid": "ptt", "aria-pressed": "false", disabled: true },
      "Hold to talk");
    this.clipList = h("ul", { class: "talk-clips", "data-testid": "talk-clips", "aria-label": "Last transmissions" });
    this.el = h("section", { class: "view", "data-view": "talk", "aria-labelledby": "talk-title" },
      h("div", { class: "view-head" }, h("h1", { id: "talk-title", tabindex: "-1" }, "Talk")),
      this.picker, this.status,
      h("div", { class: "card talk-card" }, this.floorLine, this.ptt, this.meter),
      h("h2", { class: "talk-sub" }, "Last transmissions"), this.clipList);
    holdToTalk(this.ptt, { down: () => this.press(), up: () => this.letGo() });
    socket.on("intercom:floor", (f) => this.onFloor(f));
    socket.on("intercom:clip", (c) => this.onClip(c));
    socket.on("intercom:groups", () => { if (!this.el.hidden) this.load(); });
    socket.on("connect", () => { if (!this.el.hidden) this.load(); });
  }

  /** The view is shown: read the groups (and join the chosen one's voice). */
  open() { this.load(); }

  /** The view is left: the voice connection ends (the floor, if held, is let go). */
  stop() { this.leave(); }

  async load() {
    try {
      const res = await request("GET", "/api/intercom/groups");
      this.groups = res.groups || [];
    } catch (err) {
      say(this.status, errorText(err), "error");
      return;
    }
    if (!this.groups.length) {
      say(this.status, this.user.role === "worker" ? "You have no talkgroups while off duty: go on duty to talk."
        : "You are in no talkgroup.", "info");
    } else {
      say(this.status, "");
    }
    if (!this.groups.some((g) => g.id === this.groupId)) {
      this.leave();
      this.groupId = this.groups[0]?.id ?? null;
    }
    this.renderPicker();
    const group = this.groups.find((g) => g.id === this.groupId);
    this.floor = group?.floor ?? null;
    this.renderFloor();
    if (group) { this.join(); this.loadClips(); } else fill(this.clipList);
  }

  renderPicker() {
    fill(this.picker, this.groups.map((g) => h("button", {
      type: "button", class: "tab", "aria-pressed": String(g.id === this.groupId), "data-group": g.id,
      onclick: () => this.choose(g.id),
    }, g.name)));
  }

  choose(id) {
    if (id === this.groupId) return;
    this.leave();
    this.groupId = id;
    this.load();
  }

  async join() {
    if (this.talk || !this.groupId) return;
    const talk = new Talk(this.groupId, { request, token: () => session.token,
      onLevel: (energy, level) => {
        this.meter.dataset.energy = String(energy);
        this.meter.firstChild.style.width = `${Math.round(Math.min(1, Math.sqrt(level) * 1.5) * 100)}%`;
      } });
    this.talk = talk;
    this.ptt.disabled = true;
    try {
      await talk.connect();
      if (this.talk === talk) this.ptt.disabled = false;
    } catch (err) {
      if (this.talk === talk) this.talk = null;
      talk.close();
      say(this.status, err.name === "NotAllowedError" ? "The microphone is not allowed: allow it to talk."
        : errorText(err), "error");
    }
  }

  leave() {
    if (!this.talk) return;
    if (this.floor && (this.floor.holder === this.user.name || this.floor.queue?.includes(this.user.name))) {
      this.talk.release().catch(() => {});
    }
    this.talk.close();
    this.talk = null;
    this.ptt.disabled = true;
  }

  async press() {
    if (!this.talk) return;
    try {
      const res = await this.talk.press();
      this.onFloor(res.floor);
    } catch (err) {
      say(this.status, errorText(err), "error");
    }
  }

  async letGo() {
    if (!this.talk) return;
    try {
      const res = await this.talk.release();
      this.onFloor(res.floor);
    } catch (err) {
      say(this.status, errorText(err), "error");
    }
  }

  onFloor(floor) {
    if (!floor || floor.group !== this.groupId) return;
    if (floor.cut_off === this.user.name && floor.reason === "take") {
      say(this.status, `${floor.names?.[floor.by] || floor.by} took the floor.`, "warn");
    } else if (floor.cut_off === this.user.name && floor.reason === "expired") {
      say(this.status, "Your time ran out: the floor went to the next.", "warn");
    }
    this.floor = floor;
    this.renderFloor();
  }

  renderFloor() {
    const f = this.floor;
    this.floorLine.textContent = this.groupId ? floorText(f || { holder: null, queue: [] }, this.user.name) : "";
    const mine = f?.holder === this.user.name;
    const queued = (f?.queue || []).includes(this.user.name);
    this.ptt.dataset.state = mine ? "talking" : queued ? "queued" : f?.holder ? "busy" : "free";
    this.ptt.textContent = mine ? "Talking… release to stop" : queued ? "Waiting for the floor" : "Hold to talk";
  }

  async loadClips() {
    const gid = this.groupId;
    try {
      const res = await request("GET", `/api/intercom/groups/${encodeURIComponent(gid)}/clips`);
      if (gid === this.groupId) { this.clips = res.clips || []; this.renderClips(); }
    } catch { /* the list stays as it was; the next clip pushed brings it back */ }
  }

  onClip(clip) {
    if (clip.group !== this.groupId || this.clips.some((c) => c.id === clip.id)) return;
    this.clips.unshift(clip);
    this.renderClips();
  }

  renderClips() {
    fill(this.clipList, this.clips.length ? this.clips.map((c) => this.clipRow(c))
      : h("li", { class: "hint" }, "Nothing said in the last minutes."));
  }

  clipRow(clip) {
    const play = h("button", { type: "button", class: "btn btn-secondary", "data-testid": "clip-play" }, "▶ Play");
    const row = h("li", { "data-clip": clip.id },
      h("span", { class: "talk-clip-who" }, clip.speaker_name || clip.speaker),
      h("span", { class: "hint" }, `${clockTime(clip.at * 1000)} · ${Math.round(clip.seconds)} s`), play);
    play.addEventListener("click", async () => {
      play.disabled = true;
      try {
        const audio = h("audio", { controls: true, "data-testid": "clip-audio" });
        audio.src = await clipAudio(clip, session.token);
        play.replaceWith(audio);
        audio.play().catch(() => {});
      } catch (err) {
        play.disabled = false;
        say(this.status, errorText(err), "error");
      }
    });
    return row;
  }
}
