"""The map's REST API: the district's layers and settings, what is inside an area around an event, the
address of a point, the events' heat map and the grid workers' last positions."""

from __future__ import annotations

import time
from typing import Annotated

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from .. import appkeys, roles
from ..auth import Identity
from ..errors import Invalid, NotFound
from ..gis.area import area_report
from ..gis.district import LAYER_NAMES, distance_m
from ..gis.index import Box, Circle, Shape
from ..gis.service import MapService
from . import api

TAG = "map"
MAX_BOX_M = 20_000.0
MAX_RADIUS_M = 10_000.0
DAY = 86_400.0

Lat = Annotated[float, Field(ge=-85, le=85)]
Lon = Annotated[float, Field(ge=-180, le=180)]


class _Q(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PeriodQ(_Q):
    since: str | None = Field(None, description="ISO date or date-time (local time if no offset); default: "
                                                "gis.heat_days before until")
    until: str | None = Field(None, description="ISO date or date-time; default: now")


class AreaQuery(PeriodQ):
    w: Lon | None = Field(None, description="box: west longitude (with s, e, n)")
    s: Lat | None = None
    e: Lon | None = None
    n: Lat | None = None
    lat: Lat | None = Field(None, description="circle: centre latitude (with lon, radius_m)")
    lon: Lon | None = None
    radius_m: Annotated[float | None, Field(gt=0, le=MAX_RADIUS_M)] = None
    exclude: Annotated[str | None, Field(pattern=r"^[A-Za-z0-9_.:-]{1,64}$",
                                         description="an event left out of the earlier events (the one asked "
                                                     "about)")] = None
    limit: Annotated[int | None, Field(ge=1, le=2000, description="most items per list; default gis.area_limit")] = None


class PlaceQuery(_Q):
    lat: Lat
    lon: Lon


def _svc(request: web.Request) -> MapService:
    return request.app[appkeys.MAP]


def _period(request: web.Request, q: PeriodQ) -> tuple[float, float]:
    events = request.app[appkeys.EVENTS]
    until = events.parse_time(q.until, "until", end=True) if q.until else time.time()
    since = events.parse_time(q.since, "since") if q.since else until - _svc(request).cfg.gis.heat_days * DAY
    if since > until:
        raise Invalid("bad period", errors=[{"path": "since", "message": "must not be after until"}])
    if until - since > 366 * DAY:
        raise Invalid("period too long", errors=[{"path": "since", "message": "at most 366 days before until"}])
    return since, until


def _shape(q: AreaQuery) -> Shape:
    box = {"w": q.w, "s": q.s, "e": q.e, "n": q.n}
    circle = {"lat": q.lat, "lon": q.lon, "radius_m": q.radius_m}
    if any(v is not None for v in box.values()):
        if any(v is not None for v in circle.values()):
            raise Invalid("box or radius", errors=[{"path": "radius_m", "message": "give a box (w, s, e, n) or "
                                                    "a circle (lat, lon, radius_m), not both"}])
        missing = [k for k, v in box.items() if v is None]
        if missing:
            raise Invalid("incomplete box", errors=[{"path": k, "message": "a box needs w, s, e and n"}
                                                    for k in missing])
        shape = Box(q.w, q.s, q.e, q.n)  # type: ignore[arg-type]
        if shape.w >= shape.e:
            raise Invalid("bad box", errors=[{"path": "e", "message": "must be east of w"}])
        if shape.s >= shape.n:
            raise Invalid("bad box", errors=[{"path": "n", "message": "must be north of s"}])
        side = max(distance_m(shape.s, shape.w, shape.s, shape.e), distance_m(shape.s, shape.w, shape.n, shape.w))
        if side > MAX_BOX_M:
            raise Invalid("box too large", errors=[{"path": "e", "message": f"a box of at most "
                                                    f"{MAX_BOX_M / 1000:g} km a side"}])
        return shape
    missing = [k for k, v in circle.items() if v is None]
    if missing:
        raise Invalid("no area", errors=[{"path": k, "message": "give a box (w, s, e, n) or a circle (lat, lon, "
                                                                "radius_m)"} for k in missing])
    return Circle(q.lat, q.lon, q.radius_m)  # type: ignore[arg-type]


@api.route("GET", "/api/gis/map", summary="The district's map: bounds, base tiles, 3D pilot street, layers, legends",
           roles=roles.ANY_USER, tag=TAG)
async def map_settings(request: web.Request, ident: Identity) -> dict:
    return _svc(request).district.settings()


@api.route("GET", "/api/gis/layers/{name}", summary="One layer of the map (GeoJSON FeatureCollection): grids, water, "
           "areas, roads, buildings, components, places, cameras", roles=roles.ANY_USER, tag=TAG, errors=(404,))
async def layer(request: web.Request, ident: Identity) -> web.Response:
    name = request.match_info["name"]
    if name not in LAYER_NAMES:
        raise NotFound(f"no layer {name!r} (layers: {', '.join(LAYER_NAMES)})")
    body = await _svc(request).district.layer_json(name)
    return web.Response(body=body, content_type="application/geo+json",
                        headers={"Cache-Control": "private, max-age=300"})


@api.route("GET", "/api/gis/area", summary="What is inside a box or a circle: grid workers, cameras, city components "
           "(resources), residential buildings and residents, residential areas, earlier events (what it affects)",
           roles=roles.CONSOLE, query=AreaQuery, tag=TAG)
async def area(request: web.Request, ident: Identity, query: AreaQuery) -> dict:
    svc = _svc(request)
    shape = _shape(query)
    since, until = _period(request, query)
    return await area_report(svc, shape, since=since, until=until, limit=query.limit or svc.cfg.gis.area_limit,
                             show_workers=ident.role in roles.CENTRE, exclude=query.exclude, reader=ident)


@api.route("GET", "/api/gis/place", summary="The address of a point: the nearest building within "
           "gis.address_radius_m, else its grid", roles=roles.ANY_USER, query=PlaceQuery, tag=TAG)
async def place(request: web.Request, ident: Identity, query: PlaceQuery) -> dict:
    return _svc(request).finder.describe(query.lat, query.lon)


@api.route("GET", "/api/gis/heat", summary="Where events were reported in a period ([lon, lat] each): the heat map",
           roles=roles.WALL_READ, query=PeriodQ, tag=TAG)
async def heat(request: web.Request, ident: Identity, query: PeriodQ) -> dict:
    since, until = _period(request, query)
    return await _svc(request).heat(since, until)


@api.route("GET", "/api/gis/workers", summary="Grid workers' last positions (the live layer before the first "
           "workers:positions push)", roles=roles.MAP_WORKERS, tag=TAG)
async def workers(request: web.Request, ident: Identity) -> dict:
    return {"workers": await _svc(request).worker_positions()}
