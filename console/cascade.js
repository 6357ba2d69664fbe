// The cascade card: the other command centres this hall publishes to over WHIP (GET /api/cascade/targets), each
// with its state, bitrate, reconnects and last error, kept live by the `media:health` push; the roles that may
// (the server says so: may_switch) start and stop a target and choose what it sends. Pulled feeds (whep://) are sources in the list.

import { request } from "./api.js";
import { reportError } from "./actions.js";
import { clockTime } from "./district-time.js";

const STATE_WORDS = { live: "live", connecting: "connecting", failed: "failed · retrying", stopped: "stopped" };

function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

function rate(kbps) {
  if (!kbps) return null;
  return kbps >= 1000 ? `${(kbps / 1000).toFixed(1)} Mb/s` : `${Math.round(kbps)} kb/s`;
}

export class CascadeCard {
  constructor(root) {
    this.root = root;
    this.list = root.querySelector("[data-testid=cascade-list]");
    this.targets = new Map();
    this.maySwitch = false;
    this.busy = new Set();
  }

  async load() {
    try {
      const res = await request("GET", "/api/cascade/targets");
      this.targets = new Map(res.targets.map((t) => [t.name, t]));
      this.maySwitch = !!res.may_switch;
    } catch (e) {
      reportError(e, "Loading the other centres");
    }
    this.render();
  }

  /** The media server's push: each target's link as it is now. */
  onHealth(msg) {
    const cascade = msg?.cascade;
    if (!cascade) return;
    let changed = false;
    for (const [name, health] of Object.entries(cascade)) {
      const t = this.targets.get(name);
      if (t) { Object.assign(t, health); changed = true; }
    }
    if (changed) this.render();
  }

  reset() {
    this.targets = new Map();
    this.render();
  }

  async switchTarget(name, start) {
    this.busy.add(name);
    this.render();
    try {
      const t = await request("POST", `/api/cascade/targets/${encodeURIComponent(name)}/${start ? "start" : "stop"}`);
      this.targets.set(name, t);
    } catch (e) {
      reportError(e, start ? "Starting the target" : "Stopping the target");
    } finally {
      this.busy.delete(name);
      this.render();
    }
  }

  render() {
    // the health push comes every second: a list the operator has open is not redrawn under their hand
    const open = document.activeElement;
    if (open?.matches?.("select.cascade-publish") && this.root.contains(open)) { this.pending = true; return; }
    this.pending = false;
    this.root.hidden = this.targets.size === 0;
    this.list.replaceChildren(...[...this.targets.values()].map((t) => this.item(t)));
  }

  item(t) {
    const state = t.state || "stopped";
    let where = t.url;
    try { where = new URL(t.url).host; } catch { /* shown as given */ }
    const facts = [`${t.publish} → ${where}`, rate(t.bitrate_kbps),
      t.since && state !== "stopped" ? `since ${clockTime(t.since * 1000)}` : null,
      t.reconnects ? `${t.reconnects} reconnect${t.reconnects === 1 ? "" : "s"}` : null,
      state === "failed" && t.next_attempt_s != null ? `next try in ${Math.ceil(t.next_attempt_s)} s` : null,
    ].filter(Boolean);
    const li = el("li", { className: "cascade-target" },
      el("div", { className: "cascade-head" },
        el("b", { className: "cascade-name", textContent: t.name }),
        el("span", { className: "cascade-state", textContent: STATE_WORDS[state] || state })),
      el("div", { className: "cascade-facts", textContent: facts.join(" · ") }),
      t.error && state !== "live" ? el("div", { className: "cascade-error", textContent: t.error }) : null,
      !t.enabled && t.changed_by ? el("div", { className: "cascade-facts",
        textContent: `stopped by ${t.changed_by}${t.changed_at ? " at " + clockTime(t.changed_at) : ""}` }) : null);
    Object.assign(li.dataset, { testid: "cascade-target", name: t.name, state });
    li.title = `${t.url}\nsends ${t.output}`;
    if (this.maySwitch) {
      const on = t.enabled;
      const btn = el("button", { className: "btn btn-sm", textContent: on ? "Stop" : "Start",
        disabled: this.busy.has(t.name), title: on ? "Stop publishing (the other centre's session ends)" : "Publish to this centre" });
      btn.dataset.testid = "cascade-switch";
      btn.addEventListener("click", () => this.switchTarget(t.name, !on));
      li.append(btn, this.picker(t));
    }
    return li;
  }

  /** What the target sends: the wall's screens and the sources it can show (a room, a call, a camera), read
   * when the list is opened; a choice publishes it at once. */
  picker(t) {
    const select = el("select", { className: "cascade-publish", title: "Send another picture to this centre",
      disabled: this.busy.has(t.name) }, el("option", { value: t.publish, textContent: `Sends ${t.publish}` }));
    select.dataset.testid = "cascade-publish";
    select.addEventListener("focus", async () => {
      if (select.options.length > 1) return;
      try {
        const wall = await request("GET", "/api/wall");
        const group = (label, items) => el("optgroup", { label },
          ...items.map(([id, name]) => el("option", { value: id, textContent: name === id ? id : `${name} (${id})` })));
        select.append(
          group("Screens", wall.wall.screens.map((s) => [s.id, s.name || s.id])),
          group("Sources", wall.sources.filter((s) => s.state !== "ended").map((s) => [s.id, s.name || s.id])));
      } catch (e) {
        reportError(e, "Loading the screens and sources");
      }
    });
    select.addEventListener("change", () => { select.blur(); this.publish(t.name, select.value); });
    select.addEventListener("blur", () => { if (this.pending) this.render(); });
    return select;
  }

  async publish(name, what) {
    this.busy.add(name);
    this.render();
    try {
      this.targets.set(name, await request("POST", `/api/cascade/targets/${encodeURIComponent(name)}/publish`,
        { publish: what }));
    } catch (e) {
      reportError(e, "Sending another picture");
    } finally {
      this.busy.delete(name);
      this.render();
    }
  }
}
