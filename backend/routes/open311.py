"""Open311 GeoReport v2 (`/open311/v2/...`) so civic-reporting apps can file into the hall.

`api_key` is the bearer token (`hall token NAME`) of a user allowed to report. Errors follow
GeoReport: a JSON list of {code, description}, the description naming the field.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from .. import appkeys
from ..auth import Identity
from ..errors import HallError, field_errors
from ..events import open311
from ..events import workflow as wf
from ..events.schemas import ReportIn
from . import api

TAG = "open311"


def _error(status: int, description: str) -> web.Response:
    return web.json_response([{"code": status, "description": description}], status=status)


def _fail(exc: HallError) -> web.Response:
    if exc.errors:
        return _error(exc.status, "; ".join(f"{e['path']}: {e['message']}" for e in exc.errors))
    return _error(exc.status, exc.message)


@api.route("GET", "/open311/v2/services.json", summary="GeoReport v2 service list (the minor classes)",
           roles=None, tag=TAG)
async def services(request: web.Request, ident: Identity | None) -> web.Response:
    return web.json_response(open311.services(request.app[appkeys.EVENTS].taxonomy))


async def _form(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        try:
            data = json.loads(await request.read() or b"{}")
        except ValueError:
            raise HallError("body is not valid JSON") from None
        if not isinstance(data, dict):
            raise HallError("body must be an object")
        return data
    return dict(await request.post())


def _num(data: dict, name: str) -> float | None:
    v = data.get(name)
    if v in (None, ""):
        return None
    try:
        return float(v)
    except (TypeError, ValueError):
        raise HallError("bad number", errors=[{"path": name, "message": "must be a number"}]) from None


@api.route("POST", "/open311/v2/requests.json", summary="GeoReport v2: file a service request (form-encoded or "
           "JSON: api_key, service_code, lat, long or address_string, description, media_url, email, phone, "
           "first_name, last_name; Idempotency-Key header honoured)", roles=None, status=201, tag=TAG,
           errors=(400, 401, 403))
async def post_request(request: web.Request, ident: Identity | None) -> web.Response:
    svc = request.app[appkeys.EVENTS]
    try:
        data = await _form(request)
        key = str(data.get("api_key") or "")
        who = await request.app[appkeys.USERS].resolve(key) if key else ident
        if who is None:
            return _error(401, "api_key: missing or not a valid token")
        if who.role not in wf.REPORTERS:
            return _error(403, f"api_key: role {who.role!r} may not report")
        code = data.get("service_code")
        if not code:
            return _error(400, "service_code: required")
        lat, lon = _num(data, "lat"), _num(data, "long")
        if lat is None and not data.get("address_string"):
            return _error(400, "lat/long or address_string: give a location")
        name = " ".join(str(data.get(k) or "") for k in ("first_name", "last_name")).strip() or None
        contact = data.get("email") or data.get("phone")
        try:
            body = ReportIn(channel="open311", category=str(code), description=str(data.get("description") or
                                                                                   "(no description)"),
                            lat=lat, lon=lon, address=data.get("address_string") or None,
                            contact=str(contact)[:100] if contact else None,
                            reporter_name=name[:64] if name else None,
                            idempotency_key=request.headers.get("Idempotency-Key") or None)
        except ValidationError as exc:
            errs = field_errors(exc)
            for e in errs:
                e["path"] = {"category": "service_code", "lon": "long", "address": "address_string"}.get(e["path"],
                                                                                                        e["path"])
            return _error(400, "; ".join(f"{e['path']}: {e['message']}" for e in errs))
        external = {k: str(data[k])[:500] for k in ("media_url", "device_id", "account_id") if data.get(k)}
        try:
            ev, _ = await svc.report(body, who, external=external)
        except HallError as exc:
            if exc.errors:
                for e in exc.errors:
                    e["path"] = {"category": "service_code"}.get(e["path"], e["path"])
            return _fail(exc)
    except HallError as exc:
        return _fail(exc)
    return web.json_response([{"service_request_id": ev.id, "service_notice": "received; it will be verified",
                               "account_id": None}], status=201)


def _departments(request: web.Request) -> dict[str, str]:
    return {d.id: d.name for d in request.app[appkeys.EVENTS].ecfg.departments}


@api.route("GET", "/open311/v2/requests.json", summary="GeoReport v2: service requests (service_request_id "
           "comma-separated, service_code, status open|closed, start_date, end_date)", roles=None, tag=TAG)
async def get_requests(request: web.Request, ident: Identity | None) -> web.Response:
    svc = request.app[appkeys.EVENTS]
    q = request.query
    if q.get("service_request_id"):
        ids = [i for i in q["service_request_id"].split(",") if i][:200]
        evs = await svc.store.get_many(ids)
    else:
        try:
            since = svc._parse_time(q["start_date"], "start_date") if q.get("start_date") else None
            until = svc._parse_time(q["end_date"], "end_date") if q.get("end_date") else None
        except HallError as exc:
            return _fail(exc)
        evs = await svc.store.get_many(await svc.store.ids(None, since, until, 0, 1000))
    codes = set(q["service_code"].split(",")) if q.get("service_code") else None
    statuses = set(q["status"].split(",")) if q.get("status") else None
    if statuses and not statuses <= {"open", "closed"}:
        return _error(400, "status: open or closed")
    out = [open311.request_out(e, svc.calendar.tz, _departments(request)) for e in evs
           if (codes is None or e.category in codes) and (statuses is None or open311.status(e) in statuses)]
    return web.json_response(out)


@api.route("GET", "/open311/v2/requests/{id}.json", summary="GeoReport v2: one service request", roles=None,
           tag=TAG, errors=(404,))
async def get_request(request: web.Request, ident: Identity | None) -> web.Response:
    svc = request.app[appkeys.EVENTS]
    ev = await svc.store.get(request.match_info["id"])
    if ev is None:
        return _error(404, "service_request_id: no such request")
    return web.json_response([open311.request_out(ev, svc.calendar.tz, _departments(request))])
