"""The map's API against a real Redis: layers, the area around an event (GEOSEARCH by box and by radius),
addresses, the heat map, the workers' positions, and who may ask."""

from __future__ import annotations

import pytest

from backend import appkeys, keys
from tests.events_support import make_client, report_body, tokens

NEAR_SCHOOL = (36.6472, 117.0990)  # No. 3 primary school gate (config/district/places.geojson)


@pytest.fixture
async def api(redis_url, tmp_path):
    client = await make_client(redis_url, tmp_path)
    yield client
    await client.close()


async def get(api, path, headers, status=200):
    resp = await api.get(path, headers=headers)
    assert resp.status == status, await resp.text()
    return await resp.json(content_type=None)


async def report(api, headers, **kw) -> str:
    resp = await api.post("/api/events", json=report_body(**kw), headers=headers)
    assert resp.status == 201, await resp.text()
    return (await resp.json())["event"]["id"]


async def test_every_layer_is_served_as_geojson_with_the_demo_district(api):
    who = await tokens(api)
    settings = await get(api, "/api/gis/map", who["worker1"])
    assert settings["counts"]["grids"] >= 20 and settings["counts"]["buildings"] >= 200
    assert settings["tiles"] is None and settings["pilot_street"] == "s-west"
    w, s, e, n = settings["bounds"]
    assert w < 117.0990 < e and s < 36.6472 < n
    for name in settings["layers"]:
        resp = await api.get(f"/api/gis/layers/{name}", headers=who["worker1"])
        assert resp.status == 200 and resp.content_type == "application/geo+json"
        fc = await resp.json(content_type=None)
        assert fc["type"] == "FeatureCollection" and fc["features"], name
    cams = await get(api, "/api/gis/layers/cameras", who["operator1"])
    assert {f["properties"]["id"] for f in cams["features"]} >= {"cam-river-01", "cam-school-01"}
    blds = await get(api, "/api/gis/layers/buildings", who["operator1"])
    pilot = [f for f in blds["features"] if f["properties"]["pilot"]]
    assert pilot and all(f["properties"]["grid"] in {"g01", "g02", "g05", "g06", "g09", "g10", "g11", "g15", "g16",
                                                      "g17", "g21", "g22"} for f in pilot)
    await get(api, "/api/gis/layers/nothing", who["operator1"], 404)
    await get(api, "/api/gis/layers/grids", {}, 401)


async def on_patrol(api, *walkers: tuple[str, float, float]) -> None:
    """Workers on duty at these places, through the registry the phones' reports go to."""
    registry = api.app[appkeys.WORKERS]
    for name, lat, lon in walkers:
        await registry.set_status(name, "on_duty")
        await registry.report_position(name, lat, lon, accuracy=8)


async def test_box_around_an_event_lists_resources_and_what_it_affects(api):
    who = await tokens(api)
    earlier = await report(api, who["integration"], lat=36.6470, lon=117.0985)
    far = await report(api, who["integration"], lat=36.6700, lon=117.1600)
    now = await report(api, who["integration"], lat=NEAR_SCHOOL[0], lon=NEAR_SCHOOL[1])
    await on_patrol(api, ("worker1", 36.6468, 117.0992), ("worker5", 36.6700, 117.1500))
    box = "w=117.0950&s=36.6440&e=117.1030&n=36.6500"
    out = await get(api, f"/api/gis/area?{box}&exclude={now}", who["commander1"])
    assert out["shape"]["kind"] == "box"
    assert [c["id"] for c in out["cameras"]["items"]] == ["cam-school-01"]
    assert out["components"]["total"] > 0 and sum(out["components"]["by_kind"].values()) == out["components"]["total"]
    assert out["buildings"]["residents"] == sum(b["residents"] for b in out["buildings"]["items"]
                                                 if b["use"] == "residential")
    assert all(117.095 <= b["lon"] <= 117.103 and 36.644 <= b["lat"] <= 36.650 for b in out["buildings"]["items"])
    assert [e["id"] for e in out["events"]["items"]] == [earlier]  # not the event itself, not the far one
    assert out["events"]["items"][0]["place"]
    assert out["workers"]["shown"] and [w["name"] for w in out["workers"]["items"]] == ["worker1"]
    assert out["workers"]["items"][0]["display_name"] == "Grid worker Chen"
    assert far not in {e["id"] for e in out["events"]["items"]}


async def test_radius_search_is_nearest_first_and_bounded_by_the_radius(api):
    who = await tokens(api)
    out = await get(api, f"/api/gis/area?lat={NEAR_SCHOOL[0]}&lon={NEAR_SCHOOL[1]}&radius_m=400", who["operator1"])
    comps = out["components"]["items"]
    assert comps and all(c["distance_m"] <= 400 for c in comps)
    assert [c["distance_m"] for c in comps] == sorted(c["distance_m"] for c in comps)
    small = await get(api, f"/api/gis/area?lat={NEAR_SCHOOL[0]}&lon={NEAR_SCHOOL[1]}&radius_m=400&limit=2",
                      who["operator1"])
    assert len(small["components"]["items"]) == 2 and small["components"]["total"] == out["components"]["total"]


