"""Wall control: read the wall, change the layout, presets and scenes (versioned writes)."""

from __future__ import annotations

from aiohttp import web

from .. import appkeys
from ..auth import Identity
from ..errors import Invalid
from ..roles import WALL_READ, WALL_WRITE
from ..schemas import (
    AddWindowIn,
    AddWindowOut,
    LayoutIn,
    LayoutOut,
    PatchWindowIn,
    PresetIn,
    PresetOneOut,
    PresetsOut,
    SceneIn,
    SceneOneOut,
    ScenesOut,
    ShowIn,
    SplitIn,
    VersionIn,
    VersionQuery,
    WallOut,
)
from . import api

CONFLICT = (409,)


def _wc(request: web.Request):
    return request.app[appkeys.WALL_CONTROL]


def _name(request: web.Request) -> str:
    name = request.match_info["name"]
    if not (1 <= len(name) <= 64) or any(ord(c) < 32 for c in name):
        raise Invalid("bad name", errors=[{"path": "name", "message": "1-64 printable characters"}])
    return name


@api.route("GET", "/api/wall", summary="The wall: screens, current layout, sources and panels",
           roles=WALL_READ, response=WallOut)
async def get_wall(request: web.Request, ident: Identity) -> dict:
    return await _wc(request).snapshot()


@api.route("PUT", "/api/wall/layout", summary="Replace the whole layout", roles=WALL_WRITE, body=LayoutIn,
           response=LayoutOut, errors=CONFLICT)
async def put_layout(request: web.Request, ident: Identity, body: LayoutIn) -> dict:
    return {"layout": await _wc(request).replace(body.version, body.windows, body.scene, ident.name)}


@api.route("POST", "/api/wall/windows", summary="Add a window", roles=WALL_WRITE, body=AddWindowIn,
           response=AddWindowOut, status=201, errors=CONFLICT)
async def add_window(request: web.Request, ident: Identity, body: AddWindowIn) -> dict:
    layout, window = await _wc(request).add_window(body.version, body.window, ident.name)
    return {"layout": layout, "window": window}


@api.route("PATCH", "/api/wall/windows/{id}", summary="Move, resize, restack or retarget a window",
           roles=WALL_WRITE, body=PatchWindowIn, response=LayoutOut, errors=(404, 409))
async def patch_window(request: web.Request, ident: Identity, body: PatchWindowIn) -> dict:
    return {"layout": await _wc(request).update_window(body.version, request.match_info["id"], body, ident.name)}


@api.route("DELETE", "/api/wall/windows/{id}", summary="Remove a window", roles=WALL_WRITE, query=VersionQuery,
           response=LayoutOut, errors=(404, 409))
async def delete_window(request: web.Request, ident: Identity, query: VersionQuery) -> dict:
    return {"layout": await _wc(request).remove_window(query.version, request.match_info["id"], ident.name)}


@api.route("POST", "/api/wall/show", summary="Put a source on the wall in one action: into a chosen video window, "
           "onto a chosen screen, or the next free place (an empty screen, else a picture-in-picture on the main "
           "screen)", roles=WALL_WRITE, body=ShowIn, response=AddWindowOut, errors=(404, 409))
async def show(request: web.Request, ident: Identity, body: ShowIn) -> dict:
    if body.window is not None and body.screen is not None:
        raise Invalid("window or screen",
                      errors=[{"path": "screen", "message": "give a window or a screen, not both"}])
    layout, window = await _wc(request).show(body.source, ident.name, window=body.window, screen=body.screen,
                                             version=body.version)
    return {"layout": layout, "window": window}


@api.route("POST", "/api/wall/split", summary="Quick split of screens or a region (1, 4, 9, 16 or rows x cols)",
           roles=WALL_WRITE, body=SplitIn, response=LayoutOut, errors=CONFLICT)
async def split(request: web.Request, ident: Identity, body: SplitIn) -> dict:
    return {"layout": await _wc(request).split(body, ident.name)}


@api.route("GET", "/api/presets", summary="Saved presets", roles=WALL_READ, response=PresetsOut, tag="presets")
async def list_presets(request: web.Request, ident: Identity) -> dict:
    return {"presets": await _wc(request).presets()}


@api.route("PUT", "/api/presets/{name}", summary="Save a preset (default: the current layout)", roles=WALL_WRITE,
           body=PresetIn, response=PresetOneOut, tag="presets")
async def put_preset(request: web.Request, ident: Identity, body: PresetIn) -> dict:
    return {"preset": await _wc(request).save_preset(_name(request), body.windows, body.screens, ident.name)}


@api.route("DELETE", "/api/presets/{name}", summary="Delete a preset", roles=WALL_WRITE, status=204,
           tag="presets", errors=(404,))
async def delete_preset(request: web.Request, ident: Identity) -> None:
    await _wc(request).delete_preset(_name(request))


@api.route("POST", "/api/presets/{name}/apply", summary="Put a preset on the wall", roles=WALL_WRITE,
           body=VersionIn, response=LayoutOut, tag="presets", errors=(404, 409))
async def apply_preset(request: web.Request, ident: Identity, body: VersionIn) -> dict:
    return {"layout": await _wc(request).apply_preset(_name(request), body.version, ident.name)}


@api.route("GET", "/api/scenes", summary="Saved scenes", roles=WALL_READ, response=ScenesOut, tag="scenes")
async def list_scenes(request: web.Request, ident: Identity) -> dict:
    return {"scenes": await _wc(request).scenes()}


@api.route("PUT", "/api/scenes/{name}", summary="Save a scene (presets applied together)", roles=WALL_WRITE,
           body=SceneIn, response=SceneOneOut, tag="scenes")
async def put_scene(request: web.Request, ident: Identity, body: SceneIn) -> dict:
    return {"scene": await _wc(request).save_scene(_name(request), body.presets, ident.name)}


@api.route("DELETE", "/api/scenes/{name}", summary="Delete a scene", roles=WALL_WRITE, status=204, tag="scenes",
           errors=(404,))
async def delete_scene(request: web.Request, ident: Identity) -> None:
    await _wc(request).delete_scene(_name(request))


@api.route("POST", "/api/scenes/{name}/apply", summary="Switch the wall to a scene", roles=WALL_WRITE,
           body=VersionIn, response=LayoutOut, tag="scenes", errors=(404, 409))
async def apply_scene(request: web.Request, ident: Identity, body: VersionIn) -> dict:
    return {"layout": await _wc(request).apply_scene(_name(request), body.version, ident.name)}
