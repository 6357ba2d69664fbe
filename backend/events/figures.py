"""Plotly figure JSON for the wall's event panels, from the statistics (template "none": small)."""

from __future__ import annotations

import json
from typing import Any

FIGURES = ("states", "trend", "hours", "channels", "categories", "kpis", "grades")


def figure(name: str, stats: dict[str, Any], posts: dict[str, Any] | None = None) -> dict:
    """One figure as Plotly JSON (data + layout); CPU work: call it in a thread."""
    import plotly.graph_objects as go  # heavy import, only where figures are made

    layout = dict(template="none", margin=dict(l=40, r=10, t=30, b=30), paper_bgcolor="rgba(0,0,0,0)",
                  plot_bgcolor="rgba(0,0,0,0)", font=dict(color="#dfe7f2"))
    if name == "states":
        s = stats["states"]
        fig = go.Figure(go.Bar(x=list(s), y=list(s.values())), layout=dict(title="Events by state", **layout))
    elif name == "trend":
        days = stats["trend"]["days"]
        fig = go.Figure([go.Scatter(x=[d["day"] for d in days], y=[d["reported"] for d in days], name="reported"),
                         go.Scatter(x=[d["day"] for d in days], y=[d["closed"] for d in days], name="closed")],
                        layout=dict(title="Trend per day", **layout))
    elif name == "hours":
        fig = go.Figure(go.Bar(x=list(range(24)), y=stats["trend"]["hours"]),
                        layout=dict(title="Reports per hour", **layout))
    elif name == "channels":
        c = stats["channels"]
        fig = go.Figure(go.Pie(labels=list(c), values=list(c.values()), hole=0.5),
                        layout=dict(title="Sources", **layout))
    elif name == "categories":
        c = dict(sorted(stats["categories"].items(), key=lambda kv: -kv[1])[:10])
        fig = go.Figure(go.Bar(x=list(c.values()), y=list(c), orientation="h"),
                        layout=dict(title="Top classes", **layout))
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
    return json.loads(fig.to_json())
