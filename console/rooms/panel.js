// The console's Rooms tab: the open consultation rooms with who is in each (live, from the /console `room`
// pushes), and for each: open its page in a new tab, join with the hall's own microphone and speakers, invite an
// expert by a link, show it on the wall. "Open a consultation room" here, or about an event from its detail.

import { request, session } from "../api.js";
import { el, when } from "../events-model.js";
import { notify } from "../notice.js";
import { reportError } from "../actions.js";
import { roomsApi, roomPage, membersOf } from "./api.js";

export const rooms = roomsApi(request);
const CENTRE = new Set(["admin", "operator", "commander"]);  // who opens rooms, invites, puts one on the wall
const STATE_WORDS = { connecting: "connecting", connected: "in", reconnecting: "reconnecting" };

/** A refused room request: an ended session goes back to the log-in, anything else is said as the hall said it
 * (a room's 409 means closed or full, not the wall's version conflict reportError speaks of). */
export function fail(e, what) {
  if (e.status === 401 || !e.status) reportError(e, what);
  else notify(`${what}: ${e.message}`, { kind: "error" });
}

/** Open `url` in a new tab of this browser window. The tab is made at once, in the click (a tab opened after
 * an awaited request may be blocked), with an opener, so it shares this tab's session (sessionStorage). */
export function newTab() {
  const tab = window.open("about:blank", "_blank");
  return {
    go(url) { if (tab) tab.location.href = url; else window.open(url, "_blank"); },
    cancel() { tab?.close(); },
  };
}

/** Open a consultation room (about `event`, an event id, or none) and its page in a new tab; the Room. */
export async function openRoom(title, event = null) {
  const tab = newTab();
  try {
    const { room } = await rooms.open(title, event);
    tab.go(roomPage(room.id));
    notify(`Consultation room “${room.title}” opened.`, { kind: "ok", timeout: 4000 });
    return room;
  } catch (e) {
    tab.cancel();
    fail(e, "Opening a consultation room");
    return null;
  }
}

export class RoomsPanel {
  /** `root`: the tab's section (index.html), filled here. */
  constructor(root) {
    this.root = root;
    this.rooms = new Map();   // id -> Room (open ones)
    this.inviting = null;     // the room whose invitation form is open
    this.links = new Map();   // room id -> the last invitation made here {url, expires_at, name}
    this.loaded = false;
    this.open = false;
    this.cards = new Map();   // room id -> {key: what its card shows, el}: a card is made again only when that changes
    this.build();
  }

  get role() { return session.user?.role; }

  build() {
    this.title = el("input", { className: "filter", placeholder: "Title, e.g. Flooded underpass on Jingshi Rd",
      maxLength: 120, dataset: { testid: "rooms-open-title" } });
    const openBtn = el("button", { className: "btn btn-primary btn-sm", textContent: "Open a consultation room",
      dataset: { testid: "rooms-open" } });
    const go = async () => {
      const title = this.title.value.trim();
      if (!title) { notify("Give the room a title first.", { kind: "warn" }); this.title.focus(); return; }
      if (await openRoom(title)) this.title.value = "";
    };
    openBtn.addEventListener("click", go);
    this.title.addEventListener("keydown", (e) => { if (e.key === "Enter") go(); });
    this.opener = el("div", { class: "rooms-opener" }, this.title, openBtn);
    this.list = el("div", { class: "rooms-list", dataset: { testid: "rooms-list" } });
    this.root.replaceChildren(el("div", { class: "rooms-main" },
      el("h2", {}, "Consultation rooms ", el("span", { class: "count", dataset: { testid: "rooms-count" } }, "0")),
      this.opener, this.list));
  }

  async show() {
    this.open = true;
    this.root.hidden = false;
    this.opener.hidden = !CENTRE.has(this.role);
    if (!this.loaded) {
      this.loaded = true;
      await this.load();
    } else {
      this.render();
    }
  }

  hide() {
    this.open = false;
    this.root.hidden = true;
  }

  reset() {
    this.hide();
    this.loaded = false;
    this.rooms.clear();
    this.links.clear();
    this.inviting = null;
    this.cards.clear();
    this.list.replaceChildren();
  }

  resync() {
    if (this.loaded) this.load();
  }

  async load() {
    try {
      const answer = await rooms.list();
      this.rooms = new Map(answer.rooms.map((r) => [r.id, r]));
    } catch (e) {
      fail(e, "Loading the rooms");
    }
    this.render();
  }

  /** `room` from /console: a room changed (someone came, left, the host acted, it closed). */
  onRoom(room) {
    if (!this.loaded) return;
    if (room.closed_at) this.rooms.delete(room.id);
    else this.rooms.set(room.id, room);
    if (this.open) this.render();
  }

  render() {
    const all = [...this.rooms.values()].sort((a, b) => b.created_at - a.created_at);
    this.root.querySelector("[data-testid=rooms-count]").textContent = String(all.length);
    if (!all.length) {
      this.cards.clear();
      this.list.replaceChildren(el("p", { class: "muted" }, "No consultation room is open."));
      return;
    }
    // A room's push comes with every change, the speaker's too (several a second while people talk): a card made
    // again under the pointer would swallow a click, so only a card whose content changes is made again.
    const cards = all.map((r) => {
      const key = this.cardKey(r);
      const had = this.cards.get(r.id);
      if (had?.key === key) return had.el;
      const card = this.card(r);
      this.cards.set(r.id, { key, el: card });
      return card;
    });
    for (const id of [...this.cards.keys()]) if (!this.rooms.has(id)) this.cards.delete(id);
    const shown = [...this.list.children];
    if (shown.length !== cards.length || shown.some((c, i) => c !== cards[i])) this.list.replaceChildren(...cards);
  }

