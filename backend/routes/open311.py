"""Open311 GeoReport v2 (`/open311/v2/...`) so civic-reporting apps can file into the hall.

`api_key` is the bearer token (`hall token NAME`) of a user allowed to report. Errors keep GeoReport's shape
(a JSON list of {code, description}, each description naming its field), made from the house's HallError.
Only what the district publishes (`events.open311`) can be read back, without a token.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable

from aiohttp import BodyPartReader, web
from pydantic import ValidationError

from .. import appkeys, keys
from ..api import MAX_BODY, is_json, read_json_body
from ..auth import Identity
from ..errors import (
    BadRequest,
    Forbidden,
    HallError,
    Invalid,
    NotFound,
    Unauthorized,
    UnsupportedMediaType,
    field_errors,
)
from ..events import open311
from ..events import workflow as wf
from ..events.open311 import Open311RequestIn
from ..events.schemas import ReportIn
from ..events.vocab import Channel
from . import api

TAG = "open311"
FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"


def georeport(handler: Callable[..., Awaitable[web.Response]]) -> Callable[..., Awaitable[web.Response]]:
    """Answer a HallError in GeoReport's shape: one {code, description} per field error."""
    @functools.wraps(handler)
    async def wrapped(request: web.Request, ident: Identity | None) -> web.Response:
        try:
            return await handler(request, ident)
        except HallError as exc:
            items = [f"{e['path']}: {e['message']}" for e in exc.errors or []] or [exc.message]
            return web.json_response([{"code": exc.status, "description": d} for d in items], status=exc.status)
    return wrapped


@api.route("GET", "/open311/v2/services.json", summary="GeoReport v2 service list (the minor classes)",
           roles=None, tag=TAG)
async def services(request: web.Request, ident: Identity | None) -> web.Response:
    return web.json_response(open311.services(request.app[appkeys.EVENTS].taxonomy))


