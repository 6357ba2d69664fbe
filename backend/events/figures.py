"""Plotly figure JSON for the wall's event panels, from the statistics and, for the map, the grids and the
open events (template "none": small)."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

from .vocab import Channel, EventState

FIGURES = ("states", "trend", "hours", "channels", "categories", "kpis", "grades", "map")

# The countdown lights as the wall shows them; an open event without a running clock is grey.
LIGHT_COLOURS = {"green": "#3fb950", "yellow": "#e3b341", "red": "#f85149", None: "#8b949e"}
MAP_EVENTS = 500  # the newest open events the map shows (older ones stay in the lists)
# The KPIs as people say them (kpi.kpis' keys), in %.
KPI_LABELS = {"closure_rate": "Closure", "on_time_closure_rate": "On-time closure", "handling_rate": "Handling",
              "on_time_handling_rate": "On-time handling", "rework_rate": "Rework",
              "postponement_rate": "Postponement", "overdue_pending_rate": "Overdue pending",
              "registration_rate": "Registration", "accurate_dispatch_rate": "Accurate dispatch"}
GRADE_COLOURS = {"A": "#3fb950", "B": "#7ee787", "C": "#e3b341", "D": "#f0883e", "E": "#f85149", None: "#8b949e"}
# Distinct on the dark wall, one per series (states, types): Okabe-Ito's palette, brightened.
SERIES = ("#56b4e9", "#e69f00", "#009e73", "#f0e442", "#cc79a7", "#d55e00", "#0072b2", "#bbbbbb")


def state_label(value: str) -> str:
    try:
        return EventState(value).label
    except ValueError:
        return value.replace("_", " ")


def channel_label(value: str) -> str:
    try:
        return Channel(value).label
    except ValueError:
        return value.replace("_", " ")


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
        fig = go.Figure(go.Bar(x=[state_label(k) for k in s], y=list(s.values())),
                        layout=dict(title="Events by state", **layout))
    elif name == "trend":
        days = stats["trend"]["days"]
        fig = go.Figure([go.Scatter(x=[d["day"] for d in days], y=[d["reported"] for d in days], name="Reported"),
                         go.Scatter(x=[d["day"] for d in days], y=[d["closed"] for d in days], name="Closed")],
                        layout=dict(title="Trend per day", xaxis=dict(type="category"), **layout))
    elif name == "hours":
        fig = go.Figure(go.Bar(x=list(range(24)), y=stats["trend"]["hours"]),
                        layout=dict(title="Reports per hour", **layout))
    elif name == "channels":
        c = stats["channels"]
        fig = go.Figure(go.Pie(labels=[channel_label(k) for k in c], values=list(c.values()), hole=0.5),
                        layout=dict(title="Sources", **layout))
    elif name == "categories":
        c = dict(sorted(stats["categories"].items(), key=lambda kv: -kv[1])[:10])
        fig = go.Figure(go.Bar(x=list(c.values()), y=[(labels or {}).get(k, k) for k in c], orientation="h"),
                        layout=dict(title="Top classes", yaxis=dict(type="category", autorange="reversed"),
                                    **layout))
    elif name == "kpis":
        k = {KPI_LABELS.get(key, key): v for key, v in stats["kpis"].items() if v is not None}
        fig = go.Figure(go.Bar(x=list(k), y=list(k.values())),
                        layout=dict(title="KPIs (%)", yaxis=dict(range=[0, 100]), **layout))
    elif name == "grades":
        rows = [(p.get("display_name") or p["name"], p["score"]) for kind in ("grid_workers", "dispatchers",
                                                                             "departments")
                for p in (posts or {}).get(kind, []) if p["score"] is not None]
        fig = go.Figure(go.Bar(x=[r[0] for r in rows], y=[r[1] for r in rows]),
                        layout=dict(title="Performance (0-100)", yaxis=dict(range=[0, 100]), **layout))
    else:
        raise KeyError(name)
    if not any(len(t.y if t.type == "bar" or t.type == "scatter" else t.values or ()) for t in fig.data):
        fig.add_annotation(text="no data yet", showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5,
                           font=dict(color="#5b7186"))
    return json.loads(fig.to_json())


async def made(svc: Any, name: str, reader: Any, days: Sequence[Any]) -> dict:
    """One figure of the hall's events (`svc`: the EventService) as `reader` (an Identity, a role or None) may see
    them, over `days` (the map: the open events now): the REST route's and the wall panels' one way."""
    return (await made_all(svc, [name], reader, days))[name]


async def made_all(svc: Any, names: Sequence[str], reader: Any, days: Sequence[Any]) -> dict[str, dict]:
    """Several figures at once: the statistics read once, the figures made together in one thread."""
    import asyncio
    import time

    from .schemas import EventsQuery

    views: list[dict[str, Any]] = []
    if "map" in names:
        ident = reader if not isinstance(reader, str) else None
        evs, _ = await svc.list(EventsQuery(open=True, limit=MAP_EVENTS), ident)  # the newest open ones
        now = time.time()
        views = [svc.view(e, reader, now) for e in evs]
    charts = [n for n in names if n != "map"]
    st = await svc.stats(list(days), reader) if charts else None
    posts = await svc.posts(list(days)) if "grades" in charts else None
    labels = {code: c.name for code, c in svc.taxonomy.categories.items()} if "categories" in charts else None

    def make() -> dict[str, dict]:
        return {n: figure("map", grids=svc.ecfg.grids_geojson, events=views) if n == "map"
                else figure(n, st, posts, labels=labels) for n in names}

    return await asyncio.to_thread(make)


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


# -- the wall dashboards' charts: labelled data in, Plotly JSON out (plain dicts: small and cheap, no plotly.py);
# the kiosk sizes every text from the screen's pixel pitch, so none is set here. -----------------------------
def _layout(title: str | None, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"template": "none", "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)",
                           "font": {"color": "#e6edf3"}, "showlegend": False, "margin": {"l": 10, "r": 10, "t": 10,
                                                                                         "b": 10}}
    if title:
        out["title"] = {"text": title, "x": 0, "xanchor": "left"}
    out.update(extra)
    return out


def _axis(**extra: Any) -> dict[str, Any]:
    return {"automargin": True, "gridcolor": "#30363d", "zerolinecolor": "#484f58", "linecolor": "#484f58",
            **extra}


def bars(labels: Sequence[str], values: Sequence[float | int | None], *, title: str | None = None,
         colours: Sequence[str] | str = SERIES[0], texts: Sequence[str] | None = None,
         value_range: tuple[float, float] | None = None) -> dict[str, Any]:
    """Horizontal bars, the first label on top, each with its value written beside it (nothing hover-only)."""
    shown = [v if v is not None else 0 for v in values]
    trace = {"type": "bar", "orientation": "h", "y": list(labels), "x": shown, "marker": {"color": colours},
             "text": list(texts) if texts is not None else [_num(v) for v in values], "textposition": "outside",
             "cliponaxis": False, "hoverinfo": "skip"}
    xaxis = _axis(showgrid=True, rangemode="tozero")
    if value_range is not None:
        xaxis["range"] = list(value_range)
    return {"data": [trace], "layout": _layout(title, xaxis=xaxis, bargap=0.25,
                                                yaxis=_axis(type="category", autorange="reversed", showgrid=False))}


def lines(x: Sequence[str], series: Sequence[tuple[str, Sequence[float | int | None], str, str]], *,
          title: str | None = None) -> dict[str, Any]:
    """Lines over days or hours: (name, values, colour, dash) each, named in a legend above the plot."""
    data = [{"type": "scatter", "mode": "lines+markers", "name": name, "x": list(x), "y": list(ys),
             "line": {"color": colour, "width": 4, "dash": dash}, "marker": {"size": 8}, "hoverinfo": "skip"}
            for name, ys, colour, dash in series]
    return {"data": data, "layout": _layout(title, showlegend=True, legend={"orientation": "h", "x": 0, "y": 1.02,
                                                                            "yanchor": "bottom"},
                                            xaxis=_axis(type="category", showgrid=False, nticks=8),
                                            yaxis=_axis(rangemode="tozero"))}


def stacked(categories: Sequence[str], series: Sequence[tuple[str, Sequence[int]]], *,
            title: str | None = None) -> dict[str, Any]:
    """Horizontal bars of categories (e.g. states), stacked by series (e.g. dispute types) with a legend."""
    data = [{"type": "bar", "orientation": "h", "name": name, "y": list(categories), "x": list(values),
             "marker": {"color": SERIES[k % len(SERIES)]}, "hoverinfo": "skip"}
            for k, (name, values) in enumerate(series)]
    return {"data": data, "layout": _layout(title, barmode="stack", showlegend=True,
                                            legend={"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
                                            xaxis=_axis(rangemode="tozero", dtick=1 if _top(series) <= 8 else None),
                                            yaxis=_axis(type="category", autorange="reversed", showgrid=False))}


def _top(series: Sequence[tuple[str, Sequence[int]]]) -> int:
    totals = [sum(vals) for vals in zip(*(v for _, v in series), strict=False)] if series else []
    return max(totals, default=0)


def _num(v: float | int | None) -> str:
    if v is None:
        return "–"
    return f"{v:g}" if isinstance(v, float) else str(v)
