"""Performance assessment: each grid worker's and each department's day, by display name, in rankings of their
own (handled, on time, rework or missed reports, the composite score with its A-E grade), and today's patrol
coverage of each grid from the workers' tracks."""

from __future__ import annotations

from typing import Any

from ..events.figures import GRADE_COLOURS
from ..events.kpi import grade, rate
from .context import Sources
from .parts import figure, share_tone, squares, table

SCORE = {"id": "score", "label": "Score", "bar": 100}


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{v:.0f}%"


def _score(p: dict[str, Any]) -> dict[str, Any]:
    return {"score": "–" if p["score"] is None else f"{p['score']:.0f}"}


def _row(name: str, values: dict[str, str], p: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "values": {**values, **_score(p)}, "bars": {"score": (p["score"] or 0) / 100},
            "grade": p["grade"], "colour": GRADE_COLOURS.get(p["grade"])}


def _ranked(posts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(posts, key=lambda p: (p["score"] is None, -(p["score"] or 0), p.get("display_name") or p["name"]))


def _mean(scores: list[float]) -> float | None:
    return round(sum(scores) / len(scores), 1) if scores else None


async def build(src: Sources) -> dict[str, Any]:
    today = src.today()
    posts = await src.events.posts([today])
    people = await src.workers.people()
    workers = []
    for p in _ranked(posts["grid_workers"]):
        c = p["counts"]
        handled = c.get("verifications", 0) + c.get("checks", 0)
        on_time = rate(c.get("verified_on_time", 0) + c.get("checked_on_time", 0), handled)
        workers.append(_row(people.get(p["name"]) or p.get("display_name") or p["name"],
                            {"handled": str(handled), "on_time": _pct(on_time), "missed": str(c.get("missed", 0))}, p))
    departments = []
    for p in _ranked(posts["departments"]):
        c = p["counts"]
        values = {"handled": str(c.get("handled", 0)), "on_time": _pct(p["components"]["on_time_handling"]),
                  "rework": str(c.get("reworked", 0))}
        departments.append(_row(p.get("display_name") or p["name"], values, p))
    shares = await src.patrol.shares(today)
    grid_names = {g.id: g.name for g in src.events.grids.grids}
    cover = [{"id": g, "label": grid_names.get(g, g), "share": round(n / total, 3), "text": f"{100 * n / total:.0f}%",
              "tone": share_tone(n / total, 0.6, 0.3)} for g, (n, total) in shares.items()]
    mean_cover = 100 * sum(i["share"] for i in cover) / len(cover) if cover else None
    w_scores = [p["score"] for p in posts["grid_workers"] if p["score"] is not None]
    d_scores = [p["score"] for p in posts["departments"] if p["score"] is not None]
    w_mean, d_mean = _mean(w_scores), _mean(d_scores)
    quiet = len(people) - len(workers)
    return {
        "figures": [
            figure("workers_scored", "Grid workers scored today", len(w_scores), note=f"of {len(people)}"),
            figure("workers_mean", "Grid workers' mean score", w_mean, digits=0,
                   note=f"grade {grade(w_mean)}" if w_mean is not None else "no score yet"),
            figure("departments_mean", "Departments' mean score", d_mean, digits=0,
                   note=f"grade {grade(d_mean)}" if d_mean is not None else "no score yet"),
            figure("coverage", "Patrol coverage today", mean_cover, unit="%", digits=0,
                   tone=share_tone(None if mean_cover is None else mean_cover / 100, 0.6, 0.3),
                   note="mean of the grids"),
        ],
        "tiles": [
            table("workers", "Grid workers today",
                  [{"id": "handled", "label": "Site checks"}, {"id": "on_time", "label": "On time"},
                   {"id": "missed", "label": "Missed"}, SCORE], workers,
                  empty="no grid worker has work counted today yet",
                  note=(f"{quiet} more with nothing counted yet today; " if quiet > 0 else "")
                  + "missed: matters in their grids the public reported first"),
            table("departments", "Departments today",
                  [{"id": "handled", "label": "Handled"}, {"id": "on_time", "label": "On time"},
                   {"id": "rework", "label": "Rework"}, SCORE], departments,
                  empty="no department has work counted today yet"),
            squares("coverage", "Patrol coverage of each grid today", cover,
                    note=f"share of each grid's {src.dcfg.patrol_cell_m:g} m squares a worker's track passed through"),
        ],
    }
