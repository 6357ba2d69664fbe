// The call buttons of an event's detail: "Call nearest" (one worker at a time, the next after a decline or a
// timeout) and "Ring nearest N" (several at once, the first to answer), and the event's earlier calls. The call
// itself runs in the call view (view.js), whichever tab is open.

import { el, when } from "../events-model.js";
import { subscribe } from "../store.js";
import { callSettings, callsApi, mayCall } from "./view.js";

// calls seen ending by a detail: its event is read again once (the detail's re-render makes a new section)
const endedSeen = new Set();
const OUTCOME = { answered: "answered", declined: "declined", missed: "not answered", failed: "failed",
  cancelled: "cancelled" };

/**
 * The detail's call section for `ev`, or null when this user may not call. `dock`: the console's CallDock;
 * `reload()`: read the event again (a call that ends leaves its record on the event's audit log).
 */
export function callSection(ev, dock, { reload } = {}) {
  if (!callSettings()) {  // the hall's settings are still on their way: the section comes with them
    const holder = el("div", { hidden: true });
    const off = subscribe((_, patch) => {
      if (!("hall" in patch)) return;
      off();
      const section = holder.isConnected ? callSection(ev, dock, { reload }) : null;
      if (section) holder.replaceWith(section); else holder.remove();
    });
    return holder;
  }
  if (!mayCall()) return null;
  const n = callSettings().ring_at_once;
  const nearest = el("button", { type: "button", class: "btn btn-sm btn-primary", testid: "call-nearest",
    textContent: "Call nearest", title: "Ring the nearest available grid worker; the next if they decline or do not answer" });
  const ring = el("button", { type: "button", class: "btn btn-sm", testid: "call-ring", textContent: `Ring nearest ${n}`,
    title: `Ring the ${n} nearest available grid workers at once; the first to answer gets the call` });
  const line = el("div", { class: "muted small", testid: "event-call-line" });
  const list = el("ol", { class: "event-calls", testid: "event-calls" });
  const section = el("section", { class: "detail-sec event-call", testid: "event-call" },
    el("h3", { textContent: "Video call" }), el("div", { class: "detail-actions" }, nearest, ring), line, list);
  nearest.addEventListener("click", () => start("nearest"));
  ring.addEventListener("click", () => start("ring"));

  async function start(mode) {
    nearest.disabled = ring.disabled = true;
    try { await dock.start({ mode, event: ev.id }); } finally { refresh(); }
  }

  function refresh() {
    const c = dock.call;
    const here = c?.event?.id === ev.id;
    const noPlace = ev.lat == null || ev.lon == null;
    nearest.disabled = ring.disabled = dock.busy || noPlace;
    const why = noPlace ? "The event has no position: nobody can be found near it." : dock.busy && !here ? "Another call is under way." : "";
    line.textContent = here && c.state !== "ended" ? (c.callee ? `In a call with ${c.callee.display_name}` : "Ringing…") : why;
    if (here && c.state === "ended" && !endedSeen.has(c.id)) {
      endedSeen.add(c.id);
      reload?.();
    }
  }

  const off = dock.subscribe(() => {
    if (!section.isConnected) { off(); return; }
    refresh();
  });
  refresh();
  callsApi.list({ event: ev.id, limit: "5" }).then(({ calls }) => {
    list.replaceChildren(...calls.map((c) => el("li", { dataset: { call: c.id, outcome: c.outcome || c.state } },
      `${when(c.started_at)} ${c.caller.display_name} → ${c.callee?.display_name || (c.rung || []).map((r) => r.display_name).join(", ") || "nobody"}`,
      el("span", { class: "muted", textContent: ` · ${c.state === "ended" ? OUTCOME[c.outcome] || c.outcome : c.state}`
        + `${c.duration_s != null ? ` · ${Math.round(c.duration_s)} s` : ""}` }))));
  }).catch(() => { list.replaceChildren(); });
  return section;
}
