"""What a dashboard is made of, as the kiosk draws it: key figures (big numbers with their labels) and tiles
(a chart, a list, a table, a map, squares), each in the hall's words; and the shared wording of an event line."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from ..events import workflow as wf
from ..events.figures import state_label
from ..events.model import Event

# Colours the wall uses for a state of things: the countdown lights (green, yellow, red), and the rest.
TONES = ("good", "warn", "bad", "info", None)


def figure(fid: str, label: str, value: float | int | str | None, *, unit: str = "", tone: str | None = None,
           note: str | None = None, digits: int = 0) -> dict[str, Any]:
    """A key figure: `text` is how it is written (a value of None reads as a dash: nothing to count yet)."""
    if value is None:
        text = "–"
    elif isinstance(value, str):
        text = value
    elif isinstance(value, float) and digits == 0:
        text = f"{round(value):,}"
    elif isinstance(value, float):
        text = f"{value:,.{digits}f}"
    else:
        text = f"{value:,}"
    return {"id": fid, "label": label, "value": value, "text": text, "unit": unit, "tone": tone, "note": note}


def chart(tid: str, title: str, fig: dict[str, Any], *, note: str | None = None,
          empty: str = "nothing to count yet") -> dict[str, Any]:
    """A Plotly figure; `empty` is written instead when it has no value above zero."""
    return {"id": tid, "kind": "chart", "title": title, "figure": fig, "note": note, "empty": empty}


def rows(tid: str, title: str, items: list[dict[str, Any]], *, empty: str, scroll: bool = False,
         note: str | None = None) -> dict[str, Any]:
    """A list: each row {text, sub?, light?, tone?, when?}; `scroll`: long lists run slowly upward."""
    return {"id": tid, "kind": "list", "title": title, "rows": items, "empty": empty, "scroll": scroll, "note": note}


def table(tid: str, title: str, columns: list[dict[str, Any]], items: list[dict[str, Any]], *, empty: str,
          note: str | None = None) -> dict[str, Any]:
    """A ranking: columns [{id, label, bar?: max}] and rows [{name, values: {id: text}, bars: {id: 0..1},
    grade?}]; rows that do not fit are shown in turns, a page at a time, with the page written beside."""
    return {"id": tid, "kind": "table", "title": title, "columns": columns, "rows": items, "empty": empty,
            "note": note}


def squares(tid: str, title: str, items: list[dict[str, Any]], *, note: str | None = None) -> dict[str, Any]:
    """Small labelled squares, each a share (0..1) with its text and tone (e.g. patrol coverage per grid)."""
    return {"id": tid, "kind": "squares", "title": title, "items": items, "note": note}


def map_tile(tid: str, title: str, **what: Any) -> dict[str, Any]:
    """The district's map: `events` / `workers` (live), `heat` ([lon, lat, weight] points)."""
    return {"id": tid, "kind": "map", "title": title, **what}


def share_tone(share: float | None, good: float, warn: float) -> str | None:
    """good at or above `good`, warn at or above `warn`, bad below; None without a share."""
    if share is None:
        return None
    return "good" if share >= good else "warn" if share >= warn else "bad"


LIGHT_TONE = {"green": "good", "yellow": "warn", "red": "bad"}


@dataclass(frozen=True)
class Clock:
    """The district's time for the wording of times on the wall."""

    tz: tzinfo

    def hm(self, ts: float) -> str:
        return datetime.fromtimestamp(ts, self.tz).strftime("%H:%M")

    def day(self, ts: float) -> str:
        return datetime.fromtimestamp(ts, self.tz).strftime("%m-%d")

    def when(self, ts: float, now: float) -> str:
        """Today's times as HH:MM, earlier ones with their date."""
        same = datetime.fromtimestamp(ts, self.tz).date() == datetime.fromtimestamp(now, self.tz).date()
        return self.hm(ts) if same else f"{self.day(ts)} {self.hm(ts)}"


def due_text(due_iso: str | None, light: str | None, now: float) -> str:
    """"due in 25 min", "overdue 2 h"."""
    if not due_iso:
        return ""
    due = datetime.fromisoformat(due_iso).timestamp()
    left = due - now
    span = abs(left)
    words = f"{round(span / 60)} min" if span < 5400 else f"{span / 3600:.0f} h" if span < 172_800 \
        else f"{span / 86400:.0f} days"
    return f"overdue {words}" if left < 0 or light == "red" else f"due in {words}"


def event_row(ev: Event, rules: wf.Rules, clock: Clock, place: str | None, now: float | None = None,
              *, due: bool = False) -> dict[str, Any]:
    """One event as a line on the wall: its light, class and place; its state, time or deadline. No personal
    data: neither the reporter nor the description."""
    now = time.time() if now is None else now
    cd = wf.countdown(ev, rules, now)
    light = cd["light"] if cd else None
    where = place or ev.address or ev.grid or "no place given"
    sub = state_label(ev.state)
    if due and cd:
        sub = f"{sub} · {due_text(cd['due_at'], light, now)}"
    return {"id": ev.id, "text": f"{ev.category_name or 'Not yet classified'} · {where}", "sub": sub,
            "light": light, "tone": LIGHT_TONE.get(light or ""), "when": clock.when(ev.reported_at, now)}
