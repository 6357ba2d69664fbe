// The kiosk's live panels over its /wall socket: it tells the hall which panels it draws (`panels:watch`, again
// after every reconnect) and hands each pushed document (`panel`) to the views drawing it; maps hear the events
// and the workers' positions. Nothing is polled.

export class PanelLink {
  constructor(socket) {
    this.socket = socket;
    this.watchers = new Map();  // panel id -> Set of fn(doc)
    this.mapFns = new Set();     // fn(kind, message): "event" notices, "workers" positions
    this.stateFns = new Set();   // fn(connected)
    this.docs = new Map();       // panel id -> last document
    this.connected = socket.connected;
    this.mmPerPx = null;         // this screen's millimetres per pixel (the hall says, with the first watch)
    this.type = null;            // the wall's type sizes in millimetres (dashboards.type)
    this.pending = null;
    this.readyWaiters = [];
    socket.on("connect", () => { this.connected = true; this.sync(); this.tell(); });
    socket.on("disconnect", () => { this.connected = false; this.tell(); });
    socket.on("panel", (doc) => this.deliver(doc));
    socket.on("event", (n) => { for (const fn of this.mapFns) fn("event", n); });
    socket.on("workers:positions", (m) => { for (const fn of this.mapFns) fn("workers", m); });
  }

  /** Draw panel `pid` with `fn(doc)` from now on (its last document at once, if known); returns the way out. */
  watch(pid, fn) {
    if (!this.watchers.has(pid)) this.watchers.set(pid, new Set());
    this.watchers.get(pid).add(fn);
    if (this.docs.has(pid)) queueMicrotask(() => fn(this.docs.get(pid)));
    this.schedule();
    return () => {
      const set = this.watchers.get(pid);
      set?.delete(fn);
      if (set && !set.size) this.watchers.delete(pid);
      this.schedule();
    };
  }

  /** Hear the events and the workers as they move (for maps); returns the way out. */
  onMap(fn) {
    this.mapFns.add(fn);
    this.schedule();
    return () => { this.mapFns.delete(fn); this.schedule(); };
  }

  onState(fn) {
    this.stateFns.add(fn);
    fn(this.connected);
    return () => this.stateFns.delete(fn);
  }

  /** Resolves with the screen's millimetres per pixel once the hall has said it. */
  ready() {
    if (this.mmPerPx) return Promise.resolve(this.mmPerPx);
    this.schedule();  // a kiosk that watches nothing yet still asks for its pitch
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  tell() { for (const fn of this.stateFns) fn(this.connected); }

  deliver(doc) {
    if (!doc || !doc.panel) return;
    this.docs.set(doc.panel, doc);
    for (const fn of this.watchers.get(doc.panel) || []) fn(doc);
  }

  schedule() {
    if (this.pending) return;
    this.pending = setTimeout(() => { this.pending = null; this.sync(); }, 0);  // one message for a redraw
  }

  sync() {
    if (!this.socket.connected) return;  // sent on connect
    const panels = [...this.watchers.keys()];
    this.socket.emit("panels:watch", { panels, map: this.mapFns.size > 0 }, (ack) => {
      if (!ack || !ack.ok) { console.warn("panels:watch:", ack && ack.message); return; }
      this.mmPerPx = ack.mm_per_px;
      this.type = ack.type;
      for (const resolve of this.readyWaiters.splice(0)) resolve(this.mmPerPx);
      for (const doc of Object.values(ack.panels || {})) this.deliver(doc);
    });
  }
}