async def test_earlier_events_are_those_of_the_period(api):
    who = await tokens(api)
    eid = await report(api, who["integration"], lat=36.6470, lon=117.0985)
    here = f"lat={NEAR_SCHOOL[0]}&lon={NEAR_SCHOOL[1]}&radius_m=300"
    assert [e["id"] for e in (await get(api, f"/api/gis/area?{here}", who["operator1"]))["events"]["items"]] == [eid]
    old = await get(api, f"/api/gis/area?{here}&since=2020-01-01&until=2020-12-31", who["operator1"])
    assert old["events"] == {"total": 0, "by_state": {}, "items": []}


async def test_experts_see_the_area_without_the_workers_positions(api):
    who = await tokens(api)
    await on_patrol(api, ("worker1", 36.6468, 117.0992))
    out = await get(api, f"/api/gis/area?lat={NEAR_SCHOOL[0]}&lon={NEAR_SCHOOL[1]}&radius_m=300", who["expert1"])
    assert out["workers"] == {"total": None, "items": [], "shown": False}
    for name in ("worker1", "dept1", "integration"):
        await get(api, f"/api/gis/area?lat={NEAR_SCHOOL[0]}&lon={NEAR_SCHOOL[1]}&radius_m=300", who[name], 403)
    await get(api, "/api/gis/workers", who["expert1"], 403)
    await get(api, "/api/gis/workers", who["worker1"], 403)
    screen = await api.app[appkeys.USERS].screen_token("led-main")
    seen = await get(api, "/api/gis/workers", {"Authorization": f"Bearer {screen}"})
    [w] = seen["workers"]
    assert (w["name"], w["display_name"], w["status"], w["grids"]) == ("worker1", "Grid worker Chen", "on_duty",
                                                                        ["g01", "g03"])
    assert (w["lat"], w["lon"]) == (pytest.approx(36.6468), pytest.approx(117.0992))


@pytest.mark.parametrize("query, path", [
    ("w=117.1&s=36.64&e=117.09&n=36.65", "e"),
    ("w=117.1&s=36.65&e=117.11&n=36.64", "n"),
    ("w=117.1&s=36.64&e=117.11", "n"),
    ("lat=36.64&lon=117.1", "radius_m"),
    ("lat=36.64&lon=117.1&radius_m=20000", "radius_m"),
    ("lat=36.64&lon=117.1&radius_m=100&w=117.1", "radius_m"),
    ("lat=95&lon=117.1&radius_m=100", "lat"),
    ("w=110&s=30&e=118&n=37", "e"),
    ("lat=36.64&lon=117.1&radius_m=100&since=yesterday", "since"),
    ("lat=36.64&lon=117.1&radius_m=100&since=2025-02-01&until=2025-01-01", "since"),
    ("lat=36.64&lon=117.1&radius_m=100&colour=red", "colour"),
])
async def test_a_bad_area_is_refused_naming_the_field(api, query, path):
    who = await tokens(api)
    body = await get(api, f"/api/gis/area?{query}", who["operator1"], 422)
    assert path in {e["path"] for e in body["errors"]}, body


async def test_the_place_of_a_point_is_its_building_else_its_grid(api):
    who = await tokens(api)
    blds = await get(api, "/api/gis/layers/buildings", who["operator1"])
    b = next(f for f in blds["features"] if f["properties"]["use"] == "residential")
    ring = b["geometry"]["coordinates"][0]
    lon, lat = sum(p[0] for p in ring[:-1]) / 4, sum(p[1] for p in ring[:-1]) / 4
    out = await get(api, f"/api/gis/place?lat={lat}&lon={lon}", who["worker1"])
    assert out["place"] == b["properties"]["name"] and out["building"]["distance_m"] == 0
    river = await get(api, "/api/gis/place?lat=36.6553&lon=117.0885", who["worker1"])  # on the river, west edge
    assert river["building"] is None and river["place"] == river["grid"]["name"]
    assert (await get(api, "/api/gis/place?lat=36.80&lon=117.3", who["worker1"]))["place"] is None
    await get(api, "/api/gis/place?lat=36.6", who["worker1"], 422)


async def test_the_heat_map_holds_the_events_of_the_period(api):
    who = await tokens(api)
    for lat, lon in ((36.645, 117.100), (36.662, 117.115), (36.657, 117.125)):
        await report(api, who["integration"], lat=lat, lon=lon)
    await report(api, who["integration"], lat=None, lon=None, address="somewhere")
    screen = await api.app[appkeys.USERS].screen_token("led-main")
    heat = await get(api, "/api/gis/heat", {"Authorization": f"Bearer {screen}"})
    assert heat["total"] == 3  # positions as Redis's geohash keeps them: within a metre
    assert sorted(heat["points"]) == [pytest.approx(p, abs=1e-5) for p in ([117.1, 36.645], [117.115, 36.662],
                                                                            [117.125, 36.657])]
    empty = await get(api, "/api/gis/heat?since=2020-01-01&until=2020-01-31", who["operator1"])
    assert empty["total"] == 0
    await get(api, "/api/gis/heat", who["worker1"], 403)


