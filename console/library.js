// The source and panel lists: grouped, filterable, multi-select, and dragged onto the wall by pointer.
// A drop on a window puts the dragged source or panel in it; a drop on an empty part of a screen adds a
// window there.

import { state, update, sourceById, panelById } from "./store.js";
import { actions } from "./actions.js";
import { nearestScreen, windowAt, freeRectAround } from "./geometry.js";
import { notify } from "./notice.js";

const DRAG_THRESHOLD_PX = 4;
// Windows that take a drop: clocks and banners are overlays, so a drop on one goes to what is under it.
const DROP_KINDS = ["video", "panel"];
// A free area narrower or lower than this share of its screen is no place for a window: it takes the
// whole screen instead (above what is there, as the split's cells of 4x4 are the smallest it makes).
const MIN_FREE_SHARE = 1 / 4;

export class Library {
  constructor({ sourceList, panelList, filter, wallView, thumbnails = null }) {
    this.sourceList = sourceList;
    this.thumbnails = thumbnails;  // live pictures and health of the source items (thumbnails.js)
    this.panelList = panelList;
    this.filter = filter;
    this.wallView = wallView;
    this.drag = null;
    filter.addEventListener("input", () => this.render());
    for (const list of [sourceList, panelList]) {
      list.addEventListener("pointerdown", (e) => this.onPointerDown(e));
    }
    window.addEventListener("pointermove", (e) => this.onPointerMove(e));
    window.addEventListener("pointerup", (e) => this.onPointerUp(e));
    window.addEventListener("pointercancel", () => this.endDrag());
  }

  render() {
    const q = this.filter.value.trim().toLowerCase();
    const groups = new Map();
    for (const s of state.sources) {
      const hay = `${s.name} ${s.id} ${s.group ?? ""} ${s.kind}`.toLowerCase();
      if (q && !hay.includes(q)) continue;
      const g = s.group || "Other";
      if (!groups.has(g)) groups.set(g, []);
      groups.get(g).push(s);
    }
    const onWall = new Set((state.layout?.windows || []).map((w) => w.source).filter(Boolean));
    const frag = document.createDocumentFragment();
    for (const [group, items] of groups) {
      const h = document.createElement("div");
      h.className = "lib-group";
      h.textContent = `${group} · ${items.length}`;
      frag.append(h);
      for (const s of items) {
        const el = this.item("source", s.id, s.name, s.kind);
        if (state.selectedSources.includes(s.id)) el.classList.add("selected");
        if (onWall.has(s.id)) el.classList.add("on-wall");
        el.setAttribute("aria-selected", String(state.selectedSources.includes(s.id)));
        frag.append(el);
      }
    }
    if (!groups.size) {
      const empty = document.createElement("div");
      empty.className = "lib-empty";
      empty.textContent = q ? "No source matches the filter." : "No sources configured.";
      frag.append(empty);
    }
    this.sourceList.replaceChildren(frag);
    this.thumbnails?.attach();

    this.panelList.replaceChildren(...state.panels.map((p) => this.item("panel", p.id, p.name, "panel")));
  }

  item(type, id, name, kind) {
    const el = document.createElement("div");
    el.className = `lib-item lib-${type}`;
    el.dataset.testid = `${type}-${id}`;
    el.dataset.type = type;
    el.dataset.id = id;
    const label = document.createElement("span");
    label.className = "lib-name";
    label.textContent = name;
    const tag = document.createElement("span");
    tag.className = "lib-tag";
    tag.textContent = kind;
    if (type !== "source") {
      const dot = document.createElement("span");
      dot.className = `lib-dot kind-${kind}`;
      el.append(dot, label, tag);
      return el;
    }
    // A source: live thumbnail with a health dot, the name, then health label and kind.
    const thumb = document.createElement("span");
    thumb.className = `lib-thumb kind-${kind}`;
    const img = document.createElement("img");
    img.alt = "";
    img.draggable = false;
    img.dataset.thumb = id;
    img.dataset.testid = `source-thumb-${id}`;
    const dot = document.createElement("i");
    dot.className = "health-dot";
    thumb.append(img, dot);
    const health = document.createElement("span");
    health.className = "lib-health";
    health.dataset.testid = `source-health-${id}`;
    const meta = document.createElement("span");
    meta.className = "lib-meta";
    meta.append(health, tag);
    const text = document.createElement("span");
    text.className = "lib-text";
    text.append(label, meta);
    el.append(thumb, text);
    return el;
  }

