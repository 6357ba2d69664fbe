// Who is in the room: each participant with their connection (connecting, connected, reconnecting), muted or
// not, camera or name card, sharing a screen, speaking now, spotlighted, the host; the host's own buttons on each
// (mute, spotlight, remove).

import { el } from "/console/events-model.js";
import { membersOf } from "/console/rooms/api.js";

const STATE_WORDS = { connecting: "connecting", connected: "connected", reconnecting: "reconnecting" };
const ROLE_WORDS = { admin: "hall", operator: "operator", commander: "commander", expert: "expert", worker: "grid worker" };

export class People {
  /** `list`: the <ul>; `count`: where the number goes; `speaker`: the "speaking now" line; `act(what, member)`:
   * a host's button pressed ("mute", "unmute", "spotlight", "unspotlight", "remove"). */
  constructor({ list, count, speaker, act }) {
    Object.assign(this, { list, count, speaker, act });
  }

  render(room) {
    const you = room.you || {};
    const members = membersOf(room);
    this.count.textContent = String(members.length);
    const talking = room.members?.[room.speaker];
    this.speaker.textContent = talking ? `Speaking: ${talking.name}` : "Nobody speaking";
    this.speaker.dataset.speaker = talking ? talking.id : "";
    if (!members.length) {
      this.list.replaceChildren(el("li", { class: "empty muted" }, "Nobody has joined yet."));
      return;
    }
    // rows are made again only when what they show changes (the speaker moves often: it is set in place), so a
    // host's button is not replaced under the pointer
    this.rows ??= new Map();
    const rows = members.map((m) => {
      const key = JSON.stringify([m, room.spotlight === m.id, room.host === m.id, you.host, you.id]);
      let row = this.rows.get(m.id);
      if (!row || row.key !== key) row = { key, node: this.row(room, m, you) };
      this.rows.set(m.id, row);
      const speaking = room.speaker === m.id;
      row.node.classList.toggle("speaking", speaking);
      row.node.dataset.speaking = String(speaking);
      return row.node;
    });
    for (const id of [...this.rows.keys()]) if (!members.some((m) => m.id === id)) this.rows.delete(id);
    if (rows.length !== this.list.children.length || rows.some((node, i) => this.list.children[i] !== node)) {
      this.list.replaceChildren(...rows);
    }
  }

  row(room, m, you) {
    const flags = [
      m.muted ? el("span", { class: "flag flag-muted", title: "muted" }, "muted") : null,
      el("span", { class: `flag ${m.camera ? "flag-cam" : "flag-card"}` }, m.camera ? "camera" : "name card"),
      m.screen ? el("span", { class: "flag flag-screen" }, "screen") : null,
      room.spotlight === m.id ? el("span", { class: "flag flag-spot" }, "spotlight") : null,
      room.host === m.id ? el("span", { class: "flag flag-host" }, "host") : null,
    ];
    const buttons = [];
    if (you.host) {
      const button = (what, text, cls = "") => {
        const b = el("button", { class: `btn btn-sm ${cls}`, testid: `${what}-${m.id}`, textContent: text });
        b.addEventListener("click", () => this.act(what, m));
        return b;
      };
      buttons.push(m.muted ? button("unmute", "Unmute") : button("mute", "Mute"));
      buttons.push(room.spotlight === m.id ? button("unspotlight", "Unspotlight") : button("spotlight", "Spotlight"));
      if (m.id !== you.id) buttons.push(button("remove", "Remove", "btn-danger"));
    }
    return el("li", {
      class: `person state-${m.state}`,
      dataset: { testid: `participant-${m.id}`, id: m.id, state: m.state, muted: String(m.muted),
        camera: String(m.camera), screen: String(m.screen) },
    },
    el("div", { class: "person-head" },
      el("span", { class: "person-dot", title: STATE_WORDS[m.state] || m.state }),
      el("b", { class: "person-name" }, m.name),
      m.id === you.id ? el("span", { class: "muted small" }, " (you)") : null,
      el("span", { class: "role" }, ROLE_WORDS[m.role] || m.role)),
    el("div", { class: "person-sub" },
      el("span", { class: "person-state", dataset: { testid: "person-state" } }, STATE_WORDS[m.state] || m.state),
      ...flags),
    buttons.length ? el("div", { class: "person-actions" }, ...buttons) : null);
  }
}
