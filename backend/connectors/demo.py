"""`hall demo`'s other systems: a weather bureau, a traffic control centre and a news desk answering JSON at
/demo/feeds/ (what the demo's connectors poll), and a geological-hazard service posting its warnings to the
hazard connector's webhook now and then (an orange one sets the demo's alarm rule off), so the ticker is alive."""

from __future__ import annotations

import asyncio
import logging
import math
import random
import time
from typing import Any

import aiohttp
from aiohttp import web

from ..config import HallConfig

log = logging.getLogger("hall.connectors.demo")

FEEDS = "/demo/feeds/"
WEATHER = ("Sunny", "Partly cloudy", "Cloudy", "Light rain", "Showers", "Overcast", "Haze")
ROADS = ("Century Ave", "Harmony Rd", "Riverside Rd", "East ring", "Jingshi Rd", "Station Rd")
NEWS = (("District news", "Riverside flood barriers inspected ahead of the rainy season"),
        ("District news", "Night market on Harmony Rd opens this weekend"),
        ("Traffic police", "Century Ave resurfacing: one lane closed 22:00-05:00"),
        ("Health bureau", "Free health checks for residents over 65 at the community centres"),
        ("District news", "Wetland park east entrance reopens after repairs"),
        ("Water company", "Planned water cut, Sunshine community buildings 3-9, Thursday 09:00-13:00"))
HAZARD_LEVELS = ("none", "blue", "yellow", "orange", "none", "blue", "none", "yellow")
HAZARD_TEXT = {"blue": "soil moisture rising on the north slope", "yellow": "slope movement possible after rain",
               "orange": "landslide risk: keep people away from the slope", "none": "no warning in force"}
HAZARD_EVERY_S = 240.0


def _slot(seconds: float) -> int:
    return int(time.time() // seconds)


def weather() -> dict[str, Any]:
    hour = time.localtime().tm_hour + time.localtime().tm_min / 60
    rng = random.Random(_slot(600))
    temp = 18 + 7 * math.sin((hour - 9) / 24 * 2 * math.pi) + rng.uniform(-0.6, 0.6)
    text = WEATHER[rng.randrange(len(WEATHER))]
    return {"now": {"text": text, "temp_c": round(temp, 1), "wind_kph": rng.randint(4, 28)},
            "today": {"rain_mm": round(rng.uniform(0, 12), 1) if "rain" in text.lower() or "shower" in text.lower()
                      else 0}}


def traffic() -> dict[str, Any]:
    rng = random.Random(_slot(60))
    index = round(rng.uniform(1.2, 7.8), 1)
    level = "smooth" if index < 3 else "slow" if index < 5.5 else "congested"
    roads = sorted(({"name": r, "speed_kph": rng.randint(8, 55)} for r in ROADS), key=lambda r: r["speed_kph"])
    return {"congestion": {"index": index, "level": level, "roads": roads}}


def news() -> dict[str, Any]:
    k = _slot(180) % len(NEWS)
    items = [NEWS[(k + i) % len(NEWS)] for i in range(3)]
    return {"items": [{"source": s, "title": t} for s, t in items]}


def add_feeds(app: web.Application) -> None:
    """The demo's stand-ins for other systems, on the hall's own server (before it starts)."""
    feeds = {"weather.json": weather, "traffic.json": traffic, "news.json": news}

    async def feed(request: web.Request) -> web.Response:
        make = feeds.get(request.match_info["name"])
        if make is None:
            raise web.HTTPNotFound(text="no such demo feed")
        return web.json_response(make(), headers={"Cache-Control": "no-store"})

    app.router.add_get(FEEDS + "{name}", feed)


class HazardDemo:
    """Posts a hazard warning to the hazard connector's webhook every few minutes (the levels in turn, for a grid
    of the district), as the hazard service of the district would."""

    def __init__(self, base_url: str, cfg: HallConfig, connector: str = "hazard") -> None:
        self.url = f"{base_url.rstrip('/')}/api/connectors/{connector}/webhook"
        c = next((c for c in cfg.connectors if c.id == connector), None)
        self.token = c.webhook.secret() if c is not None and c.webhook is not None else None
        grids = (cfg.events.grids_geojson or {}).get("features", [])
        self.areas = [f["properties"]["id"] for f in grids] or ["district"]

    async def run(self) -> None:
        if self.token is None:
            return
        rng = random.Random()
        turn = 0
        async with aiohttp.ClientSession() as session:
            while True:
                level = HAZARD_LEVELS[turn % len(HAZARD_LEVELS)]
                body = {"warning": {"level": level, "area": rng.choice(self.areas), "text": HAZARD_TEXT[level]}}
                try:
                    async with session.post(self.url, json=body, headers={"Authorization": f"Bearer {self.token}"},
                                            timeout=aiohttp.ClientTimeout(total=10)) as resp:
                        if resp.status != 200:
                            log.warning("demo hazard warning refused", extra={"status": resp.status})
                except (aiohttp.ClientError, TimeoutError) as exc:
                    log.warning("demo hazard warning not sent", extra={"error": str(exc)})
                turn += 1
                await asyncio.sleep(HAZARD_EVERY_S)
