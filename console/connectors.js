// Other systems' data on the console (backend/connectors): a "Feeds" item in the top bar (how many connectors
// are failing) that opens a list of each one's latest line, its age and its last error. Pushed by the hall
// (`connector` on /console) as it changes; the ages run on by themselves.

import { request } from "./api.js";
import { el } from "./events-model.js";

function age(s) {
  if (s == null) return "never";
  if (s < 90) return `${Math.round(s)} s ago`;
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  if (s < 172800) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} days ago`;
}

export class FeedsStatus {
  constructor(root) {
    this.root = root;
    this.states = new Map();  // id -> state, with `seen` (when this page got it, to run the age on)
    this.button = el("button", { class: "btn btn-ghost feeds-button", testid: "feeds", type: "button",
      title: "Data from other systems: weather, traffic, news, hazard warnings" });
    this.list = el("div", { class: "feeds-list", testid: "feeds-list", hidden: true });
    this.button.addEventListener("click", () => { this.list.hidden = !this.list.hidden; this.render(); });
    root.append(this.button, this.list);
    this.timer = setInterval(() => this.render(), 1000);
    root.hidden = true;
  }

  async load() {
    try {
      const { connectors } = await request("GET", "/api/connectors");
      this.states = new Map(connectors.map((c) => [c.id, { ...c, seen: Date.now() / 1000 }]));
    } catch {
      this.states = new Map();  // this role may not read them, or the hall is away: nothing to show
    }
    this.render();
  }

  /** A `connector` notice: one connector's state now. */
  onState(state) {
    this.states.set(state.id, { ...state, seen: Date.now() / 1000 });
    this.render();
  }

  render() {
    const all = [...this.states.values()];
    this.root.hidden = !all.length;
    const failing = all.filter((c) => c.error);
    this.button.dataset.state = failing.length ? "failing" : "ok";
    this.button.textContent = failing.length ? `Feeds: ${failing.length} failing` : `Feeds: ${all.length} live`;
    if (this.list.hidden) return;
    const now = Date.now() / 1000;
    this.list.replaceChildren(...all.map((c) => {
      const ageS = c.age_s == null ? null : c.age_s + (now - c.seen);
      return el("div", { class: `feed${c.error ? " failing" : ""}`, testid: `feed-${c.id}` },
        el("div", { class: "feed-head" }, el("b", { textContent: c.name }),
          el("span", { class: "muted", testid: `feed-age-${c.id}`, textContent: `${c.how || c.kind} · ${age(ageS)}` })),
        el("div", { class: "feed-line", textContent: c.line || "no values yet" }),
        c.error ? el("div", { class: "feed-error", testid: `feed-error-${c.id}`,
          textContent: `failing since ${age(c.error_at == null ? null : now - c.error_at)}: ${c.error}` }) : null);
    }));
  }
}
