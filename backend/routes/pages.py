"""The web pages: the console (static, logs in by itself) and each screen's kiosk page (token-checked)."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from .. import appkeys
from ..auth import Identity
from ..errors import Forbidden, NotFound, Unauthorized
from . import api

ROOT = Path(__file__).resolve().parents[2]
CONSOLE_DIR = ROOT / "console"
WALL_DIR = ROOT / "wall"
FIELD_DIR = CONSOLE_DIR / "field"  # the grid workers' and departments' page (phones), served at /field/
ROOM_DIR = CONSOLE_DIR / "room"  # the consultation room's page (hall staff, invited experts, workers)
VENDOR_DIR = ROOT / "node_modules" / "socket.io-client" / "dist"
# MapLibre GL JS's CSP build (its worker is a file of its own, so pages need no 'unsafe-eval' or blob: scripts)
MAPLIBRE_DIR = ROOT / "node_modules" / "maplibre-gl" / "dist"
PMTILES_JS = ROOT / "node_modules" / "pmtiles" / "dist" / "pmtiles.js"  # a .pmtiles base map's reader

NO_CACHE = {"Cache-Control": "no-cache"}


@api.route("GET", "/wall/screens/{id}", summary="Kiosk page of one screen (needs that screen's token in ?token=)",
           roles=None, tag="pages", errors=(401, 403, 404))
async def screen_page(request: web.Request, ident: Identity | None) -> web.StreamResponse:
    sid = request.match_info["id"]
    try:
        request.app[appkeys.WALL].screen(sid)
    except KeyError:
        raise NotFound(f"no screen {sid!r}") from None
    token = request.query.get("token", "")
    who = await request.app[appkeys.USERS].resolve(token) if token else None
    if who is None:
        raise Unauthorized("this page needs its screen token: /wall/screens/<id>?token=...")
    if who.role != "screen" or who.screen != sid:
        raise Forbidden(f"this token is not the token of screen {sid!r}")
    return web.FileResponse(WALL_DIR / "screen.html", headers=NO_CACHE)


async def _console_index(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(CONSOLE_DIR / "index.html", headers=NO_CACHE)


async def _field_index(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(FIELD_DIR / "index.html", headers=NO_CACHE)


async def _room_page(request: web.Request) -> web.StreamResponse:
    """One room's page: it signs in by itself (a session, or the invitation's token in ?invite=)."""
    return web.FileResponse(ROOM_DIR / "index.html", headers=NO_CACHE)


def plotly_js() -> Path | None:
    """plotly.js as bundled with the Python plotly package the figures are made with: the same version."""
    try:
        import plotly
    except ImportError:
        return None
    path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    return path if path.is_file() else None


async def _field_redirect(request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound("/field/")


async def _plotly(request: web.Request) -> web.StreamResponse:
    path = plotly_js()
    if path is None:
        raise web.HTTPNotFound()
    return web.FileResponse(path, headers={"Cache-Control": "public, max-age=86400"})


async def _pmtiles_js(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(PMTILES_JS, headers={"Cache-Control": "public, max-age=86400"})


def _file(path: Path):
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.FileResponse(path, headers={"Cache-Control": "public, max-age=3600"})
    return handler


async def _root(request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound("/console/")


def setup_static(app: web.Application) -> None:
    app.router.add_get("/", _root)
    app.router.add_get("/console", _root)
    app.router.add_get("/console/", _console_index)
    app.router.add_static("/console/", CONSOLE_DIR, append_version=False)
    app.router.add_static("/wall/assets/", WALL_DIR)
    app.router.add_get("/field", _field_redirect)
    app.router.add_get("/field/", _field_index)
    app.router.add_static("/field/", FIELD_DIR, append_version=False)
    app.router.add_static("/room/assets/", ROOM_DIR, append_version=False)
    app.router.add_get(r"/room/{id:[A-Za-z0-9]{1,16}}", _room_page)
    app.router.add_get("/vendor/plotly.min.js", _plotly)
    if MAPLIBRE_DIR.is_dir():  # before /vendor/ itself, which would take the path
        app.router.add_static("/vendor/maplibre-gl/", MAPLIBRE_DIR)
    if PMTILES_JS.is_file():
        app.router.add_get("/vendor/pmtiles.js", _pmtiles_js)
    tiles = app[appkeys.CONFIG].gis.tiles_path  # the district's own base map (not personal: no token)
    if tiles is not None and tiles.is_file():
        app.router.add_get(f"/map-tiles/{tiles.name}", _file(tiles))  # Range requests: PMTiles reads parts
    elif tiles is not None:
        app.router.add_static("/map-tiles/", tiles)
    if VENDOR_DIR.is_dir():
        app.router.add_static("/vendor/", VENDOR_DIR)
