"""The nearest available workers of a place (pure): widen the radius in the configured steps until enough
fit, list them by distance with the place's own grid workers marked, and say who was skipped and why."""

from __future__ import annotations

from collections import Counter
from typing import Any

from .config import NearestConfig
from .model import GridWorker, Status

# Why a worker is not proposed, most telling first (an off-duty worker in a call is told as off duty).
WHY = {
    "off_duty": "off duty",
    "in_call": "in a call",
    "busy": "busy",
    "no_position": "no position reported",
    "stale": "position stale",
    "outside_radius": "outside the radius",
}
_COUNTED = {"off_duty": "off duty", "in_call": "in a call", "busy": "busy", "no_position": "without a position",
            "stale": "with a stale position"}


def metres(m: float) -> str:
    """800 m, 2 km, 2.5 km."""
    if m < 1000:
        return f"{round(m)} m"
    km = m / 1000
    return f"{km:.0f} km" if abs(km - round(km)) < 0.05 else f"{km:.1f} km"


def ago(seconds: float) -> str:
    s = round(seconds)
    if s < 120:
        return f"{s} s"
    if s < 7200:
        return f"{s // 60} min"
    return f"{s // 3600} h {s % 3600 // 60} min"


def unavailable(w: GridWorker, now: float, stale_after_s: float) -> str | None:
    """Why `w` cannot be proposed now, or None when they can."""
    if w.status == Status.OFF_DUTY:
        return "off_duty"
    if w.call:
        return "in_call"
    if w.status == Status.BUSY:
        return "busy"
    if not w.has_position:
        return "no_position"
    if w.stale(now, stale_after_s):
        return "stale"
    return None


def select(seen: list[tuple[GridWorker, float | None]], *, now: float, cfg: NearestConfig, stale_after_s: float,
           event_grid: str | None = None, limit: int | None = None) -> dict[str, Any]:
    """`seen`: every worker worth telling about (those inside the widest radius, the place's own grid
    workers, the nearest beyond) with their distance in metres (None: no position).

    Returns {candidates, skipped, radius_m, radii_tried, short, more}: candidates by distance; skipped with a
    `reason` (a key of WHY) and a `why` sentence; `short` a sentence when fewer than `cfg.enough` fit."""
    limit = limit or cfg.limit
    why_not = {w.name: unavailable(w, now, stale_after_s) for w, _ in seen}
    available = sorted(((w, d) for w, d in seen if why_not[w.name] is None and d is not None), key=lambda x: x[1])
    tried: list[float] = []
    radius = cfg.radius_steps_m[-1]
    for r in cfg.radius_steps_m:
        tried.append(r)
        if sum(1 for _, d in available if d <= r) >= cfg.enough:
            radius = r
            break
    inside = [(w, d) for w, d in available if d <= radius]
    chosen = {w.name for w, _ in inside[:limit]}

    def item(w: GridWorker, d: float | None) -> dict[str, Any]:
        age = w.age(now)
        return {"name": w.name, "display_name": w.display_name,
                "distance_m": round(d) if d is not None else None, "status": w.status,
                "position_age_s": round(age, 1) if age is not None else None, "lat": w.lat, "lon": w.lon,
                "grid": w.grid, "grids": list(w.grids), "own_grid": bool(event_grid and event_grid in w.grids),
                "call": w.call}

    skipped: list[dict[str, Any]] = []
    for w, d in sorted(seen, key=lambda x: (not (event_grid and event_grid in x[0].grids),
                                            x[1] if x[1] is not None else float("inf"))):
        if w.name in chosen:
            continue
        own = bool(event_grid and event_grid in w.grids)
        reason = why_not[w.name]
        if reason is None:
            if d is not None and d <= radius:
                continue  # available and inside, only over the limit: counted in `more`
            reason = "outside_radius"
            if not own and len(inside) >= cfg.enough:
                continue  # enough fit: the ones further away need no excuse
        elif not own and (d is None or d > radius):
            continue  # neither near nor theirs: nothing to explain
        skipped.append({**item(w, d), "reason": reason, "why": _why(reason, w, d, now, stale_after_s, radius)})
    return {"candidates": [item(w, d) for w, d in inside[:limit]], "skipped": skipped, "radius_m": radius,
            "radii_tried": tried, "more": max(0, len(inside) - limit),
            "short": _short(inside, skipped, radius, cfg.enough)}


def _why(reason: str, w: GridWorker, d: float | None, now: float, stale_after_s: float, radius: float) -> str:
    if reason == "stale":
        return f"position {ago(w.age(now) or 0)} old (stale after {ago(stale_after_s)})"
    if reason == "outside_radius" and d is not None:
        return f"{metres(d)} away, outside the {metres(radius)} searched"
    return WHY[reason]


def _short(inside: list[tuple[GridWorker, float]], skipped: list[dict[str, Any]], radius: float,
           enough: int) -> str | None:
    if len(inside) >= enough:
        return None
    head = "Nobody available" if not inside else f"Only {len(inside)} available"
    text = f"{head} within {metres(radius)}" + (f" ({enough} wanted)" if inside else "")
    near = Counter(s["reason"] for s in skipped if s["reason"] in _COUNTED
                   and s["distance_m"] is not None and s["distance_m"] <= radius)
    if near:
        text += ": " + ", ".join(f"{n} {_COUNTED[r]}" for r, n in near.most_common())
    text += "."
    beyond = [s for s in skipped if s["reason"] == "outside_radius" and s["distance_m"] is not None]
    if beyond:
        b = min(beyond, key=lambda s: s["distance_m"])
        text += f" Nearest available further out: {b['display_name']}, {metres(b['distance_m'])} away."
    elif not inside:
        text += " No other worker on duty has a fresh position."
    return text
