// The host's controls over the whole room: share a wall source or a wall screen (a picker fed by GET /api/wall:
// only the host reads it, a guest never could), lock, record (and the recording's link once done), close.

import { el } from "/console/events-model.js";
import { recordingUrl } from "/console/rooms/api.js";

export class HostBar {
  /** `root`: the section shown to the host only; `rooms`: the rooms API with the page's token; `request`: the
   * page's REST call; `token()`; `say(text, kind)`: the page's notice line. */
  constructor({ root, rooms, request, token, say }) {
    Object.assign(this, { root, rooms, request, token, say });
    this.room = null;
    this.choices = null;  // [{group, items: [{id, name}]}] once loaded
    this.recordingLink = null;  // {url (the route), href (blob:)}
    this.closing = null;        // a timer while "close" waits for its confirmation
    this.build();
  }

  build() {
    this.picker = el("select", { dataset: { testid: "share-source-picker" }, ariaLabel: "A wall source or screen" },
      el("option", { value: "", textContent: "Loading the wall's sources…" }));
    this.shareBtn = this.button("share-source", "Share into the room", () => this.share(this.picker.value || null));
    this.unshareBtn = this.button("unshare-source", "Stop sharing", () => this.share(null));
    this.shared = el("span", { class: "muted small", dataset: { testid: "shared-now" } });
    this.lockBtn = this.button("lock", "Lock", () => this.act(() => this.rooms.lock(this.room.id, !this.room.locked)));
    this.recordBtn = this.button("record", "Record", () => this.act(() =>
      this.rooms.recording(this.room.id, this.room.recording?.state !== "recording")));
    this.recording = el("span", { class: "small", dataset: { testid: "recording" } });
    this.closeBtn = this.button("close-room", "Close the room", () => this.close(), "btn-danger");
    this.root.replaceChildren(
      el("h2", {}, "Host"),
      el("div", { class: "host-row" }, this.picker, this.shareBtn, this.unshareBtn, this.shared),
      el("div", { class: "host-row" }, this.lockBtn, this.recordBtn, this.recording, el("span", { class: "grow" }),
        this.closeBtn));
  }

  button(testid, text, onclick, cls = "") {
    const b = el("button", { class: `btn btn-sm ${cls}`, textContent: text, dataset: { testid } });
    b.addEventListener("click", onclick);
    return b;
  }

  /** The room as it is now; the picker is filled the first time this page is the host's. */
  render(room) {
    this.room = room;
    const host = Boolean(room.you?.host) && !room.closed_at;
    this.root.hidden = !host;
    if (!host) return;
    if (!this.choices) this.loadChoices();
    this.shared.textContent = room.shared ? `Shown large: ${room.shared.title}` : "";
    this.unshareBtn.disabled = !room.shared;
    this.lockBtn.textContent = room.locked ? "Unlock" : "Lock";
    this.lockBtn.dataset.locked = String(room.locked);
    const rec = room.recording;
    this.recordBtn.textContent = rec?.state === "recording" ? "Stop recording" : "Record";
    this.recordBtn.dataset.recording = String(rec?.state === "recording");
    this.showRecording(rec);
  }

  async loadChoices() {
    this.choices = [];
    try {
      const wall = await this.request("GET", "/api/wall");
      const sources = (wall.sources || []).filter((s) => !String(s.id).startsWith(`room:${this.room.id}`));
      this.choices = [
        { group: "Wall sources", items: sources.map((s) => ({ id: s.id, name: s.name || s.id })) },
        { group: "Wall screens", items: (wall.wall?.screens || []).map((s) => ({ id: s.id, name: s.name || s.id })) },
      ];
    } catch (e) {
      this.choices = null;
      this.picker.replaceChildren(el("option", { value: "", textContent: `The wall's sources cannot be read: ${e.message}` }));
      return;
    }
    this.picker.replaceChildren(el("option", { value: "", textContent: "Choose a source or screen…" }),
      ...this.choices.filter((g) => g.items.length).map((g) => el("optgroup", { label: g.group },
        ...g.items.map((i) => el("option", { value: i.id, textContent: i.name })))));
  }

  share(source) {
    if (source === null && !this.room.shared) return;
    if (source === "") return;
    this.act(() => this.rooms.shareSource(this.room.id, source));
  }

  async showRecording(rec) {
    if (!rec) { this.recording.textContent = ""; return; }
    if (rec.state === "recording") { this.recording.textContent = "● recording"; return; }
    if (rec.state !== "done" || !rec.url) { this.recording.textContent = `recording ${rec.state}`; return; }
    if (this.recordingLink?.url === rec.url && this.recording.querySelector("a")) return;
    const a = el("a", { textContent: `Recording (${Math.round(rec.seconds || 0)} s)`, download: `room-${this.room.id}.mp4`,
      dataset: { testid: "recording-link" } });
    this.recording.replaceChildren(a);
    try {
      if (this.recordingLink) URL.revokeObjectURL(this.recordingLink.href);
      this.recordingLink = { url: rec.url, href: await recordingUrl(rec.url, this.token()) };
      a.href = this.recordingLink.href;
    } catch (e) {
      a.replaceWith(`Recording: ${e.message}`);
    }
  }

  /** Closing asks once more (a second click within a few seconds): it ends the room for everyone. */
  close() {
    if (!this.closing) {
      this.closeBtn.textContent = "Close for everyone?";
      this.closing = setTimeout(() => { this.closing = null; this.closeBtn.textContent = "Close the room"; }, 4000);
      return;
    }
    clearTimeout(this.closing);
    this.closing = null;
    this.act(() => this.rooms.close(this.room.id));
  }

  async act(fn) {
    try {
      await fn();  // the change comes back to every page as room:state
    } catch (e) {
      this.say(e.message, "error");
    }
  }
}