async def test_events_reported_while_the_hall_was_away_are_indexed_at_start(api, redis_url, tmp_path):
    who = await tokens(api)
    eid = await report(api, who["integration"], lat=36.6470, lon=117.0985)
    redis = api.app[appkeys.REDIS]
    await redis.delete(keys.gis_geo("events"), keys.GIS_EVENTS_THROUGH)  # as if made before the map existed
    other = await make_client(redis_url, tmp_path)
    try:
        task = other.app[appkeys.MAP].backfill
        assert await task == 1
        assert await redis.geopos(keys.gis_geo("events"), eid) != [None]
    finally:
        await other.close()


async def test_an_event_s_view_names_its_place_on_the_map(api):
    who = await tokens(api)
    blds = await get(api, "/api/gis/layers/buildings", who["operator1"])
    b = next(f for f in blds["features"] if f["properties"]["use"] == "residential")
    ring = b["geometry"]["coordinates"][0]
    lon, lat = sum(p[0] for p in ring[:-1]) / 4, sum(p[1] for p in ring[:-1]) / 4
    at_building = await report(api, who["integration"], lat=lat, lon=lon)
    on_river = await report(api, who["integration"], lat=36.6553, lon=117.0885)
    nowhere = await report(api, who["integration"], lat=None, lon=None, address="somewhere")
    views = {e["id"]: e for e in (await get(api, "/api/events?limit=10", who["operator1"]))["events"]}
    assert views[at_building]["place"] == b["properties"]["name"]
    assert views[on_river]["place"] == "Station grid 3"
    assert views[nowhere]["place"] is None


async def test_the_layers_are_indexed_once_and_again_when_a_camera_moves(api):
    from backend.gis.district import District
    from backend.gis.index import index_district
    from tests.events_support import CFG

    svc = api.app[appkeys.MAP]
    assert await index_district(svc.redis, svc.district) == {}  # written at start, unchanged since
    moved = CFG.model_copy(deep=True)
    cam = next(s for s in moved.sources if s.id == "cam-school-01")
    cam.lat, cam.lon = 36.6600, 117.1500
    written = await index_district(svc.redis, District(moved))
    assert written == {"cameras": len([s for s in moved.sources if s.lat is not None])}
    pos = await svc.redis.geopos(keys.gis_geo("cameras"), "cam-school-01")
    assert pos[0][1] == pytest.approx(36.66, abs=1e-5)


def config_with_tiles(tmp_path, tiles: str):
    import yaml

    from backend.config import DEFAULT_CONFIG, parse_config
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    raw["events"]["grids"] = str(DEFAULT_CONFIG.parent / raw["events"]["grids"])
    raw["gis"]["district"] = str(DEFAULT_CONFIG.parent / raw["gis"]["district"])
    raw["gis"]["tiles"] = tiles
    return parse_config(raw, str(tmp_path / "hall.yaml"))


async def test_a_local_base_map_is_served_by_the_hall_as_pmtiles_or_a_tiles_folder(redis_url, tmp_path):
    from tests.map_tiles import pmtiles_file, tile_xy, tiles_folder

    bounds = (117.0875, 36.6325, 117.1625, 36.6775)
    archive = pmtiles_file(tmp_path / "district.pmtiles", bounds)
    client = await make_client(redis_url, tmp_path, config_with_tiles(tmp_path, "district.pmtiles"))
    try:
        who = await tokens(client)
        settings = await get(client, "/api/gis/map", who["worker1"])
        assert settings["tiles"] == {"kind": "pmtiles", "url": "/map-tiles/district.pmtiles"}
        resp = await client.get("/map-tiles/district.pmtiles", headers={"Range": "bytes=0-126"})
        assert resp.status == 206 and (await resp.read()) == archive.read_bytes()[:127]  # the header, read by parts
        assert (await client.get("/vendor/pmtiles.js")).status == 200
    finally:
        await client.close()

    folder = tiles_folder(tmp_path / "xyz", bounds)
    client = await make_client(redis_url, tmp_path, config_with_tiles(tmp_path, "xyz"))
    try:
        who = await tokens(client)
        settings = await get(client, "/api/gis/map", who["worker1"])
        assert settings["tiles"] == {"kind": "xyz", "url": "/map-tiles/{z}/{x}/{y}.png"}
        x, y = tile_xy(117.11, 36.65, 14)
        resp = await client.get(f"/map-tiles/14/{x}/{y}.png")
        assert resp.status == 200 and (await resp.read()) == (folder / "14" / str(x) / f"{y}.png").read_bytes()
    finally:
        await client.close()


def test_a_base_map_that_is_not_there_stops_start_up_naming_gis_tiles(tmp_path):
    from backend.config import ConfigError

    with pytest.raises(ConfigError) as exc:
        config_with_tiles(tmp_path, "missing.pmtiles")
    assert [p[0] for p in exc.value.problems] == ["gis.tiles"]
