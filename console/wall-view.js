// The wall drawn to scale: screens, windows in z order, selection; move and resize by pointer.

import { state, update, windowTitle, sourceById } from "./store.js";
import { actions } from "./actions.js";
import {
  SNAP_CANVAS_PX, SNAP_CSS_PX, screenAt, screenEdges, snapMove, snapResize, clampToCanvas, sameRect,
} from "./geometry.js";

const DRAG_THRESHOLD_PX = 3;

export class WallView {
  constructor(root, frame) {
    this.root = root;      // [data-testid=wall]
    this.frame = frame;    // the box the wall is fitted into
    this.scale = 1;
    this.drag = null;      // an ongoing move/resize
    this.optimistic = null; // {id, rect} shown while a move is on its way to the server
    this.pendingRender = false;
    this.dropTarget = null;
    this.preview = null;   // the live wall preview (preview.js) once it is attached
    this.pictures = null;  // the sources' pictures in video windows (window-pictures.js) once attached
    new ResizeObserver(() => this.render()).observe(frame);
    root.addEventListener("pointerdown", (e) => this.onPointerDown(e));
    window.addEventListener("pointermove", (e) => this.onPointerMove(e));
    window.addEventListener("pointerup", (e) => this.onPointerUp(e));
    window.addEventListener("pointercancel", () => this.cancelDrag());
  }

  // --- coordinates -------------------------------------------------------

  /** Canvas point under a client (viewport) point, or null when outside the wall. */
  canvasPointAt(clientX, clientY) {
    const box = this.root.getBoundingClientRect();
    if (clientX < box.left || clientX > box.right || clientY < box.top || clientY > box.bottom) return null;
    const c = state.wall.canvas;
    return { x: c.x + (clientX - box.left) / this.scale, y: c.y + (clientY - box.top) / this.scale };
  }

  place(el, rect) {
    const c = state.wall.canvas, s = this.scale;
    el.style.left = `${(rect.x - c.x) * s}px`;
    el.style.top = `${(rect.y - c.y) * s}px`;
    el.style.width = `${rect.w * s}px`;
    el.style.height = `${rect.h * s}px`;
  }

  snapTolerance() {
    return Math.max(SNAP_CANVAS_PX, SNAP_CSS_PX / this.scale);
  }

  // --- drawing -----------------------------------------------------------

  render() {
    if (!state.wall) return;
    if (this.drag?.active) { this.pendingRender = true; return; }
    const c = state.wall.canvas;
    // Fit the width; never taller than about half the window, so the lists below stay in view.
    const pad = getComputedStyle(this.frame);
    const fw = this.frame.clientWidth - parseFloat(pad.paddingLeft) - parseFloat(pad.paddingRight);
    const fh = window.innerHeight * 0.55;
    this.scale = Math.min(fw / c.w, fh / c.h) || 0.1;
    this.root.style.width = `${c.w * this.scale}px`;
    this.root.style.height = `${c.h * this.scale}px`;

    const screens = document.createElement("div");
    screens.className = "layer layer-screens";
    for (const s of state.wall.screens) {
      const el = document.createElement("div");
      el.className = `screen screen-${s.kind}`;
      el.dataset.testid = `screen-${s.id}`;
      el.dataset.screen = s.id;
      el.title = `${s.name} · ${s.kind.toUpperCase()} ${s.resolution[0]}×${s.resolution[1]}`;
      this.place(el, s.canvas);
      const label = document.createElement("span");
      label.className = "screen-id";
      label.textContent = s.id;
      el.append(label);
      this.preview?.decorate(el, s);
      screens.append(el);
    }

    const windows = document.createElement("div");
    windows.className = "layer layer-windows";
    const sorted = [...(state.layout?.windows || [])].sort((a, b) => (a.z ?? 0) - (b.z ?? 0));
    sorted.forEach((w, i) => windows.append(this.windowElement(w, i + 1)));

    const marks = document.createElement("div");
    marks.className = "layer layer-marks";
    for (const id of state.selectedScreens) {
      const s = state.wall.screens.find((x) => x.id === id);
      if (!s) continue;
      const el = document.createElement("div");
      el.className = "screen-target";
      el.dataset.testid = `screen-target-${id}`;
      this.place(el, s.canvas);
      marks.append(el);
    }
    if (this.dropTarget) {
      const el = document.createElement("div");
      el.className = this.dropTarget.replace ? "drop-target drop-replace" : "drop-target";
      el.dataset.testid = "drop-target";
      this.place(el, this.dropTarget.rect);
      marks.append(el);
    }
    this.root.replaceChildren(screens, windows, marks);
    this.preview?.rendered();
    this.pictures?.rendered();
  }

