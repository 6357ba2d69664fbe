"""The event workflow's REST API: intake, list and read, every transition of the closed loop,
photos, export for the archive, statistics, KPIs and Plotly figures for the wall."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from typing import Any

from aiohttp import web

from .. import appkeys, roles
from ..auth import Identity
from ..errors import BadRequest, Invalid, NotFound
from ..events import workflow as wf
from ..events.figures import FIGURES, MAP_EVENTS, made
from ..events.photos import PhotoError
from ..events.schemas import (
    ActionIn,
    AuditExportQuery,
    AuditOut,
    EventOneOut,
    EventsOut,
    EventsQuery,
    ExportQuery,
    FigureQuery,
    PeriodQuery,
    PhotoOut,
    ReportIn,
    ReportOut,
)
from . import api

READ = roles.EVENTS_READ
STATS = READ
ARCHIVE = roles.ARCHIVE  # whole exports, audit log included
TAG = "events"

# What each action needs, for the API document.
NEEDS = {
    "accept": "", "refuse": "note", "verify": "note (what was seen)", "dismiss": "note",
    "register": "category (unless set at report), conditions, urgency", "cancel": "note",
    "dispatch": "department, co_handlers", "receive": "", "return": "note (why not ours)",
    "request_postpone": "extra {value, unit}, note", "approve_postpone": "", "deny_postpone": "note",
    "request_suspend": "note", "approve_suspend": "", "deny_suspend": "note", "resume": "",
    "feedback": "result, photos", "check_pass": "", "check_fail": "note (what is still wrong)",
    "close": "close_type (default: normal, or overdue if late)", "evaluate": "rating 1-5, note",
    "confirm": "", "decline": "note", "mark_duplicate": "original", "supervise": "note",
    "set_urgency": "urgency", "escalate": "level (default: one up)", "attach": "photos, note",
}


def _svc(request: web.Request):
    return request.app[appkeys.EVENTS]


@api.route("POST", "/api/events", summary="Report an event (resident, worker, department, camera alarm); "
           "acknowledged once durable; a repeated idempotency_key returns the first event",
           roles=wf.REPORTERS, body=ReportIn, response=ReportOut, status=201, tag=TAG, errors=(404,))
async def report(request: web.Request, ident: Identity, body: ReportIn) -> dict:
    if body.idempotency_key is None and request.headers.get("Idempotency-Key"):
        body = body.model_copy(update={"idempotency_key": request.headers["Idempotency-Key"][:128]})
    ev, created = await _svc(request).report(body, ident)
    return {"event": _svc(request).view(ev, ident), "created": created}


@api.route("GET", "/api/events", summary="Events, newest first, with filters (indexed; `total` is exact); a grid "
           "worker sees their grids' events and own reports, a department user what is or was with their "
           "departments and own reports", roles=READ, query=EventsQuery,
           response=EventsOut, tag=TAG)
async def list_events(request: web.Request, ident: Identity, query: EventsQuery) -> dict:
    evs, total = await _svc(request).list(query, ident)
    return {"events": [_svc(request).view(e, ident) for e in evs], "total": total, "offset": query.offset,
            "limit": query.limit}


@api.route("GET", "/api/events/taxonomy", summary="The classes (two levels), departments, routing mode and the "
           "photo limits",
           roles=READ, tag=TAG)
async def taxonomy(request: web.Request, ident: Identity) -> dict:
    svc = _svc(request)
    return {"taxonomy": svc.taxonomy.tree(), "departments": [d.model_dump() for d in svc.ecfg.departments],
            "routing_mode": svc.ecfg.routing.mode, "states": list(wf.STATES), "actions": list(wf.ACTIONS),
            "photos": {"max_bytes": svc.ecfg.photos.max_bytes, "max_per_report": svc.ecfg.photos.max_per_report,
                       "types": ["image/jpeg", "image/png", "image/webp"]}}


@api.route("GET", "/api/events/grids", summary="The grids (GeoJSON)", roles=READ, tag=TAG)
async def grids(request: web.Request, ident: Identity) -> dict:
    return _svc(request).ecfg.grids_geojson or {"type": "FeatureCollection", "features": []}


@api.route("GET", "/api/events/stats", summary="Totals, per state/channel/class/grid, trend, KPIs, "
           "high-frequency reporters, for today, this week, this month or any period", roles=STATS,
           query=PeriodQuery, tag=TAG)
async def stats(request: web.Request, ident: Identity, query: PeriodQuery) -> dict:
    svc = _svc(request)
    return await svc.stats(svc.period_days(query.period, query.start, query.end), ident)


@api.route("GET", "/api/events/kpi/posts", summary="Per-post composites (0-100) with A-E grades: grid workers, "
           "shift leads, dispatchers, departments", roles=STATS, query=PeriodQuery, tag=TAG)
async def post_kpis(request: web.Request, ident: Identity, query: PeriodQuery) -> dict:
    svc = _svc(request)
    return await svc.posts(svc.period_days(query.period, query.start, query.end))


@api.route("GET", "/api/events/figures/{name}", summary=f"A Plotly figure (JSON) for a wall panel: "
           f"{', '.join(FIGURES)} (the map: grid outlines and the newest {MAP_EVENTS} open events with a place, "
           f"coloured by their countdown light; it ignores the period)", roles=STATS, query=FigureQuery, tag=TAG,
           errors=(404,))
async def get_figure(request: web.Request, ident: Identity, query: FigureQuery) -> dict:
    name = request.match_info["name"]
    if name not in FIGURES:
        raise NotFound(f"no figure {name!r}; one of {', '.join(FIGURES)}")
    svc = _svc(request)
    days = svc.period_days(query.period, query.start, query.end) if name != "map" else []
    return await made(svc, name, ident, days)


@api.route("POST", "/api/events/photos", summary="Upload one photo (raw JPEG, PNG or WebP body); returns its "
           "SHA-256 to name in a report or feedback", roles=wf.REPORTERS, response=PhotoOut, status=201, tag=TAG,
           errors=(413, 415, 422))
async def upload_photo(request: web.Request, ident: Identity) -> dict:
    photos = _svc(request).photos
    if request.content_length is not None and request.content_length > photos.max_bytes:
        raise _too_large(photos.max_bytes)
    data = bytearray()
    async for chunk in request.content.iter_chunked(65536):
        data += chunk
        if len(data) > photos.max_bytes:
            raise _too_large(photos.max_bytes)
    try:
        saved = await photos.save(bytes(data))
    except PhotoError as exc:
        raise Invalid("not a usable photo", errors=[{"path": "(body)", "message": str(exc)}]) from None
    await _svc(request).store.photo_uploaded(saved["sha256"], ident.name)
    return {**saved, "url": f"/api/events/photos/{saved['sha256']}"}


def _too_large(limit: int) -> Invalid:
    err = Invalid("photo too large", errors=[{"path": "(body)", "message": f"at most {limit} bytes"}])
    err.status = 413
    return err


@api.route("GET", "/api/events/photos/{sha}", summary="A stored photo (to its uploader and to whoever may see an "
           "event showing it)", roles=READ, tag=TAG, errors=(404,))
async def get_photo(request: web.Request, ident: Identity) -> web.StreamResponse:
    sha = request.match_info["sha"]
    if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
        raise NotFound("no such photo")
    svc = _svc(request)
    path = await svc.photos.find(sha)
    if path is None or not await svc.photo_visible(sha, ident):  # outside the reader's scope: as if absent
        raise NotFound("no such photo")
    return web.FileResponse(path, headers={"Cache-Control": "private, max-age=86400"})


@api.route("GET", "/api/events/export", summary="Export events (JSON or CSV) for the archive", roles=ARCHIVE,
           query=ExportQuery, tag=TAG)
async def export_events(request: web.Request, ident: Identity, query: ExportQuery) -> web.StreamResponse:
    svc = _svc(request)
    evs, _ = await svc.list(query, ident)
    # up to 100,000 events: the views and the file are made off the event loop
    rows = await asyncio.to_thread(lambda: [svc.view(e, ident) for e in evs])
    if query.format == "json":
        return await _json_file({"events": rows}, "events.json")
    cols = ["id", "state", "channel", "category", "category_name", "description", "lat", "lon", "address", "grid",
            "community", "street", "outside_grid", "reporter", "urgency", "level", "supervised", "department",
            "co_handlers", "reported_at_local", "close_type", "rating", "rework_count", "postpone_count", "overdue",
            "duplicate_of", "version"]
    return await _csv(rows, cols, "events.csv")


@api.route("GET", "/api/events/audit", summary="Export the audit log of all events (JSON or CSV)", roles=ARCHIVE,
           query=AuditExportQuery, tag=TAG)
async def export_audit(request: web.Request, ident: Identity, query: AuditExportQuery) -> web.StreamResponse:
    start = f"({query.after}" if query.after else "-"
    rows = await _svc(request).store.audit_all(start, "+", query.count)
    if query.format == "json":
        return await _json_file({"audit": rows}, "audit.json")
    return await _csv(rows, ["id", "event", "version", "at", "action", "by", "role", "from", "to", "note"],
                      "audit.csv")


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


async def _json_file(data: dict[str, Any], name: str) -> web.Response:
    text = await asyncio.to_thread(json.dumps, data)
    return web.json_response(text=text, headers=_attachment(name))


async def _csv(rows: list[dict[str, Any]], cols: list[str], name: str) -> web.Response:
    def render() -> str:
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(cols)
        for r in rows:
            w.writerow([json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else ("" if v is None else v)
                        for v in (r.get(c) for c in cols)])
        return buf.getvalue()

    return web.Response(text=await asyncio.to_thread(render), content_type="text/csv", charset="utf-8",
                        headers=_attachment(name))


@api.route("GET", "/api/events/{id}", summary="One event, with its countdown light and the actions open to you",
           roles=READ, response=EventOneOut, tag=TAG, errors=(404,))
async def get_event(request: web.Request, ident: Identity) -> dict:
    svc = _svc(request)
    ev = await svc.get_for(request.match_info["id"], ident)
    view = svc.view(ev, ident)
    view["duplicates"] = await svc.store.duplicates(ev.id)
    return {"event": view}


@api.route("GET", "/api/events/{id}/audit", summary="The event's audit log (who, when, what, note)", roles=READ,
           response=AuditOut, tag=TAG, errors=(404,))
async def event_audit(request: web.Request, ident: Identity) -> dict:
    svc = _svc(request)
    ev = await svc.get_for(request.match_info["id"], ident)
    return {"audit": await svc.store.audit(ev.id)}


def _action_route(action: str) -> None:
    async def handler(request: web.Request, ident: Identity, body: ActionIn) -> dict:
        if request.content_type not in ("application/json", "application/octet-stream", ""):
            raise BadRequest("send JSON")
        svc = _svc(request)
        ev = await svc.act(request.match_info["id"], action, body, ident)
        return {"event": svc.view(ev, ident)}

    handler.__name__ = f"event_{action}"
    moves = wf.MOVES.get(action)
    where = ("from " + ", ".join(f"{a} -> {b or 'verifying/to_register'}" for a, b in moves.items())
             if moves else "in any open state (overlay)")
    needs = NEEDS.get(action)
    api.route("POST", f"/api/events/{{id}}/{action}", summary=f"{action.replace('_', ' ').capitalize()}: {where}"
              + (f"; give {needs}" if needs else ""), roles=wf.ROLES_FOR[action] - {wf.SYSTEM}, body=ActionIn,
              response=EventOneOut, tag=TAG, errors=(404, 409))(handler)


for _action in wf.ACTIONS:
    _action_route(_action)
