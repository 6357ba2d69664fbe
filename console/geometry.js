// Pure canvas geometry for the console: hit tests, snapping, window placement.

/** Distance (canvas px) within which a dragged edge jumps to a screen edge. */
export const SNAP_CANVAS_PX = 8;
/** ...but never less than this many on-screen (CSS) px, so snapping is felt at any zoom. */
export const SNAP_CSS_PX = 6;
export const MIN_WINDOW_PX = 16;

export function contains(rect, x, y) {
  return x >= rect.x && x < rect.x + rect.w && y >= rect.y && y < rect.y + rect.h;
}

export function screenAt(wall, x, y) {
  return wall.screens.find((s) => contains(s.canvas, x, y)) || null;
}

/** The screen whose rect is nearest to (x, y): a drop in a bezel seam still lands somewhere. */
export function nearestScreen(wall, x, y, maxDist = Infinity) {
  let best = null, bestD = maxDist;
  for (const s of wall.screens) {
    const r = s.canvas;
    const dx = Math.max(r.x - x, 0, x - (r.x + r.w));
    const dy = Math.max(r.y - y, 0, y - (r.y + r.h));
    const d = Math.hypot(dx, dy);
    if (d <= bestD) { best = s; bestD = d; }
  }
  return best;
}

export function screenEdges(wall) {
  const xs = new Set(), ys = new Set();
  for (const s of wall.screens) {
    xs.add(s.canvas.x); xs.add(s.canvas.x + s.canvas.w);
    ys.add(s.canvas.y); ys.add(s.canvas.y + s.canvas.h);
  }
  return { xs: [...xs], ys: [...ys] };
}

function nearest(value, candidates, tol) {
  let best = null, bestD = tol;
  for (const c of candidates) {
    const d = Math.abs(c - value);
    if (d <= bestD) { best = c; bestD = d; }
  }
  return best;
}

/** Snap a moved rect (size kept): whichever of its edges is closest to a screen edge wins. */
export function snapMove(rect, edges, tol) {
  const out = { ...rect };
  const left = nearest(rect.x, edges.xs, tol);
  const right = nearest(rect.x + rect.w, edges.xs, tol);
  if (left !== null && (right === null || Math.abs(left - rect.x) <= Math.abs(right - rect.x - rect.w))) out.x = left;
  else if (right !== null) out.x = right - rect.w;
  const top = nearest(rect.y, edges.ys, tol);
  const bottom = nearest(rect.y + rect.h, edges.ys, tol);
  if (top !== null && (bottom === null || Math.abs(top - rect.y) <= Math.abs(bottom - rect.y - rect.h))) out.y = top;
  else if (bottom !== null) out.y = bottom - rect.h;
  return out;
}

/** Snap the right and bottom edges of a rect resized by its bottom-right corner. */
export function snapResize(rect, edges, tol) {
  const out = { ...rect };
  const right = nearest(rect.x + rect.w, edges.xs, tol);
  if (right !== null && right - rect.x >= MIN_WINDOW_PX) out.w = right - rect.x;
  const bottom = nearest(rect.y + rect.h, edges.ys, tol);
  if (bottom !== null && bottom - rect.y >= MIN_WINDOW_PX) out.h = bottom - rect.y;
  return out;
}

export function clampToCanvas(rect, canvas) {
  const w = Math.max(MIN_WINDOW_PX, Math.min(rect.w, canvas.w));
  const h = Math.max(MIN_WINDOW_PX, Math.min(rect.h, canvas.h));
  const x = Math.min(Math.max(rect.x, canvas.x), canvas.x + canvas.w - w);
  const y = Math.min(Math.max(rect.y, canvas.y), canvas.y + canvas.h - h);
  return { x: Math.round(x), y: Math.round(y), w: Math.round(w), h: Math.round(h) };
}

export function sameRect(a, b) {
  return a.x === b.x && a.y === b.y && a.w === b.w && a.h === b.h;
}

/** A clock sits in the top-right third of a screen; a text banner along its bottom. */
export function clockRect(screen) {
  const c = screen.canvas;
  const w = Math.round(c.w / 3), h = Math.round(c.h / 4);
  return { x: c.x + c.w - w, y: c.y, w, h };
}

export function textRect(screen) {
  const c = screen.canvas;
  const h = Math.round(c.h / 6);
  return { x: c.x, y: c.y + c.h - h, w: c.w, h };
}

export function topZ(windows) {
  return windows.reduce((m, w) => Math.max(m, w.z ?? 0), 0);
}