  onPointerDown(e) {
    const el = e.target.closest(".lib-item");
    if (!el || e.button !== 0) return;
    e.preventDefault();  // no text selection while dragging
    this.drag = { type: el.dataset.type, id: el.dataset.id, name: el.querySelector(".lib-name").textContent,
                  startX: e.clientX, startY: e.clientY, active: false, ghost: null };
  }

  onPointerMove(e) {
    const d = this.drag;
    if (!d) return;
    if (!d.active) {
      if (Math.hypot(e.clientX - d.startX, e.clientY - d.startY) < DRAG_THRESHOLD_PX) return;
      d.active = true;
      d.ghost = document.createElement("div");
      d.ghost.className = `drag-ghost ghost-${d.type}`;
      d.ghost.textContent = d.name;
      document.body.append(d.ghost);
      document.body.classList.add("dragging-item");
    }
    d.ghost.style.transform = `translate(${e.clientX + 12}px, ${e.clientY + 8}px)`;
    this.wallView.showDropTarget(this.dropTargetAt(e.clientX, e.clientY));
  }

  /** What a drop at a client point does: {replace: window} or {screen, rect} to add on; null off the wall. */
  dropTargetAt(clientX, clientY) {
    const p = this.wallView.canvasPointAt(clientX, clientY);
    if (!p) return null;
    const windows = state.layout?.windows || [];
    const hit = windowAt(windows, p.x, p.y, DROP_KINDS);
    if (hit) return { replace: hit, rect: hit.rect };
    // A drop in a bezel seam or the gap between blocks goes to the nearest screen close by.
    const screen = nearestScreen(state.wall, p.x, p.y, 40 / this.wallView.scale);
    if (!screen) return null;
    const c = screen.canvas;
    const x = Math.min(Math.max(p.x, c.x), c.x + c.w - 1), y = Math.min(Math.max(p.y, c.y), c.y + c.h - 1);
    const under = windowAt(windows, x, y, DROP_KINDS);
    if (under) return { replace: under, rect: under.rect };
    const free = freeRectAround(c, windows.filter((w) => DROP_KINDS.includes(w.kind)).map((w) => w.rect), x, y);
    const roomy = free && free.w >= c.w * MIN_FREE_SHARE && free.h >= c.h * MIN_FREE_SHARE;
    return { screen, rect: roomy ? free : { ...c } };
  }

  async onPointerUp(e) {
    const d = this.drag;
    if (!d) return;
    const target = d.active ? this.dropTargetAt(e.clientX, e.clientY) : null;
    this.endDrag();
    if (!d.active) {
      if (d.type === "source") this.toggleSource(d.id);
      return;
    }
    if (!target) return;
    if (target.replace) {
      await this.replace(target.replace, d);
      return;
    }
    const window = d.type === "source"
      ? { kind: "video", source: d.id, rect: target.rect, title: sourceById(d.id)?.name }
      : { kind: "panel", panel: d.id, rect: target.rect, title: panelById(d.id)?.name };
    const res = await actions.addWindow(window);
    if (res) notify(`${d.name} is on ${target.screen.name || target.screen.id}.`, { kind: "ok", timeout: 2500 });
  }

  /** Put the dragged source or panel into window w, in its place (its size and stacking kept). */
  async replace(w, d) {
    const kind = d.type === "source" ? "video" : "panel";
    if ((kind === "video" && w.source === d.id) || (kind === "panel" && w.panel === d.id)) {
      notify(`${d.name} is there already.`, { kind: "info", timeout: 2500 });
      return;
    }
    const res = kind === "video" && w.kind === "video"
      ? await actions.changeSource(w.id, d.id, d.name)
      : await actions.replaceWindow(w.id, kind === "video" ? { kind, source: d.id, title: d.name }
        : { kind, panel: d.id, title: d.name });
    if (res) notify(`${d.name} replaces what that window showed.`, { kind: "ok", timeout: 2500 });
  }

  /** Click toggles a source in the selection that quick split uses (in click order). */
  toggleSource(id) {
    const sel = state.selectedSources;
    update({ selectedSources: sel.includes(id) ? sel.filter((x) => x !== id) : [...sel, id] });
  }

  endDrag() {
    const d = this.drag;
    this.drag = null;
    if (d?.ghost) d.ghost.remove();
    document.body.classList.remove("dragging-item");
    this.wallView.showDropTarget(null);
  }
}
