// An event's consultation rooms in its detail: open one about the event (its page in a new tab), and every room
// held about it, open or closed, with its recording.

import { session } from "../api.js";
import { el, when } from "../events-model.js";
import { rooms, openRoom, newTab, fail } from "./panel.js";
import { roomPage, membersOf, recordingUrl } from "./api.js";

/** The section for event `ev`: filled once its rooms are read (GET /api/rooms?event=&open=false). */
export function eventRooms(ev, { readOnly }) {
  const list = el("ul", { class: "event-rooms", dataset: { testid: "event-rooms" } },
    el("li", { class: "muted small" }, "Reading the event's rooms…"));
  const fill = async () => {
    try {
      const answer = await rooms.list({ event: ev.id, open: false });
      list.replaceChildren(...(answer.rooms.length ? answer.rooms.map(row)
        : [el("li", { class: "muted small" }, "No consultation room about this event yet.")]));
    } catch (e) {
      list.replaceChildren(el("li", { class: "muted small" }, `The rooms cannot be read: ${e.message}`));
    }
  };
  let open = null;
  if (!readOnly) {
    open = el("button", { className: "btn btn-sm", textContent: "Open a consultation room",
      dataset: { testid: "event-room-open" } });
    open.addEventListener("click", async () => {
      open.disabled = true;
      const title = `${ev.category_name || "Event"}${ev.address ? `, ${ev.address}` : ""}`.slice(0, 120);
      await openRoom(title, ev.id);
      open.disabled = false;
      fill();
    });
  }
  fill();
  return el("section", { class: "detail-sec" }, el("h3", {}, "Consultation rooms"), open, list);
}

function row(room) {
  const people = membersOf(room).length;
  const state = room.closed_at ? `closed ${when(room.closed_at)}` : `open · ${people} in it`;
  const rec = room.recording;
  let recording = null;
  if (rec?.state === "done" && rec.url) {
    recording = el("button", { className: "btn btn-sm link", textContent: `Recording (${Math.round(rec.seconds || 0)} s)`,
      dataset: { testid: `event-room-recording-${room.id}` } });
    recording.addEventListener("click", async () => {
      try {
        const a = el("a", { href: await recordingUrl(rec.url, session.token), download: `room-${room.id}.mp4`,
          textContent: "Download the recording", dataset: { testid: `event-room-download-${room.id}` } });
        recording.replaceWith(a);
        a.click();
      } catch (e) {
        fail(e, "The recording");
      }
    });
  } else if (rec) {
    recording = el("span", { class: "muted small" }, `recording ${rec.state}`);
  }
  let go = null;
  if (!room.closed_at) {
    go = el("button", { className: "btn btn-sm", textContent: "Open", dataset: { testid: `event-room-go-${room.id}` } });
    go.addEventListener("click", () => newTab().go(roomPage(room.id)));
  }
  return el("li", { dataset: { room: room.id, state: room.closed_at ? "closed" : "open" } },
    el("b", {}, room.title), el("span", { class: "muted small" }, ` ${state}`), go, recording);
}
