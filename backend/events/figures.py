"""Plotly figure JSON for the wall's event panels, from the statistics and, for the map, the grids and the
open events (template "none": small)."""

from __future__ import annotations

import json
import math
from typing import Any

FIGURES = ("states", "trend", "hours", "channels", "categories", "kpis", "grades", "map")

# The countdown lights as the wall shows them; an open event without a running clock is grey.
LIGHT_COLOURS = {"green": "#3fb950", "yellow": "#e3b341", "red": "#f85149", None: "#8b949e"}
MAP_EVENTS = 500  # the newest open events the map shows (older ones stay in the lists)


def figure(name: str, stats: dict[str, Any] | None = None, posts: dict[str, Any] | None = None, *,
           grids: dict[str, Any] | None = None, events: list[dict[str, Any]] | None = None,
           labels: dict[str, str] | None = None) -> dict:
    """One figure as Plotly JSON (data + layout); CPU work: call it in a thread.

    `stats` (and `posts` for grades) feed the charts, `labels` names the classes (code -> name); the map takes
    the grids' GeoJSON and event views (`EventService.view`: lat, lon, countdown.light) instead."""
    import plotly.graph_objects as go  # heavy import, only where figures are made

    layout = dict(template="none", margin=dict(l=40, r=10, t=30, b=30), paper_bgcolor="rgba(0,0,0,0)",
                  plot_bgcolor="rgba(0,0,0,0)", font=dict(color="#dfe7f2"))
    if name == "map":
        return json.loads(_map(go, layout, grids, events or []).to_json())
    if stats is None:
        raise ValueError(f"figure {name!r} needs the statistics")
    if name == "states":
        s = stats["states"]
        fig = go.Figure(go.Bar(x=list(s), y=list(s.values())), layout=dict(title="Events by state", **layout))
    elif name == "trend":
        days = stats["trend"]["days"]
        fig = go.Figure([go.Scatter(x=[d["day"] for d in days], y=[d["reported"] for d in days], name="reported"),
                         go.Scatter(x=[d["day"] for d in days], y=[d["closed"] for d in days], name="closed")],
                        layout=dict(title="Trend per day", xaxis=dict(type="category"), **layout))
    elif name == "hours":
        fig = go.Figure(go.Bar(x=list(range(24)), y=stats["trend"]["hours"]),
                        layout=dict(title="Reports per hour", **layout))
    elif name == "channels":
        c = stats["channels"]
        fig = go.Figure(go.Pie(labels=list(c), values=list(c.values()), hole=0.5),
                        layout=dict(title="Sources", **layout))
    elif name == "categories":
        c = dict(sorted(stats["categories"].items(), key=lambda kv: -kv[1])[:10])
        fig = go.Figure(go.Bar(x=list(c.values()), y=[(labels or {}).get(k, k) for k in c], orientation="h"),
                        layout=dict(title="Top classes", yaxis=dict(type="category", autorange="reversed"),
                                    **layout))
    elif name == "kpis":
        k = {key: v for key, v in stats["kpis"].items() if v is not None}
        fig = go.Figure(go.Bar(x=list(k), y=list(k.values())),
                        layout=dict(title="KPIs (%)", yaxis=dict(range=[0, 100]), **layout))
    elif name == "grades":
        rows = [(p["name"], p["score"]) for kind in ("grid_workers", "dispatchers", "departments")
                for p in (posts or {}).get(kind, []) if p["score"] is not None]
        fig = go.Figure(go.Bar(x=[r[0] for r in rows], y=[r[1] for r in rows]),
                        layout=dict(title="Performance (0-100)", yaxis=dict(range=[0, 100]), **layout))
    else:
        raise KeyError(name)
    if not any(len(t.y if t.type == "bar" or t.type == "scatter" else t.values or ()) for t in fig.data):
        fig.add_annotation(text="no data yet", showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5,
                           font=dict(color="#5b7186"))
    return json.loads(fig.to_json())


def _map(go, layout: dict, grids: dict[str, Any] | None, events: list[dict[str, Any]]):
    """Grid outlines as one line trace (rings separated by gaps) and the events as one point trace coloured
    by their countdown light; plain lon/lat axes (no tiles: the hall has no internet), equal ground scale."""
    xs: list[float | None] = []
    ys: list[float | None] = []
    for feature in (grids or {}).get("features", []):
        geom = feature.get("geometry") or {}
        polygons = ([geom.get("coordinates", [])] if geom.get("type") == "Polygon"
                    else geom.get("coordinates", []) if geom.get("type") == "MultiPolygon" else [])
        for polygon in polygons:
            for ring in polygon:
                xs += [round(p[0], 6) for p in ring] + [None]
                ys += [round(p[1], 6) for p in ring] + [None]
    placed = [e for e in events if e.get("lat") is not None and e.get("lon") is not None]
    lights = [(e.get("countdown") or {}).get("light") for e in placed]
    traces = [
        go.Scatter(x=xs, y=ys, mode="lines", name="grids", hoverinfo="skip",
                   line=dict(color="#3f6a8f", width=1)),
        go.Scatter(x=[round(e["lon"], 5) for e in placed], y=[round(e["lat"], 5) for e in placed], mode="markers",
                   name="open events", text=[e.get("id", "") for e in placed], hoverinfo="text",
                   marker=dict(size=9, color=[LIGHT_COLOURS.get(light, LIGHT_COLOURS[None]) for light in lights],
                               line=dict(color="#0b141d", width=1))),
    ]
    lats = [y for y in ys if y is not None] + [e["lat"] for e in placed]
    mid_lat = (min(lats) + max(lats)) / 2 if lats else 0.0
    axis = dict(showgrid=False, zeroline=False, showticklabels=False)
    return go.Figure(traces, layout=dict(
        title=f"Open events ({len(placed)})", showlegend=False, xaxis=axis,
        # one degree of latitude is 1/cos(lat) degrees of longitude long on the ground
        yaxis=dict(scaleanchor="x", scaleratio=1 / math.cos(math.radians(mid_lat)), **axis), **layout))
