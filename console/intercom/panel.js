// The console's Intercom tab: every talkgroup (grids, streets, departments, ad hoc) with who holds the floor, one
// group's floor with push to talk and "Take the floor" (the centre pre-empts; nobody is queued), its members, its
// last transmissions to replay, and ad hoc groups made and deleted. Floors and clips arrive on /console.

import { request, session } from "../api.js";
import { el } from "../events-model.js";
import { reportError } from "../actions.js";
import { notify } from "../notice.js";
import { clockTime } from "../district-time.js";
import { Talk, clipAudio, floorText, holdToTalk } from "./talk.js";

const enc = encodeURIComponent;
const KIND_LABELS = { grid: "Grid", street: "Street", department: "Department", adhoc: "Ad hoc" };

export class IntercomPanel {
  /** `root`: the tab's section (index.html), filled here. */
  constructor(root) {
    this.root = root;
    this.groups = new Map();
    this.selected = null;
    this.talk = null;
    this.clips = [];
    this.loaded = false;
    this.rows = el("tbody", { testid: "intercom-groups" });
    this.title = el("h2", { testid: "intercom-title" }, "Choose a talkgroup");
    this.floorLine = el("p", { class: "ic-floor", testid: "intercom-floor" });
    this.ptt = el("button", { class: "btn btn-primary ic-ptt", testid: "intercom-ptt", disabled: true,
      title: "Hold to talk (or hold the space key)" }, "Hold to talk");
    this.takeBtn = el("button", { class: "btn btn-danger", testid: "intercom-take", disabled: true,
      title: "Cut off whoever talks and talk now (nobody is queued)" }, "Take the floor");
    this.takeBtn.addEventListener("click", () => this.take());
    this.deleteBtn = el("button", { class: "btn btn-ghost", testid: "intercom-delete", hidden: true }, "Delete group");
    this.deleteBtn.addEventListener("click", () => this.deleteGroup());
    this.meter = el("div", { class: "ic-meter", testid: "intercom-meter", dataset: { energy: "0" } }, el("span"));
    this.members = el("p", { class: "muted small", testid: "intercom-members" });
    this.clipList = el("ul", { class: "ic-clips", testid: "intercom-clips" });
    this.nameInput = el("input", { class: "filter", placeholder: "Name, e.g. Flood watch", testid: "adhoc-name" });
    this.membersInput = el("input", { class: "filter", placeholder: "Members: worker3, dept1…", testid: "adhoc-members" });
    const create = el("button", { class: "btn", testid: "adhoc-create" }, "Create");
    create.addEventListener("click", () => this.createGroup());
    this.detail = el("aside", { class: "ic-detail", testid: "intercom-detail", hidden: true },
      this.title, this.floorLine,
      el("div", { class: "ic-actions" }, this.ptt, this.takeBtn, this.deleteBtn), this.meter, this.members,
      el("h3", {}, "Last transmissions"), this.clipList);
    root.append(
      el("div", { class: "ic-main" },
        el("div", { class: "ic-table-wrap" },
          el("table", { class: "wk-table" },
            el("thead", {}, el("tr", {}, el("th", {}, "Talkgroup"), el("th", {}, "Kind"), el("th", {}, "Floor"),
              el("th", {}, "Members"), el("th", {}, "Connected"))),
            this.rows)),
        el("section", { class: "detail-sec" }, el("h3", {}, "New ad hoc group"),
          el("div", { class: "wk-filters" }, this.nameInput, this.membersInput, create))),
      this.detail);
    holdToTalk(this.ptt, { down: () => this.press(), up: () => this.letGo() });
  }

  async show() {
    this.root.hidden = false;
    if (!this.loaded) { this.loaded = true; await this.load(); }
  }

  /** Leaving the tab ends this console's voice in the group (the floor, if held, is let go). */
  hide() {
    this.root.hidden = true;
    this.leave();
  }

  reset() {
    this.hide();
    this.loaded = false;
    this.groups.clear();
    this.selected = null;
    this.detail.hidden = true;
    this.rows.replaceChildren();
  }

  resync() { if (this.loaded) this.load(); }

  async load() {
    try {
      const res = await request("GET", "/api/intercom/groups");
      this.groups = new Map(res.groups.map((g) => [g.id, g]));
    } catch (e) {
      reportError(e, "Loading the talkgroups");
      return;
    }
    if (this.selected && !this.groups.has(this.selected)) this.select(null);
    this.render();
    this.renderDetail();
  }

  render() {
    this.rows.replaceChildren(...[...this.groups.values()].map((g) => {
      const f = g.floor;
      const row = el("tr", { class: `wk-row${g.id === this.selected ? " selected" : ""}`, dataset: { group: g.id } },
        el("td", { class: "wk-name" }, g.name), el("td", {}, KIND_LABELS[g.kind] || g.kind),
        el("td", {}, f?.holder ? `${f.names?.[f.holder] || f.holder} talks` + (f.queue?.length ? ` · ${f.queue.length} waiting` : "") : "–"),
        el("td", { class: "wk-tasks" }, String(g.members?.length ?? "–")),
        el("td", { class: "wk-tasks" }, String(g.live || 0)));
      row.addEventListener("click", () => this.select(g.id));
      return row;
    }));
  }

