// The consultation rooms open about this user's tasks: each with who is in it and a Join button that opens the
// room's page for phones (`?size=small`) in a new tab, so this page (duty, position) keeps running.

import { roomsApi, roomPage, membersOf } from "/console/rooms/api.js";
import { request } from "./api.js";
import { h, fill } from "./ui.js";

const rooms = roomsApi(request);

export class FieldRooms {
  constructor() {
    this.list = h("ul", { class: "rooms", "data-testid": "field-rooms" });
    this.el = h("section", { class: "field-rooms", "aria-labelledby": "rooms-title", hidden: true },
      h("h2", { id: "rooms-title" }, "Consultation rooms"), this.list);
  }

  /** Show the open rooms about any of `eventIds` (the events this page lists); nothing when there are none. */
  async show(eventIds) {
    let open;
    try {
      open = (await rooms.list({ open: true })).rooms;
    } catch {
      return;  // the list keeps what it showed: the task list itself says when the hall cannot be reached
    }
    const mine = open.filter((r) => r.event && eventIds.has(r.event.id));
    this.el.hidden = !mine.length;
    fill(this.list, mine.map((r) => this.row(r)));
  }

  row(room) {
    const people = membersOf(room);
    return h("li", { class: "room", "data-testid": `field-room-${room.id}` },
      h("div", { class: "room-head" },
        h("b", {}, room.title),
        h("a", { class: "btn btn-primary", href: roomPage(room.id, { size: "small" }), target: "_blank",
          rel: "opener", "data-testid": `field-room-join-${room.id}` }, "Join")),
      h("div", { class: "room-about" }, room.event.category_name || "Unclassified", " · ", room.event.place || ""),
      h("div", { class: "room-who", "data-testid": "field-room-who" },
        people.length ? `In the room: ${people.map((m) => m.name).join(", ")}` : "Nobody in it yet"));
  }
}