  windowElement(w, stackIndex) {
    const el = document.createElement("div");
    el.className = `win win-${w.kind}` + (w.id === state.selectedWindow ? " selected" : "");
    el.dataset.testid = `window-${w.id}`;
    el.dataset.window = w.id;
    el.dataset.kind = w.kind;
    el.dataset.source = w.source ?? "";
    if (w.kind === "video") el.dataset.fit = w.fit || "contain";
    el.style.zIndex = String(stackIndex);
    this.place(el, this.optimistic?.id === w.id ? this.optimistic.rect : w.rect);

    const head = document.createElement("div");
    head.className = "win-head";
    const badge = document.createElement("span");
    badge.className = "win-kind";
    const src = w.kind === "video" ? sourceById(w.source) : null;
    badge.textContent = src ? `${w.kind} · ${src.kind}` : w.kind;
    const title = document.createElement("span");
    title.className = "win-title";
    title.textContent = windowTitle(w);
    head.append(badge, title);
    el.append(head);
    this.pictures?.decorate(el, w);

    const handle = document.createElement("div");
    handle.className = "win-resize";
    handle.dataset.testid = `resize-${w.id}`;
    handle.title = "Drag to resize";
    el.append(handle);
    return el;
  }

  /** Highlight where a library item would land: {rect, replace?: window} (null clears it). */
  showDropTarget(target) {
    const key = (t) => (t ? `${t.replace?.id ?? ""}:${t.rect.x},${t.rect.y},${t.rect.w},${t.rect.h}` : "");
    if (key(target) === key(this.dropTarget)) return;
    this.dropTarget = target;
    this.render();
  }

  // --- pointer interaction ----------------------------------------------

  onPointerDown(e) {
    if (e.button !== 0 || !state.wall) return;
    const winEl = e.target.closest(".win");
    const onHandle = e.target.classList.contains("win-resize");
    const p = this.canvasPointAt(e.clientX, e.clientY);
    const screen = p && screenAt(state.wall, p.x, p.y);
    this.targetScreen(screen, e.shiftKey);
    if (!winEl) {
      update({ selectedWindow: null });
      return;
    }
    const w = state.layout.windows.find((x) => x.id === winEl.dataset.window);
    if (!w) return;
    e.preventDefault();
    if (state.selectedWindow !== w.id) update({ selectedWindow: w.id });
    this.drag = {
      id: w.id,
      mode: onHandle ? "resize" : "move",
      startX: e.clientX, startY: e.clientY,
      orig: { ...w.rect }, rect: { ...w.rect },
      // The edit is based on the wall as it was when the gesture began: a change by someone
      // else during the drag must make this one a conflict, not silently overwrite theirs.
      version: state.layout.version,
      active: false,
      el: null,
    };
  }

  targetScreen(screen, additive) {
    if (!screen) return;
    let ids = state.selectedScreens;
    if (additive) ids = ids.includes(screen.id) ? ids.filter((i) => i !== screen.id) : [...ids, screen.id];
    else ids = [screen.id];
    update({ selectedScreens: ids });
  }

  onPointerMove(e) {
    const d = this.drag;
    if (!d) return;
    const dx = e.clientX - d.startX, dy = e.clientY - d.startY;
    if (!d.active) {
      if (Math.hypot(dx, dy) < DRAG_THRESHOLD_PX) return;
      d.active = true;
      d.el = this.root.querySelector(`[data-window="${CSS.escape(d.id)}"]`);
      d.el?.classList.add("dragging");
    }
    const cdx = dx / this.scale, cdy = dy / this.scale;
    const edges = screenEdges(state.wall), tol = this.snapTolerance();
    let r;
    if (d.mode === "move") {
      r = snapMove({ ...d.orig, x: d.orig.x + cdx, y: d.orig.y + cdy }, edges, tol);
    } else {
      r = snapResize({ ...d.orig, w: Math.max(16, d.orig.w + cdx), h: Math.max(16, d.orig.h + cdy) }, edges, tol);
    }
    d.rect = clampToCanvas(r, state.wall.canvas);
    if (d.el) this.place(d.el, d.rect);
  }

  async onPointerUp() {
    const d = this.drag;
    if (!d) return;
    this.drag = null;
    if (d.active) {
      this.pendingRender = false;
      const moved = !sameRect(d.rect, d.orig);
      // Keep the window where it was dropped until the server answers (or refuses).
      if (moved) this.optimistic = { id: d.id, rect: d.rect };
      this.render();
      if (moved) {
        await actions.moveWindow(d.id, d.rect, d.version);
        this.optimistic = null;
        this.render();
      }
    }
    if (this.pendingRender) { this.pendingRender = false; this.render(); }
  }

  cancelDrag() {
    this.drag = null;
    this.render();
  }
}