  /** What a room's card shows (and so when it must be made again). */
  cardKey(room) {
    return JSON.stringify([room.title, room.locked, room.recording?.state, room.host, room.created_at,
      room.members?.[room.host]?.name, room.event && [room.event.id, room.event.category_name, room.event.description],
      membersOf(room).map((m) => [m.id, m.name, m.state, m.muted]), this.role, session.user?.name,
      this.inviting === room.id, this.links.get(room.id) || null]);
  }

  card(room) {
    const me = session.user?.name;
    const centre = CENTRE.has(this.role);
    const host = room.host === me || this.role === "admin";
    const members = membersOf(room);
    const button = (testid, text, onclick, cls = "") => {
      const b = el("button", { className: `btn btn-sm ${cls}`, textContent: text, dataset: { testid } });
      b.addEventListener("click", onclick);
      return b;
    };
    const hostName = room.members?.[room.host]?.name || room.host;
    return el("article", { class: "room-card", dataset: { testid: `room-${room.id}`, room: room.id } },
      el("div", { class: "room-card-head" },
        el("b", { class: "room-card-title" }, room.title),
        room.locked ? el("span", { class: "badge" }, "locked") : null,
        room.recording?.state === "recording" ? el("span", { class: "badge badge-rec" }, "recording") : null,
        el("span", { class: "muted small" }, `host ${hostName} · since ${when(room.created_at)}`)),
      room.event ? el("p", { class: "room-card-event small" },
        el("span", { class: "mono" }, room.event.id), ` · ${room.event.category_name || "event"}: `,
        (room.event.description || "").slice(0, 140)) : null,
      el("ul", { class: "room-card-members", dataset: { testid: "room-members" } },
        ...(members.length ? members.map((m) => el("li", {
          class: `member member-${m.state}`, dataset: { testid: `member-${m.id}`, state: m.state } },
        m.name, el("span", { class: "muted" }, ` ${STATE_WORDS[m.state] || m.state}${m.muted ? " · muted" : ""}`)))
          : [el("li", { class: "muted" }, "nobody yet")])),
      el("div", { class: "room-card-actions" },
        button("room-open", "Open the room", () => newTab().go(roomPage(room.id)), "btn-primary"),
        centre ? button("room-hall-audio", "Join with the hall's audio",
          () => newTab().go(roomPage(room.id, { hall: true }))) : null,
        centre && host ? button("room-invite", "Invite an expert", () => {
          this.inviting = this.inviting === room.id ? null : room.id;
          this.render();
        }) : null,
        centre ? button("room-wall", "Show on wall", () => this.toWall(room)) : null),
      this.inviting === room.id ? this.inviteForm(room) : null,
      this.links.has(room.id) ? this.inviteLink(room, this.links.get(room.id)) : null);
  }

  inviteForm(room) {
    const name = el("input", { className: "filter", placeholder: "The expert's name, shown in the room", maxLength: 80,
      dataset: { testid: "invite-name" } });
    const make = el("button", { className: "btn btn-sm btn-primary", textContent: "Make the link",
      dataset: { testid: "invite-make" } });
    const send = async () => {
      if (!name.value.trim()) { name.focus(); return; }
      make.disabled = true;
      try {
        const inv = await rooms.invite(room.id, name.value.trim());
        this.links.set(room.id, { ...inv, name: name.value.trim() });
        this.inviting = null;
        this.render();
      } catch (e) {
        fail(e, "Inviting an expert");
        make.disabled = false;
      }
    };
    make.addEventListener("click", send);
    name.addEventListener("keydown", (e) => { if (e.key === "Enter") send(); });
    setTimeout(() => name.focus(), 0);
    return el("div", { class: "room-invite", dataset: { testid: "invite-form" } }, name, make);
  }

  /** The invitation's link: whoever has it enters this room (and nothing else) until it expires. */
  inviteLink(room, inv) {
    const url = new URL(inv.url, window.location.origin).href;
    const field = el("input", { className: "filter invite-url", readOnly: true, value: url,
      dataset: { testid: "invite-url" } });
    field.addEventListener("focus", () => field.select());
    const copy = el("button", { className: "btn btn-sm", textContent: "Copy", dataset: { testid: "invite-copy" } });
    copy.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(url);
        notify("The invitation's link is copied.", { kind: "ok", timeout: 3000 });
      } catch {
        field.focus();  // no clipboard here (plain http): selected, for Ctrl+C
        field.select();
      }
    });
    return el("div", { class: "room-invite", dataset: { testid: "invite-link" } },
      el("p", { class: "small" }, `For ${inv.name}: opens this room only, until `,
        el("b", { dataset: { testid: "invite-expires" } }, when(inv.expires_at)), "."),
      el("div", { class: "rooms-opener" }, field, copy));
  }

  async toWall(room) {
    try {
      await rooms.toWall(room.id);
      notify(`“${room.title}” is on the wall.`, { kind: "ok", timeout: 4000 });
    } catch (e) {
      fail(e, "Putting the room on the wall");
    }
  }
}
