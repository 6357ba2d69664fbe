"""The demo district's map: made by scripts/make_district.py (deterministic), kept in config/district/, and
plausible: the old grids as they were, every worker on a grid, cameras where their names say."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from backend.config import ConfigError, parse_config
from backend.events.geo import GridIndex
from backend.gis.address import PlaceFinder
from backend.gis.district import District, distance_m
from tests.events_support import CFG

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("make_district", ROOT / "scripts" / "make_district.py")
make = importlib.util.module_from_spec(spec)
spec.loader.exec_module(make)

OLD_GRIDS = {  # config/grids.geojson before the map: id -> (name, community, street, worker, [w, s, e, n])
    "g01": ("Harmony grid 1", "c-harmony", "s-west", "worker1", [117.095, 36.64, 117.11, 36.655]),
    "g02": ("Sunshine grid 1", "c-sunshine", "s-west", "worker2", [117.11, 36.64, 117.125, 36.655]),
    "g03": ("Riverside grid 1", "c-riverside", "s-east", "worker1", [117.125, 36.64, 117.14, 36.655]),
    "g04": ("Wetland grid 1", "c-wetland", "s-east", "worker2", [117.14, 36.64, 117.155, 36.655]),
    "g05": ("Harmony grid 2", "c-harmony", "s-west", "worker3", [117.095, 36.655, 117.11, 36.67]),
    "g06": ("Sunshine grid 2", "c-sunshine", "s-west", "worker3", [117.11, 36.655, 117.125, 36.67]),
    "g07": ("Riverside grid 2", "c-riverside", "s-east", "worker4", [117.125, 36.655, 117.14, 36.67]),
    "g08": ("Wetland grid 2", "c-wetland", "s-east", "worker4", [117.14, 36.655, 117.155, 36.67]),
}


@pytest.fixture(scope="module")
def district() -> dict[str, dict]:
    return make.make_district()


def test_the_files_in_config_are_what_the_script_makes(district):
    for stem, collection in district.items():
        assert (ROOT / "config" / "district" / f"{stem}.geojson").read_text(encoding="utf-8") == make.dumps(
            collection), f"config/district/{stem}.geojson is stale: run scripts/make_district.py"
    assert make.make_district(7) != district  # the seed matters ...
    assert make.make_district() == district  # ... and the same seed makes the same map


def test_the_old_grids_keep_their_ids_names_areas_workers_and_outlines(district):
    feats = {f["properties"]["id"]: f for f in district["grids"]["features"]}
    for gid, (name, community, street, worker, (w, s, e, n)) in OLD_GRIDS.items():
        p = feats[gid]["properties"]
        assert (p["name"], p["community"], p["street"], p["worker"]) == (name, community, street, worker)
        assert p["workers"][0] == worker
        assert feats[gid]["geometry"]["coordinates"] == [[[w, s], [e, s], [e, n], [w, n], [w, s]]]
    assert [f["properties"]["id"] for f in district["grids"]["features"][:8]] == list(OLD_GRIDS)


def test_twenty_odd_grids_tile_the_district_and_every_worker_has_one(district):
    grids = district["grids"]["features"]
    assert len(grids) >= 20
    index = GridIndex.from_geojson(district["grids"])
    w, s, e, n = 117.0875, 36.6325, 117.1625, 36.6775
    steps = 40
    for i in range(steps):  # every point of the district lies in exactly one grid (edges aside)
        for j in range(steps):
            lat, lon = s + (n - s) * (j + 0.5) / steps, w + (e - w) * (i + 0.5) / steps
            assert sum(g.contains(lat, lon) for g in index.grids) == 1, (lat, lon)
    workers = {x for g in grids for x in g["properties"]["workers"]}
    assert workers == {f"worker{i}" for i in range(1, 33)}
    for g in grids:
        assert g["properties"]["worker"] in g["properties"]["workers"]
    # worker1..worker4 look after the grids they always had, and no more (what they see of events holds)
    for k in range(1, 5):
        had = sorted(gid for gid, v in OLD_GRIDS.items() if v[3] == f"worker{k}")
        assert sorted(g["properties"]["id"] for g in grids if f"worker{k}" in g["properties"]["workers"]) == had


def test_a_plausible_district_a_river_roads_buildings_with_residents_and_components(district):
    assert [f["properties"]["kind"] for f in district["water"]["features"]] == ["river", "lake"]
    roads = district["roads"]["features"]
    assert len(roads) >= 15 and any(r["properties"]["class"] == "rail" for r in roads)
    buildings = district["buildings"]["features"]
    assert 200 <= len(buildings) <= 800
    residential = [b["properties"] for b in buildings if b["properties"]["use"] == "residential"]
    assert all(p["residents"] > 0 and p["households"] > 0 and p["height"] == p["floors"] * 3 + 1 for p in residential)
    for b in buildings:  # no building in the river
        for lon, lat in b["geometry"]["coordinates"][0]:
            x, y = make.xy(lon, lat)
            assert abs(y - make.river_y(x)) > make.RIVER_HALF_WIDTH + 20, b["properties"]["name"]
    comps = district["components"]["features"]
    kinds = {c["properties"]["kind"] for c in comps}
    assert 200 <= len(comps) <= 1000 and len(kinds) >= 5
    assert all(c["properties"]["grid"] for c in comps)
    areas = [a["properties"] for a in district["areas"]["features"] if a["properties"]["kind"] == "residential"]
    assert len(areas) >= 10
    by_area: dict[str, int] = {}
    for p in residential:
        by_area[p["area"]] = by_area.get(p["area"], 0) + p["residents"]
    assert all(by_area.get(a["id"], 0) == a["residents"] for a in areas)  # an area's total is its buildings'


def test_the_demo_cameras_stand_where_their_names_say(district):
    cams = {s.id: s for s in CFG.sources if s.lat is not None}
    places = {f["properties"]["camera"]: f for f in district["places"]["features"] if "camera" in f["properties"]}
    assert set(cams) == set(places)
    for cam_id, cam in cams.items():
        lon, lat = places[cam_id]["geometry"]["coordinates"]
        assert distance_m(cam.lat, cam.lon, lat, lon) < 5, cam_id
    river_cams = [c for c in cams.values() if c.group == "River and flood" and c.id.startswith("cam-river")]
    for c in river_cams:  # by the river: within 150 m of its middle line
        x, y = make.xy(c.lon, c.lat)
        assert abs(y - make.river_y(x)) < 150, c.id
    district_model = District(CFG)
    finder = PlaceFinder(district_model, 60)
    assert "Riverside garden, building 7" == finder.place(cams["cam-community-02"].lat, cams["cam-community-02"].lon)
    for c in cams.values():  # every camera stands on the map
        assert district_model.grid_index.locate(c.lat, c.lon) is not None, c.id


def test_a_district_folder_that_is_missing_or_broken_stops_start_up_naming_the_key(tmp_path):
    import yaml
    raw = yaml.safe_load((ROOT / "config" / "demo.yaml").read_text())
    raw["events"]["grids"] = str(ROOT / "config" / "district" / "grids.geojson")
    raw["gis"]["district"] = str(tmp_path / "none")
    with pytest.raises(ConfigError) as exc:
        parse_config(raw, str(tmp_path / "hall.yaml"))
    assert any(p[0].startswith("gis") and "no folder" in p[1] for p in exc.value.problems)
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "buildings.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "no id"}, "geometry": {"type": "Point", "coordinates": [1, 2]}}]}))
    raw["gis"]["district"] = str(tmp_path / "d")
    with pytest.raises(ConfigError) as exc:
        parse_config(raw, str(tmp_path / "hall.yaml"))
    assert any("buildings.geojson" in p[1] and "properties.id" in p[1] for p in exc.value.problems)
    raw["gis"] = {"tiles": "ftp://tiles/{z}/{x}/{y}.png"}
    with pytest.raises(ConfigError) as exc:
        parse_config(raw, str(tmp_path / "hall.yaml"))
    assert [p[0] for p in exc.value.problems] == ["gis.tiles"]
