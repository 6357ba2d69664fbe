"""Shared helpers of the event tests: the demo district's rules and a fresh event."""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

from PIL import Image

from backend import appkeys, keys
from backend.config import DEFAULT_CONFIG, load_config
from backend.events.calendar import WorkingCalendar
from backend.events.geo import GridIndex
from backend.events.model import Event
from backend.events.taxonomy import Taxonomy
from backend.events.workflow import Actor, Rules

CFG = load_config(DEFAULT_CONFIG)
TZ = ZoneInfo("Asia/Shanghai")


def rules() -> Rules:
    grids = GridIndex.from_geojson(CFG.events.grids_geojson)
    return Rules(CFG.events, WorkingCalendar(CFG.events.calendar, "Asia/Shanghai"), Taxonomy(CFG.events),
                 {g.id: g.worker for g in grids.grids if g.worker})


def at(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> float:
    """Epoch seconds of a local (Asia/Shanghai) time."""
    return datetime(y, mo, d, h, mi, tzinfo=TZ).timestamp()


def event(state: str = "reported", channel: str = "resident", category: str | None = "0101", **kw) -> Event:
    now = kw.pop("now", at(2025, 6, 2, 9, 0))  # a Monday
    return Event(id="ev-test", state=state, channel=channel, category=category, description="x",
                 reporter=kw.pop("reporter", "integration"), reporter_role="integration", reported_at=now,
                 updated_at=now, grid=kw.pop("grid", "g01"), community=kw.pop("community", "c-harmony"),
                 street=kw.pop("street", "s-west"), **kw)


OPERATOR = Actor("operator1", "operator")
COMMANDER = Actor("commander1", "commander")
WORKER = Actor("worker1", "worker")
DEPT = Actor("dept1", "department", frozenset({"sanitation", "street-west", "water", "urban-mgmt",
                                               "traffic-police", "street-east"}))
ADMIN = Actor("admin", "admin")


def image(kind: str = "JPEG", colour: tuple[int, int, int] = (200, 80, 40), size: tuple[int, int] = (32, 24)) -> bytes:
    """A real (small, one-colour) photo, as the photo check decodes it whole."""
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, kind)
    return buf.getvalue()


JPEG = image("JPEG")
PNG = image("PNG")


async def make_client(redis_url: str, data_dir, cfg=CFG):
    """An aiohttp test client on the real app with its data directory set (photos go there)."""
    from aiohttp.test_utils import TestClient, TestServer

    from backend.app import create_app

    app = create_app(cfg, redis_url, bootstrap_users=False)
    app[appkeys.DATA_DIR] = str(data_dir)
    client = TestClient(TestServer(app))
    await client.start_server()
    # the demo users without their Argon2 hashing (slow by design): tokens are issued directly
    redis = app[appkeys.USERS].redis
    for u in cfg.users:
        await redis.hset(keys.user(u.name), mapping={"name": u.name, "role": u.role, "password_hash": "-",
                                                         "display_name": u.display_name or u.name})
        await redis.sadd(keys.USERS, u.name)
    return client


async def tokens(client, cfg=CFG) -> dict[str, dict[str, str]]:
    """Authorization headers of every demo user, by name."""
    users = client.app[appkeys.USERS]
    out = {}
    for u in cfg.users:
        token, _, _ = await users.issue(u.name, u.role, ttl_seconds=3600)
        out[u.name] = {"Authorization": f"Bearer {token}"}
    return out


def report_body(**kw) -> dict:
    body = {"channel": "resident", "description": "garbage piled by the gate", "category": "0101",
            "lat": 36.645, "lon": 117.100, "address": "Harmony Rd 1", "contact": "138-0000-0000"}
    body.update(kw)
    return {k: v for k, v in body.items() if v is not None}