  select(id) {
    if (id === this.selected) return;
    this.leave();
    this.selected = id;
    this.clips = [];
    this.render();
    this.renderDetail();
    if (id) { this.join(); this.loadClips(); }
  }

  renderDetail() {
    const g = this.groups.get(this.selected);
    this.detail.hidden = !g;
    this.root.classList.toggle("with-detail", Boolean(g));
    if (!g) return;
    this.title.textContent = `${g.name} · ${KIND_LABELS[g.kind] || g.kind}`;
    this.floorLine.textContent = floorText(g.floor, session.user?.name);
    this.members.textContent = g.members?.length ? `In the group now: ${g.members.join(", ")}`
      : "Nobody of the group is on duty now.";
    this.deleteBtn.hidden = g.kind !== "adhoc";
    const mine = g.floor?.holder === session.user?.name;
    this.ptt.textContent = mine ? "Talking… release to stop" : "Hold to talk";
    this.takeBtn.disabled = !this.talk || mine;
    this.renderClips();
  }

  async join() {
    const talk = new Talk(this.selected, { request, token: () => session.token,
      onLevel: (energy, level) => {
        this.meter.dataset.energy = String(energy);
        this.meter.firstChild.style.width = `${Math.round(Math.min(1, Math.sqrt(level) * 1.5) * 100)}%`;
      } });
    this.talk = talk;
    try {
      await talk.connect();
      if (this.talk !== talk) return;
      this.ptt.disabled = false;
      this.renderDetail();
    } catch (e) {
      if (this.talk === talk) this.talk = null;
      talk.close();
      if (e.name === "NotAllowedError") notify("The microphone is not allowed: allow it to talk.", { kind: "warn" });
      else reportError(e, "Joining the talkgroup");
    }
  }

  leave() {
    if (!this.talk) return;
    const g = this.groups.get(this.talk.id);
    const me = session.user?.name;
    if (g?.floor && (g.floor.holder === me || g.floor.queue?.includes(me))) this.talk.release().catch(() => {});
    this.talk.close();
    this.talk = null;
    this.ptt.disabled = true;
    this.takeBtn.disabled = true;
  }

  async press() { await this.floorCall(() => this.talk.press(), "Asking for the floor"); }

  async letGo() { await this.floorCall(() => this.talk.release(), "Letting go of the floor"); }

  async take() { await this.floorCall(() => this.talk.take(), "Taking the floor"); }

  async floorCall(fn, what) {
    if (!this.talk) return;
    try {
      const res = await fn();
      this.onFloor(res.floor);
    } catch (e) {
      reportError(e, what);
    }
  }

  onFloor(floor) {
    const g = floor && this.groups.get(floor.group);
    if (!g) return;
    g.floor = floor;
    this.render();
    if (floor.group === this.selected) this.renderDetail();
  }

  async loadClips() {
    const gid = this.selected;
    try {
      const res = await request("GET", `/api/intercom/groups/${enc(gid)}/clips`);
      if (gid === this.selected) { this.clips = res.clips; this.renderClips(); }
    } catch (e) {
      reportError(e, "Loading the transmissions");
    }
  }

  onClip(clip) {
    if (clip.group !== this.selected || this.clips.some((c) => c.id === clip.id)) return;
    this.clips.unshift(clip);
    this.renderClips();
  }

  /** intercom:groups: an ad hoc group made or deleted, or a worker on or off duty (the members change). */
  onGroups() { if (this.loaded) this.load(); }

  renderClips() {
    if (!this.clips.length) {
      this.clipList.replaceChildren(el("li", { class: "muted small" }, "Nothing said in the replay window."));
      return;
    }
    this.clipList.replaceChildren(...this.clips.map((c) => {
      const play = el("button", { class: "btn btn-sm", testid: "clip-play" }, "▶ Play");
      play.addEventListener("click", async () => {
        play.disabled = true;
        try {
          const audio = el("audio", { controls: true, testid: "clip-audio" });
          audio.src = await clipAudio(c, session.token);
          play.replaceWith(audio);
          audio.play().catch(() => {});
        } catch (e) {
          play.disabled = false;
          notify(e.message, { kind: "warn" });
        }
      });
      return el("li", { dataset: { clip: c.id } }, el("b", {}, c.speaker_name || c.speaker),
        el("span", { class: "muted small" }, ` ${clockTime(c.at * 1000)} · ${Math.round(c.seconds)} s `), play);
    }));
  }

  async createGroup() {
    const name = this.nameInput.value.trim();
    const members = this.membersInput.value.split(/[\s,]+/).filter(Boolean);
    try {
      const res = await request("POST", "/api/intercom/groups", { name, members });
      this.nameInput.value = "";
      this.membersInput.value = "";
      notify(`Talkgroup "${res.group.name}" made.`, { kind: "ok" });
      await this.load();
      this.select(res.group.id);
    } catch (e) {
      reportError(e, "Making the talkgroup");
    }
  }

  async deleteGroup() {
    const g = this.groups.get(this.selected);
    if (!g || !window.confirm(`Delete the talkgroup "${g.name}"?`)) return;
    try {
      this.leave();
      await request("DELETE", `/api/intercom/groups/${enc(g.id)}`);
      this.select(null);
      await this.load();
    } catch (e) {
      reportError(e, "Deleting the talkgroup");
    }
  }
}
