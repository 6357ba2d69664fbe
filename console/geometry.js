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

export function overlaps(a, b) {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

/** Windows from the top of the stack down: higher z first, then later in the list (as the render plan stacks them). */
export function topDown(windows) {
  return windows.map((w, i) => [w, i]).sort((a, b) => (b[0].z ?? 0) - (a[0].z ?? 0) || b[1] - a[1]).map(([w]) => w);
}

/** The topmost window under a canvas point whose kind is one of `kinds`, or null. */
export function windowAt(windows, x, y, kinds) {
  return topDown(windows).find((w) => kinds.includes(w.kind) && contains(w.rect, x, y)) || null;
}

// Edges are [x0, y0, x1, y1], half-open, as in layouts/plan.py.
function cut(u, r, visible, rest) {
  const [ux0, uy0, ux1, uy1] = u;
  const ix0 = Math.max(ux0, r[0]), iy0 = Math.max(uy0, r[1]), ix1 = Math.min(ux1, r[2]), iy1 = Math.min(uy1, r[3]);
  if (ix0 >= ix1 || iy0 >= iy1) { rest.push(u); return; }
  visible.push([ix0, iy0, ix1, iy1]);
  if (iy0 > uy0) rest.push([ux0, uy0, ux1, iy0]);
  if (iy1 < uy1) rest.push([ux0, iy1, ux1, uy1]);
  if (ix0 > ux0) rest.push([ux0, iy0, ix0, iy1]);
  if (ix1 < ux1) rest.push([ix1, iy0, ux1, iy1]);
}

function merge(pieces) {
  const out = [...pieces];
  for (let merged = true; merged && out.length > 1;) {
    merged = false;
    for (let i = 0; i < out.length && !merged; i++) {
      for (let j = i + 1; j < out.length; j++) {
        const a = out[i], b = out[j];
        let joined = null;
        if (a[1] === b[1] && a[3] === b[3] && (a[2] === b[0] || b[2] === a[0])) joined = [Math.min(a[0], b[0]), a[1], Math.max(a[2], b[2]), a[3]];
        else if (a[0] === b[0] && a[2] === b[2] && (a[3] === b[1] || b[3] === a[1])) joined = [a[0], Math.min(a[1], b[1]), a[2], Math.max(a[3], b[3])];
        if (joined) { out[i] = joined; out.splice(j, 1); merged = true; break; }
      }
    }
  }
  return out;
}

/**
 * Ids of the windows that show on some screen, worked out as the render plan does (layouts/plan.py):
 * on each screen, windows from the top down take what is still uncovered; a part that covers no whole
 * screen pixel does not count. A window missing from the set is hidden (behind others, or only in seams).
 */
export function visibleWindowIds(wall, windows) {
  const shown = new Set();
  const stack = topDown(windows).filter((w) => w.rect.w > 0 && w.rect.h > 0);
  for (const s of wall.screens) {
    const c = s.canvas, [resW, resH] = s.resolution;
    const mapX = (x) => Math.floor(((x - c.x) * resW * 2 + c.w) / (2 * c.w));
    const mapY = (y) => Math.floor(((y - c.y) * resH * 2 + c.h) / (2 * c.h));
    let uncovered = [[c.x, c.y, c.x + c.w, c.y + c.h]];
    for (const w of stack) {
      const r = [w.rect.x, w.rect.y, w.rect.x + w.rect.w, w.rect.y + w.rect.h];
      if (r[0] >= c.x + c.w || r[2] <= c.x || r[1] >= c.y + c.h || r[3] <= c.y) continue;
      const visible = [], rest = [];
      for (const u of uncovered) cut(u, r, visible, rest);
      uncovered = rest;
      if (merge(visible).some(([x0, y0, x1, y1]) => mapX(x1) > mapX(x0) && mapY(y1) > mapY(y0))) shown.add(w.id);
      if (!uncovered.length) break;
    }
  }
  return shown;
}

/**
 * The largest rectangle inside `area` that holds the point and overlaps none of `obstacles`
 * (null when an obstacle covers the point): where a window dropped on an empty part of a screen goes.
 */
export function freeRectAround(area, obstacles, x, y) {
  const ax1 = area.x + area.w, ay1 = area.y + area.h;
  const boxes = [];
  for (const o of obstacles) {
    const x0 = Math.max(area.x, o.x), y0 = Math.max(area.y, o.y);
    const x1 = Math.min(ax1, o.x + o.w), y1 = Math.min(ay1, o.y + o.h);
    if (x0 < x1 && y0 < y1) boxes.push({ x: x0, y: y0, w: x1 - x0, h: y1 - y0 });
  }
  if (boxes.some((b) => contains(b, x, y))) return null;
  const edges = (lo, hi, ends) => [...new Set([lo, hi, ...ends])].filter((v) => v >= lo && v <= hi).sort((a, b) => a - b);
  const xs = edges(area.x, ax1, boxes.flatMap((b) => [b.x, b.x + b.w]));
  const ys = edges(area.y, ay1, boxes.flatMap((b) => [b.y, b.y + b.h]));
  let best = null, bestArea = 0;
  for (const x0 of xs.filter((v) => v <= x)) {
    for (const x1 of xs.filter((v) => v > x)) {
      for (const y0 of ys.filter((v) => v <= y)) {
        for (const y1 of ys.filter((v) => v > y)) {
          const r = { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
          if (r.w * r.h <= bestArea || boxes.some((b) => overlaps(b, r))) continue;
          best = r;
          bestArea = r.w * r.h;
        }
      }
    }
  }
  return best;
}
