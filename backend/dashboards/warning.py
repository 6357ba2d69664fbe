"""Analysis and early warning: today against the same part of earlier days, the classes rising unusually (by the
explained rule of rising.py), overdue and soon-due events, and the hazard warnings other systems sent."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from .. import keys
from ..events import workflow as wf
from .context import Sources
from .parts import event_row, figure, rows
from .rising import rising_classes, spread

SOON_READ = 2_000  # events with a running deadline read at most to find the soon-due ones


async def build(src: Sources) -> dict[str, Any]:
    ev, w = src.events, src.dcfg.warning
    now, today = src.now(), src.today()
    start = ev.statistics.day_start(today)
    elapsed = now - start
    earlier = [today - timedelta(days=k) for k in range(1, w.weeks * 7 + 1)]
    spans = [(start, now)] + [(ev.statistics.day_start(d), ev.statistics.day_start(d) + elapsed) for d in earlier]
    cats = ev.taxonomy.categories
    codes = sorted({c[:2] for c in cats} if w.classes == "major" else set(cats))
    names = {code: c.name for code, c in cats.items()} | {c.code: c.name for c in ev.ecfg.taxonomy}
    totals, per_class = await ev.statistics.reported_in(spans, codes)
    by = f"by {src.clock.hm(now)}"
    judged = rising_classes({c: n[0] for c, n in per_class.items() if n[0]}, {c: n[1:] for c, n in per_class.items()},
                            names, deviations=w.deviations, min_count=w.min_count, by=by)
    rising = [j for j in judged if j.rising]
    last_week = totals[7] if len(totals) > 7 else None
    mean, sd = spread(totals[1:])
    change = round(100 * (totals[0] - last_week) / last_week, 1) if last_week else None

    overdue_ids, overdue = await ev.store.query([keys.events_by("open", "true"), keys.events_by("overdue", "true")],
                                                None, None, None, 0, w.listed)
    running = await ev.redis.zrangebyscore(keys.EVENTS_DUE, now, "+inf", start=0, num=SOON_READ)
    soon = []
    for e in await ev.store.get_many(running):
        cd = wf.countdown(e, ev.rules, now)
        if cd and cd["light"] == "yellow" and not e.overdue:
            soon.append((cd["due_at"] or "", e))
    soon.sort(key=lambda x: x[0])
    place = (lambda e: ev.place_of(e.lat, e.lon)) if ev.place_of else (lambda e: None)
    late = [event_row(e, ev.rules, src.clock, place(e), now, due=True) for e in await ev.store.get_many(overdue_ids)]
    near = [event_row(e, ev.rules, src.clock, place(e), now, due=True) for _, e in soon[:w.listed]]
    hazards = await _hazards(src, now)
    worst = max(hazards, key=lambda h: h["rank"], default=None)
    return {
        "figures": [
            figure("today", f"Reported today {by}", totals[0],
                   note=f"same time last week {last_week}" if last_week is not None else None),
            figure("change", "Against last week", change, unit="%", digits=1,
                   tone=None if change is None else "warn" if change > 30 else None,
                   note=f"{w.weeks}-week mean {mean:.1f} ± {sd:.1f}"),
            figure("rising", "Classes rising", len(rising), tone="bad" if rising else "good"),
            figure("overdue", "Overdue", overdue, tone="bad" if overdue else "good"),
            figure("soon_due", "Soon due", len(soon), tone="warn" if soon else "good"),
            figure("hazard", "Hazard warning", None if worst is None else worst["level"],
                   tone=None if worst is None else worst["tone"], note=worst["name"] if worst else "none in force"),
        ],
        "tiles": [
            rows("rising", "Classes rising unusually",
                 [{"text": f"{j.name}: {j.today} {by}", "sub": j.reason, "tone": "bad"} for j in rising[:w.listed]],
                 empty=f"none: no class is above mean + {w.deviations:g} sd of its last {w.weeks * 7} days {by}",
                 note=f"rule: today's count {by} against the same hours of each of the last {w.weeks * 7} days; "
                      f"rising above mean + {w.deviations:g} standard deviations and at least {w.min_count}"),
            rows("overdue", f"Overdue ({overdue})", late, empty="none overdue"),
            rows("soon_due", f"Soon due ({len(soon)})", near, empty="none soon due"),
            rows("hazards", "Warnings from other systems",
                 [{"text": h["line"], "sub": h["sub"], "tone": h["tone"], "when": h["when"]} for h in hazards],
                 empty="no warning in force"),
        ],
    }


async def _hazards(src: Sources, now: float) -> list[dict[str, Any]]:
    """The warnings in force: connectors with an alert whose level field holds one of its levels."""
    out = []
    if src.connectors is None:
        return out
    for c in await src.connectors.states(now):
        alert = c.get("alert")
        if not alert:
            continue
        levels = alert["levels"]
        top = alert["rank"] == len(levels) - 1
        sub = f"{c['name']} · {alert['level']}" + (f" · {c['error']}" if c.get("error") else "")
        out.append({"name": c["name"], "level": alert["level"], "rank": alert["rank"], "line": c["line"],
                    "sub": sub, "tone": "bad" if top else "warn", "when": src.clock.when(c["at"], now)})
    return sorted(out, key=lambda h: -h["rank"])