async def _form(request: web.Request) -> dict[str, str]:
    """A form's fields as text: form-encoded or multipart (text parts only); every name at most once."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise BadRequest(f"body larger than {MAX_BODY} bytes")
    fields: list[tuple[str, str]] = []
    try:
        if request.content_type == FORM:
            fields = [(k, str(v)) for k, v in (await request.post()).items()]
        else:
            reader = await request.multipart()
            size = 0
            while (part := await reader.next()) is not None:
                name = getattr(part, "name", None) or "(part)"
                kind = part.headers.get("Content-Type", "text/plain").split(";")[0].strip()
                if not isinstance(part, BodyPartReader) or part.filename is not None or kind != "text/plain":
                    raise BadRequest("not a text field", errors=[{"path": name, "message": "send text, not a file"}])
                raw = bytearray()
                while chunk := await part.read_chunk():
                    size += len(chunk)
                    if size > MAX_BODY:
                        raise BadRequest(f"body larger than {MAX_BODY} bytes")
                    raw += chunk
                fields.append((name, raw.decode(part.get_charset(default="utf-8"))))
    except web.HTTPRequestEntityTooLarge:
        raise BadRequest(f"body larger than {MAX_BODY} bytes") from None
    except (ValueError, LookupError) as exc:  # no boundary, a broken part, an unknown charset, not UTF-8
        raise BadRequest(f"malformed {request.content_type} body: {exc}") from None
    form: dict[str, str] = {}
    for name, value in fields:
        if name in form:
            raise BadRequest("a field given twice", errors=[{"path": name, "message": "given more than once"}])
        form[name] = value
    return {k: v for k, v in form.items() if v != ""}  # an empty form field is a field not given


async def _request_in(request: web.Request) -> Open311RequestIn:
    """The request strictly parsed: JSON with JSON's types, a form's text parsed as numbers where numbers go."""
    try:
        if is_json(request.content_type):
            return await read_json_body(request, Open311RequestIn)  # type: ignore[return-value]
        if request.content_type not in (FORM, MULTIPART):
            raise UnsupportedMediaType(f"send the request form-encoded ({FORM}) or as JSON")
        return Open311RequestIn.model_validate(await _form(request), strict=False)
    except Invalid as exc:  # GeoReport answers every malformed request with 400
        raise BadRequest(exc.message, errors=exc.errors) from None
    except ValidationError as exc:
        raise BadRequest("invalid request", errors=field_errors(exc)) from None


@api.route("POST", "/open311/v2/requests.json", summary="GeoReport v2: file a service request (form-encoded or "
           "JSON: api_key, service_code, lat, long or address_string, description, media_url, email, phone, "
           "first_name, last_name, device_id, account_id; Idempotency-Key header honoured)", roles=None, status=201,
           tag=TAG, errors=(400, 401, 403, 415, 422))
@georeport
async def post_request(request: web.Request, ident: Identity | None) -> web.Response:
    svc = request.app[appkeys.EVENTS]
    req = await _request_in(request)
    who = await request.app[appkeys.USERS].resolve(req.api_key) if req.api_key else ident
    if who is None:
        raise Unauthorized("not logged in", errors=[{"path": "api_key", "message": "missing or not a valid token"}])
    if who.role not in wf.REPORTERS:
        raise Forbidden("may not report", errors=[{"path": "api_key", "message": f"role {who.role!r} may not report"}])
    body = ReportIn(channel=Channel.OPEN311, category=req.service_code, lat=req.lat, lon=req.long,
                    description=req.description or "(no description)", address=req.address_string,
                    contact=req.email or req.phone, reporter_name=req.reporter_name,
                    idempotency_key=request.headers.get("Idempotency-Key") or None)
    try:
        ev, _ = await svc.report(body, who, external=req.external)
    except HallError as exc:  # the event service names the report's fields: give them their GeoReport names
        for e in exc.errors or []:
            e["path"] = open311.FIELD_NAMES.get(e["path"], e["path"])
        raise
    return web.json_response([{"service_request_id": ev.id, "service_notice": "received; it will be verified",
                               "account_id": None}], status=201)


def _departments(request: web.Request) -> dict[str, str]:
    return {d.id: d.name for d in request.app[appkeys.EVENTS].ecfg.departments}


@api.route("GET", "/open311/v2/requests.json", summary="GeoReport v2: the published service requests (by default "
           "those filed over Open311; service_request_id comma-separated, service_code, status open|closed, "
           "start_date, end_date)", roles=None, tag=TAG, errors=(400,))
@georeport
async def get_requests(request: web.Request, ident: Identity | None) -> web.Response:
    svc = request.app[appkeys.EVENTS]
    cfg = svc.ecfg.open311
    q = request.query
    statuses = set(q["status"].split(",")) if q.get("status") else None
    if statuses and not statuses <= {"open", "closed"}:
        raise BadRequest("bad status", errors=[{"path": "status", "message": "open or closed"}])
    if q.get("service_request_id"):
        ids = [i for i in q["service_request_id"].split(",") if i][:200]
        evs = await svc.store.get_many(ids)
    else:
        since = svc.parse_time(q["start_date"], "start_date") if q.get("start_date") else None
        until = svc.parse_time(q["end_date"], "end_date") if q.get("end_date") else None
        published = [keys.events_by("channel", c) for c in cfg.publish_channels]
        ids, _ = await svc.store.query([], published, since, until, 0, 1000)
        evs = await svc.store.get_many(ids)
    codes = set(q["service_code"].split(",")) if q.get("service_code") else None
    out = [open311.request_out(e, svc.calendar.tz, _departments(request), cfg) for e in evs
           if open311.published(e, cfg) and (codes is None or e.category in codes)
           and (statuses is None or open311.status(e) in statuses)]
    return web.json_response(out)


@api.route("GET", "/open311/v2/requests/{id}.json", summary="GeoReport v2: one published service request",
           roles=None, tag=TAG, errors=(404,))
@georeport
async def get_request(request: web.Request, ident: Identity | None) -> web.Response:
    svc = request.app[appkeys.EVENTS]
    ev = await svc.store.get(request.match_info["id"])
    if ev is None or not open311.published(ev, svc.ecfg.open311):  # what is not published does not exist here
        raise NotFound("no such request", errors=[{"path": "service_request_id", "message": "no such request"}])
    return web.json_response([open311.request_out(ev, svc.calendar.tz, _departments(request), svc.ecfg.open311)])
