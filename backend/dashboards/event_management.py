"""Event management: reported today and this week, each state and source in the hall's words, the completion
rate, the trend over days and hours, the high-frequency reporters, where events happen, the newest events."""

from __future__ import annotations

from collections import Counter
from typing import Any

from .. import keys
from ..events.figures import SERIES, bars, channel_label, lines, state_label
from ..events.schemas import EventsQuery
from ..events.vocab import OPEN, EventState
from .context import WALL_ROLE, Sources
from .parts import chart, event_row, figure, map_tile, rows, share_tone

HISTORY_DAYS = 28  # the hours of today against the same hours of the four weeks before
HEAT_SQUARE_DEG = 0.001  # the heat map's points are summed in squares of about 100 m


async def build(src: Sources) -> dict[str, Any]:
    ev, d = src.events, src.dcfg
    today = src.today()
    week = ev.period_days("week", now=src.now())
    st_today, st_week = await ev.stats([today], WALL_ROLE), await ev.stats(week, WALL_ROLE)
    days = src.days_before(max(d.trend_days, HISTORY_DAYS + 1))
    _, _, per_day = await ev.store.sums(days)
    states_now = await ev.store.states_now()
    open_now = sum(n for s, n in states_now.items() if s in OPEN)
    _, overdue = await ev.store.query([keys.events_by("open", "true"), keys.events_by("overdue", "true")], None,
                                      None, None, 0, 0)
    closure = st_week["kpis"]["closure_rate"]

    figures = [
        figure("reported_today", "Reported today", st_today["total"]),
        figure("reported_week", "Reported this week", st_week["total"]),
        figure("open_now", "Open now", open_now),
        figure("overdue_now", "Overdue now", overdue, tone="bad" if overdue else "good"),
        figure("completion_rate", "Completion rate this week", closure, unit="%", digits=1,
               tone=share_tone(closure, 90, 75), note="closed of those due to close"),
    ]

    loop_order = [s.value for s in EventState if s.value in states_now and s in OPEN]
    states = bars([state_label(s) for s in loop_order], [states_now[s] for s in loop_order])
    channels = st_week["channels"]
    sources = bars([channel_label(c) for c in channels], list(channels.values()),
                   colours=[SERIES[k % len(SERIES)] for k in range(len(channels))])
    recent = per_day[-d.trend_days:]
    trend = lines([day.strftime("%m-%d") for day in days[-d.trend_days:]],
                  [("Reported", [r.get("reported", 0) for r in recent], SERIES[0], "solid"),
                   ("Closed", [r.get("closed", 0) for r in recent], SERIES[2], "solid")])
    before = per_day[-HISTORY_DAYS - 1:-1]
    mean = [round(sum(r.get(f"hour:{h:02d}", 0) for r in before) / max(1, len(before)), 1) for h in range(24)]
    now_hour = int(src.clock.hm(src.now())[:2])
    hours = lines([f"{h:02d}" for h in range(24)],
                  [("Today", [per_day[-1].get(f"hour:{h:02d}", 0) if h <= now_hour else None for h in range(24)],
                    SERIES[1], "solid"),
                   (f"Mean of the {len(before)} days before", mean, "#8b949e", "dot")])
    names = await ev.statistics.display_names([r["reporter"] for r in st_week["top_reporters"]
                                               if not r["resident"]])
    reporters = [{"text": r["reporter"] if r["resident"] else names.get(r["reporter"], r["reporter"]),
                  "sub": "resident" if r["resident"] else "staff", "when": f"{r['reports']} reports"}
                 for r in st_week["top_reporters"][:d.reporters]]
    heat = await src.map.heat(src.now() - d.heat_days * 86_400, src.now())
    newest, _ = await ev.list(EventsQuery(limit=d.newest), None)
    now = src.now()
    return {
        "figures": figures,
        "tiles": [
            chart("states", "Open events by state", states),
            chart("sources", "Where this week's reports came from", sources),
            chart("trend_days", f"Reported and closed, last {d.trend_days} days", trend),
            chart("trend_hours", "Reports per hour today", hours),
            map_tile("heat", f"Where events were reported, last {d.heat_days} days", heat=_squares(heat["points"]),
                     total=heat["total"]),
            rows("reporters", "Frequent reporters this week", reporters, empty="no reports this week"),
            rows("newest", "Newest events",
                 [event_row(e, ev.rules, src.clock, ev.place_of(e.lat, e.lon) if ev.place_of else None, now)
                  for e in newest], empty="no events yet", scroll=True),
        ],
    }


def _squares(points: list[list[float]]) -> list[list[float]]:
    """[lon, lat] points summed into squares: [lon, lat, how many] (a week of reports in a few hundred points)."""
    c = Counter((round(p[0] / HEAT_SQUARE_DEG), round(p[1] / HEAT_SQUARE_DEG)) for p in points)
    return [[round(x * HEAT_SQUARE_DEG, 4), round(y * HEAT_SQUARE_DEG, 4), n] for (x, y), n in c.items()]
