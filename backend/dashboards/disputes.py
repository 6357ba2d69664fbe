"""Dispute mediation: the disputes (the taxonomy's dispute classes, `dashboards.disputes.classes`) by state and
type, those close to their deadline, and the mediation success rate (settled of those that ended)."""

from __future__ import annotations

from typing import Any

from .. import keys
from ..events import workflow as wf
from ..events.figures import stacked, state_label
from ..events.kpi import rate
from ..events.model import Event
from ..events.vocab import OPEN, EventState
from .context import Sources
from .parts import chart, event_row, figure, rows, share_tone

MOST = 5_000  # disputes read at most (a district has tens a month)
ENDED = frozenset({EventState.CLOSED, EventState.EVALUATED, EventState.CANCELLED})


async def build(src: Sources) -> dict[str, Any]:
    ev, d = src.events, src.dcfg.disputes
    now = src.now()
    by_class = [keys.events_by("cat", c) for c in d.classes]
    open_ids, open_total = await ev.store.query([keys.events_by("open", "true")], by_class, None, None, 0, MOST)
    days = ev.period_days(d.period, now=now)
    since = ev.statistics.day_start(days[0])
    period_ids, reported = await ev.store.query([], by_class, since, None, 0, MOST)
    wanted = list(dict.fromkeys(open_ids + period_ids))
    disputes = {e.id: e for e in await ev.store.get_many(wanted)}
    in_period = [disputes[i] for i in period_ids if i in disputes]
    ended = [e for e in in_period if e.state in ENDED]
    settled = [e for e in ended if e.close_type in d.settled_close_types]
    success = rate(len(settled), len(ended))
    lights = {e.id: (wf.countdown(e, ev.rules, now) or {}) for e in disputes.values() if e.state in OPEN}
    near = sorted((e for e in disputes.values() if lights.get(e.id, {}).get("light") in ("yellow", "red")),
                  key=lambda e: lights[e.id].get("due_at") or "")
    period_word = "this week" if d.period == "week" else "this month"
    return {
        "figures": [
            figure("open", "Disputes open", open_total),
            figure("near_deadline", "Near their deadline", len(near), tone="bad" if near else "good"),
            figure("success_rate", "Mediation success", success, unit="%", digits=1,
                   tone=share_tone(success, 80, 60), note=f"{len(settled)} settled of {len(ended)} ended"),
            figure("reported", f"Reported {period_word}", reported),
        ],
        "tiles": [
            chart("by_state", f"Open or reported {period_word}: by state and type",
                  _by_state_and_type(list(disputes.values())), empty=f"no dispute open or reported {period_word}"),
            rows("near", "Near their deadline",
                 [event_row(e, ev.rules, src.clock, ev.place_of(e.lat, e.lon) if ev.place_of else None, now, due=True)
                  for e in near[:d.near_deadline]], empty="none: every dispute is within its time"),
        ],
    }


def _by_state_and_type(disputes: list[Event]) -> dict[str, Any]:
    states = [s.value for s in EventState if any(e.state == s for e in disputes)]
    types = sorted({e.category_name or "Not yet classified" for e in disputes})
    series = [(t, [sum(1 for e in disputes if e.state == s and (e.category_name or "Not yet classified") == t)
                   for s in states]) for t in types]
    return stacked([state_label(s) for s in states], series)
