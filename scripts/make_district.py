#!/usr/bin/env python3
"""Generate the demo district's map (config/district/*.geojson), deterministically from a seed.

Grids on the district's road lattice (g01..g08 as they always were, 16 more around them), the Xiaoqing
river with its wetland, roads and the railway, residential areas with their buildings (floors, height,
households, residents), city components along the roads, and the named places the demo cameras watch.

    python scripts/make_district.py [--seed 2024] [--out config/district] [--cameras]

`--cameras` prints the demo cameras' positions (config/demo.yaml `sources`) instead of writing files.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import random
from collections.abc import Iterable
from pathlib import Path

SEED = 2024
OUT = Path(__file__).resolve().parents[1] / "config" / "district"

# A local metric frame (x east, y north, metres) from the district's south-west corner.
LON0, LAT0 = 117.0875, 36.6325
M_LAT = 111_320.0
M_LON = M_LAT * math.cos(math.radians(36.655))

# The road lattice: the grid boundaries follow the main roads (a planned new district).
LON_LINES = [117.0875, 117.095, 117.110, 117.125, 117.140, 117.155, 117.1625]
LAT_LINES = [36.6325, 36.640, 36.655, 36.670, 36.6775]

RIVER_Y = (36.655 - LAT0) * M_LAT  # the river's mean line (the old grids' middle boundary)
RIVER_HALF_WIDTH = 35.0
RIVERSIDE_OFFSET = 110.0  # Riverside Rd runs along the north bank
RIVER_KEEP_OUT = 150.0  # nothing is built closer to the river's middle line than this


def xy(lon: float, lat: float) -> tuple[float, float]:
    return (lon - LON0) * M_LON, (lat - LAT0) * M_LAT


def lonlat(x: float, y: float) -> list[float]:
    return [round(LON0 + x / M_LON, 6), round(LAT0 + y / M_LAT, 6)]


def river_y(x: float) -> float:
    """The river's middle line: a long meander with a shorter one on it."""
    return RIVER_Y + 180 * math.sin(2 * math.pi * x / 3000 + 0.6) + 60 * math.sin(2 * math.pi * x / 1100 + 2.1)


WIDTH = xy(LON_LINES[-1], LAT0)[0]
HEIGHT = xy(LON0, LAT_LINES[-1])[1]


# -- grids -----------------------------------------------------------------------------------------------
# (col, row) of the lattice -> id, name, community, street, main worker. g01..g08 keep their ids, names,
# communities, streets and workers (the events' routing rules and tests use them).
GRIDS: list[tuple[tuple[int, int], str, str, str, str, str]] = [
    ((1, 1), "g01", "Harmony grid 1", "c-harmony", "s-west", "worker1"),
    ((2, 1), "g02", "Sunshine grid 1", "c-sunshine", "s-west", "worker2"),
    ((3, 1), "g03", "Riverside grid 1", "c-riverside", "s-east", "worker1"),
    ((4, 1), "g04", "Wetland grid 1", "c-wetland", "s-east", "worker2"),
    ((1, 2), "g05", "Harmony grid 2", "c-harmony", "s-west", "worker3"),
    ((2, 2), "g06", "Sunshine grid 2", "c-sunshine", "s-west", "worker3"),
    ((3, 2), "g07", "Riverside grid 2", "c-riverside", "s-east", "worker4"),
    ((4, 2), "g08", "Wetland grid 2", "c-wetland", "s-east", "worker4"),
    ((0, 0), "g09", "Station grid 1", "c-station", "s-west", "worker5"),
    ((1, 0), "g10", "Southgate grid 1", "c-southgate", "s-west", "worker6"),
    ((2, 0), "g11", "Southgate grid 2", "c-southgate", "s-west", "worker7"),
    ((3, 0), "g12", "Orchard grid 1", "c-orchard", "s-east", "worker8"),
    ((4, 0), "g13", "Orchard grid 2", "c-orchard", "s-east", "worker9"),
    ((5, 0), "g14", "Eastring grid 1", "c-eastring", "s-east", "worker10"),
    ((0, 3), "g15", "Station grid 4", "c-station", "s-west", "worker11"),
    ((1, 3), "g16", "Northgate grid 1", "c-northgate", "s-west", "worker12"),
    ((2, 3), "g17", "Northgate grid 2", "c-northgate", "s-west", "worker13"),
    ((3, 3), "g18", "Lakeview grid 1", "c-lakeview", "s-east", "worker14"),
    ((4, 3), "g19", "Lakeview grid 2", "c-lakeview", "s-east", "worker15"),
    ((5, 3), "g20", "Eastring grid 2", "c-eastring", "s-east", "worker16"),
    ((0, 1), "g21", "Station grid 2", "c-station", "s-west", "worker17"),
    ((0, 2), "g22", "Station grid 3", "c-station", "s-west", "worker18"),
    ((5, 1), "g23", "Eastring grid 3", "c-eastring", "s-east", "worker19"),
    ((5, 2), "g24", "Eastring grid 4", "c-eastring", "s-east", "worker20"),
]
# The other workers share grids with a main worker (worker1..worker4 stay on their own grids only, so
# what they see of the events does not change).
CO_WORKERS = {"g01": ["worker21"], "g02": ["worker22"], "g03": ["worker23"], "g04": ["worker24"],
              "g05": ["worker25"], "g06": ["worker26"], "g07": ["worker27"], "g08": ["worker28"],
              "g09": ["worker29"], "g10": ["worker30"], "g11": ["worker31"], "g12": ["worker32"],
              "g13": ["worker30"], "g19": ["worker27"], "g24": ["worker28"]}


def cell_rect(col: int, row: int) -> tuple[float, float, float, float]:
    x0, y0 = xy(LON_LINES[col], LAT_LINES[row])
    x1, y1 = xy(LON_LINES[col + 1], LAT_LINES[row + 1])
    return x0, y0, x1, y1


def grid_at(x: float, y: float) -> str | None:
    """The grid of a point (lattice lookup; the first listed wins on a shared edge, as GridIndex does)."""
    for (col, row), gid, *_ in GRIDS:
        x0, y0, x1, y1 = cell_rect(col, row)
        if x0 - 1e-6 <= x <= x1 + 1e-6 and y0 - 1e-6 <= y <= y1 + 1e-6:
            return gid
    return None


def grid_features() -> list[dict]:
    out = []
    for (col, row), gid, name, community, street, worker in GRIDS:
        if gid <= "g08":  # exactly as before: the degrees themselves, not a round trip through metres
            x0, y0, x1, y1 = LON_LINES[col], LAT_LINES[row], LON_LINES[col + 1], LAT_LINES[row + 1]
            ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
        else:
            ring = rect_ring(*cell_rect(col, row))
        out.append(feature({"id": gid, "name": name, "community": community, "street": street, "worker": worker,
                            "workers": [worker, *CO_WORKERS.get(gid, [])]}, "Polygon", [ring]))
    return out


# -- geometry helpers ------------------------------------------------------------------------------------
def feature(props: dict, kind: str, coords: object) -> dict:
    return {"type": "Feature", "properties": props, "geometry": {"type": kind, "coordinates": coords}}


def rect_ring(x0: float, y0: float, x1: float, y1: float) -> list[list[float]]:
    return [lonlat(x0, y0), lonlat(x1, y0), lonlat(x1, y1), lonlat(x0, y1), lonlat(x0, y0)]


def rotated_rect(cx: float, cy: float, w: float, h: float, angle: float) -> list[list[float]]:
    c, s = math.cos(angle), math.sin(angle)
    pts = [(-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2), (-w / 2, h / 2)]
    ring = [lonlat(cx + px * c - py * s, cy + px * s + py * c) for px, py in pts]
    return [*ring, ring[0]]


def polyline_points(line: list[tuple[float, float]], step: float) -> Iterable[tuple[float, float, float]]:
    """Points every `step` metres along a polyline, with the direction (radians) of the segment."""
    carry = step / 2
    for (ax, ay), (bx, by) in itertools.pairwise(line):
        seg = math.hypot(bx - ax, by - ay)
        ang = math.atan2(by - ay, bx - ax)
        d = carry
        while d < seg:
            t = d / seg
            yield ax + (bx - ax) * t, ay + (by - ay) * t, ang
            d += step
        carry = d - seg


def near_river(x: float, y: float, margin: float) -> bool:
    return abs(y - river_y(x)) < margin


# -- water, roads, railway ---------------------------------------------------------------------------------
WETLAND = (xy(117.1525, 36.6605), 330.0, 240.0)  # the wetland lake: centre, half-axes (m)


def river_line(step: float = 50.0) -> list[tuple[float, float]]:
    xs = [-100.0 + i * step for i in range(int((WIDTH + 200) / step) + 1)]
    return [(x, river_y(x)) for x in xs]


def water_features() -> list[dict]:
    line = river_line()
    north = [lonlat(x, y + RIVER_HALF_WIDTH) for x, y in line]
    south = [lonlat(x, y - RIVER_HALF_WIDTH) for x, y in reversed(line)]
    river = feature({"id": "w-xiaoqing", "name": "Xiaoqing river", "kind": "river"}, "Polygon",
                    [[*north, *south, north[0]]])
    (cx, cy), rx, ry = WETLAND
    ring = [lonlat(cx + rx * math.cos(a) * (1 + 0.08 * math.sin(3 * a)), cy + ry * math.sin(a))
            for a in (2 * math.pi * i / 48 for i in range(48))]
    lake = feature({"id": "w-wetland", "name": "Wetland park lake", "kind": "lake"}, "Polygon", [[*ring, ring[0]]])
    return [river, lake]


# N-S and E-W roads: name, class, fixed coordinate (degrees), extent (along the other axis, degrees or None).
NS_ROADS = [
    ("West Ring Rd", "trunk", 117.0875, None), ("Station Rd", "primary", 117.095, None),
    ("Harmony Rd", "secondary", 117.1025, None), ("Sunshine Rd", "primary", 117.110, None),
    ("Market St", "secondary", 117.1175, None), ("Central Ave", "primary", 117.125, None),
    ("Garden Rd", "secondary", 117.1325, None), ("Pump Station Rd", "primary", 117.140, None),
    ("Wetland Rd", "secondary", 117.1475, (36.6325, 36.6540)), ("Binhe Rd", "primary", 117.155, None),
    ("East Ring Rd", "trunk", 117.1625, None),
]
EW_ROADS = [
    ("South Ring Rd", "trunk", 36.6325), ("Jingshi Rd", "primary", 36.640), ("Xinhua Rd", "secondary", 36.6475),
    ("Century Ave", "primary", 36.6625), ("Xingfu Rd", "primary", 36.670), ("North Ring Rd", "trunk", 36.6775),
]
RAILWAY_LON = 117.0915
BRIDGED = ["Station Rd", "Sunshine Rd", "Central Ave", "Pump Station Rd", "Binhe Rd"]  # bridges 1..5, west to east


def road_lines() -> list[tuple[str, str, list[tuple[float, float]]]]:
    out: list[tuple[str, str, list[tuple[float, float]]]] = []
    for name, cls, lon, extent in NS_ROADS:
        x = xy(lon, LAT0)[0]
        y0, y1 = (0.0, HEIGHT) if extent is None else (xy(LON0, extent[0])[1], xy(LON0, extent[1])[1])
        if cls == "secondary" and extent is None:  # secondary streets stop at the river (no bridge)
            south_end = river_y(x) - RIVER_KEEP_OUT + 40
            north_start = river_y(x) + RIVERSIDE_OFFSET
            out.append((name, cls, [(x, y0), (x, south_end)]))
            out.append((name, cls, [(x, north_start), (x, y1)]))
        else:
            out.append((name, cls, [(x, y0), (x, y1)]))
    for name, cls, lat in EW_ROADS:
        y = xy(LON0, lat)[1]
        out.append((name, cls, [(0.0, y), (WIDTH, y)]))
    riverside = [(x, y + RIVERSIDE_OFFSET) for x, y in river_line(100.0) if 0 <= x <= WIDTH]
    out.append(("Riverside Rd", "secondary", riverside))
    return out


def road_features() -> list[dict]:
    feats = [feature({"id": f"r-{i + 1:02d}", "name": name, "class": cls}, "LineString",
                     [lonlat(x, y) for x, y in line]) for i, (name, cls, line) in enumerate(road_lines())]
    x = xy(RAILWAY_LON, LAT0)[0]
    feats.append(feature({"id": "r-rail", "name": "Jiqing high-speed railway", "class": "rail"}, "LineString",
                         [lonlat(x, -200), lonlat(x, HEIGHT + 200)]))
    return feats


# -- named places (what the cameras watch) --------------------------------------------------------------------
def bridge(n: int) -> tuple[float, float]:
    lon = next(lon for name, _, lon, _ in NS_ROADS if name == BRIDGED[n - 1])
    x = xy(lon, LAT0)[0]
    return x, river_y(x)


def places(buildings: list[dict]) -> list[dict]:
    """Named places (kind, name, position, the camera the demo puts there); `buildings` to find building 7."""
    b7 = next(f for f in buildings if f["properties"]["name"] == "Riverside garden, building 7")
    bx, by = xy(*b7["geometry"]["coordinates"][0][0])
    building_7 = (bx + 20, by - 12)  # at its south-west corner, looking along the front
    x_pump, x_gauge = xy(117.131, LAT0)[0], xy(117.1425, LAT0)[0]
    (wx, wy), wrx, _ = WETLAND
    b2x, b2y = bridge(2)
    rows = [
        ("bridge", f"Bridge {n} ({BRIDGED[n - 1]})", *bridge(n), None) for n in range(1, len(BRIDGED) + 1)
    ] + [
        ("bridge", "Riverside Rd, bridge 2 (north)", b2x + 12, b2y + RIVERSIDE_OFFSET - 8, "cam-river-01"),
        ("pump", "Riverside pump station", x_pump, river_y(x_pump) - 70, "cam-river-02"),
        ("gauge", "Xiaoqing river gauge", x_gauge, river_y(x_gauge) + RIVER_HALF_WIDTH + 10, "cam-river-03"),
        ("underpass", "Jingshi underpass", *xy(RAILWAY_LON, 36.640), "cam-underpass-01"),
        ("junction", "Century Ave / Harmony Rd", *xy(117.1025, 36.6625), "cam-traffic-01"),
        ("junction", "East ring, exit 4", *xy(117.1625, 36.670), "cam-traffic-02"),
        ("station", "High-speed rail station plaza", *xy(117.0938, 36.6450), "cam-traffic-03"),
        ("school", "No. 3 primary school gate", *xy(117.0990, 36.6472), "cam-school-01"),
        ("market", "Farmers' market, south hall", *xy(117.1140, 36.6632), "cam-market-01"),
        ("gate", "Sunshine community, gate 1", *xy(117.1140, 36.6405), "cam-community-01"),
        ("building", "Riverside garden, building 7", *building_7, "cam-community-02"),
        ("park", "Wetland park, east entrance", wx + wrx + 120, wy, "cam-park-01"),
        ("centre", "District social-governance service centre", *xy(117.1265, 36.6450), None),
        ("police", "Harmony police station", *xy(117.1060, 36.6610), None),
        ("hospital", "District people's hospital", *xy(117.1360, 36.6445), None),
    ]
    out = []
    for i, (kind, name, x, y, cam) in enumerate(rows):
        props = {"id": f"p-{i + 1:02d}", "name": name, "kind": kind, "grid": grid_at(x, y)}
        if cam:
            props["camera"] = cam
        out.append(feature(props, "Point", lonlat(x, y)))
    return out


# Reserved blocks (degrees: w, s, e, n) where no residential area goes: school, market, park, station...
RESERVED = [
    ("school", "No. 3 primary school", (117.0960, 36.6420, 117.1015, 36.6468), 3),
    ("market", "Farmers' market", (117.1115, 36.6635, 117.1165, 36.6665), 2),
    ("station", "High-speed rail station", (117.0920, 36.6432, 117.0945, 36.6468), 4),
    ("office", "District social-governance service centre", (117.1255, 36.6410, 117.1290, 36.6440), 12),
    ("hospital", "District people's hospital", (117.1335, 36.6415, 117.1385, 36.6440), 9),
    ("police", "Harmony police station", (117.1045, 36.6590, 117.1070, 36.6605), 5),
    ("park", "Wetland park", (117.1460, 36.6560, 117.1625, 36.6660), 0),
]
FIXED_AREAS = {  # residential areas the cameras name: block (degrees), name
    "Sunshine community": (117.1118, 36.6408, 117.1168, 36.6446),
    "Riverside garden": (117.1268, 36.6628, 117.1318, 36.6662),
}
AREA_NAMES = ["garden", "estate", "residence", "court", "new village", "homes"]


def _blocks() -> list[tuple[float, float, float, float]]:
    """The blocks between roads (metres), each inset from its roads."""
    xs = sorted({xy(lon, LAT0)[0] for _, cls, lon, ext in NS_ROADS if ext is None})
    ys = sorted({xy(LON0, lat)[1] for _, _, lat in EW_ROADS})
    inset = 30.0
    return [(x0 + inset, y0 + inset, x1 - inset, y1 - inset)
            for x0, x1 in itertools.pairwise(xs) for y0, y1 in itertools.pairwise(ys)]


def _overlaps(a: tuple[float, float, float, float], b: tuple[float, float, float, float], pad: float = 0) -> bool:
    return a[0] < b[2] + pad and b[0] < a[2] + pad and a[1] < b[3] + pad and b[1] < a[3] + pad


def _deg_rect(r: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    (x0, y0), (x1, y1) = xy(r[0], r[1]), xy(r[2], r[3])
    return x0, y0, x1, y1


def _river_free(r: tuple[float, float, float, float]) -> bool:
    x = r[0]
    while x <= r[2]:
        ry = river_y(x)
        if r[1] - RIVER_KEEP_OUT < ry < r[3] + RIVER_KEEP_OUT:
            return False
        x += 20
    (cx, cy), rx, ry = WETLAND
    return not _overlaps(r, (cx - rx, cy - ry, cx + rx, cy + ry), 60)


def areas_and_buildings(rng: random.Random) -> tuple[list[dict], list[dict]]:
    reserved = [_deg_rect(r) for _, _, r, _ in RESERVED]
    areas: list[tuple[str, tuple[float, float, float, float]]] = [
        (name, _deg_rect(r)) for name, r in FIXED_AREAS.items()]
    community_names = {gid: name.split(" grid")[0] for _, gid, name, *_ in GRIDS}
    used_names: set[str] = set(FIXED_AREAS)
    for block in _blocks():
        bw, bh = block[2] - block[0], block[3] - block[1]
        if bw < 180 or bh < 150 or rng.random() < 0.25:
            continue
        w, h = min(bw, rng.uniform(200, 380)), min(bh, rng.uniform(150, 300))
        x0 = rng.uniform(block[0], block[2] - w)
        y0 = rng.uniform(block[1], block[3] - h)
        r = (x0, y0, x0 + w, y0 + h)
        if not _river_free(r) or any(_overlaps(r, o, 40) for o in reserved) or any(
                _overlaps(r, o, 40) for _, o in areas):
            continue
        gid = grid_at((r[0] + r[2]) / 2, (r[1] + r[3]) / 2) or "g01"
        base = community_names[gid]
        name = f"{base} {rng.choice(AREA_NAMES)}"
        n = 2
        while name in used_names:
            name = f"{base} {rng.choice(AREA_NAMES)} {n}"
            n += 1
        used_names.add(name)
        areas.append((name, r))

    area_feats: list[dict] = []
    buildings: list[dict] = []
    for ai, (name, r) in enumerate(areas):
        aid = f"a-{ai + 1:02d}"
        kind = rng.choice(["low", "mid", "mid", "high"])
        floors_choice = {"low": [6, 7], "mid": [11, 12, 18], "high": [26, 28, 33]}[kind]
        slab_w, slab_d = (60.0, 13.0) if kind != "high" else (38.0, 20.0)
        gap_x, gap_y = 22.0, {"low": 32.0, "mid": 42.0, "high": 55.0}[kind]
        cols = max(1, int((r[2] - r[0] - 20 + gap_x) // (slab_w + gap_x)))
        rows = max(1, int((r[3] - r[1] - 20 + gap_y) // (slab_d + gap_y)))
        n = 0
        residents_total = households_total = 0
        gid = grid_at((r[0] + r[2]) / 2, (r[1] + r[3]) / 2)
        for row in range(rows):
            for col in range(cols):
                if rng.random() < 0.08 and not (name == "Riverside garden" and n == 6):
                    continue  # a gap: a garden, a car park
                n += 1
                cx = r[0] + 10 + slab_w / 2 + col * (slab_w + gap_x)
                cy = r[1] + 10 + slab_d / 2 + row * (slab_d + gap_y)
                floors = rng.choice(floors_choice)
                units = max(1, round(slab_w / 20))
                households = floors * units * 2
                residents = round(households * rng.uniform(2.2, 2.9))
                residents_total += residents
                households_total += households
                bgid = grid_at(cx, cy)
                buildings.append(feature({
                    "id": f"b-{len(buildings) + 1:04d}", "name": f"{name}, building {n}", "area": aid,
                    "use": "residential", "floors": floors, "height": floors * 3 + 1, "households": households,
                    "residents": residents, "grid": bgid,
                }, "Polygon", [rotated_rect(cx, cy, slab_w, slab_d, 0.0)]))
        area_feats.append(feature({"id": aid, "name": name, "kind": "residential", "grid": gid, "buildings": n,
                                   "households": households_total, "residents": residents_total},
                                  "Polygon", [rect_ring(*r)]))
    for use, name, rdeg, floors in RESERVED:
        if not floors:
            continue
        r = _deg_rect(rdeg)
        cx, cy = (r[0] + r[2]) / 2, (r[1] + r[3]) / 2
        w, h = (r[2] - r[0]) * 0.6, (r[3] - r[1]) * 0.5
        buildings.append(feature({
            "id": f"b-{len(buildings) + 1:04d}", "name": name, "area": None, "use": use, "floors": floors,
            "height": floors * 4, "households": 0, "residents": 0, "grid": grid_at(cx, cy),
        }, "Polygon", [rotated_rect(cx, cy, w, h, 0.0)]))
    reserved_feats = [feature({"id": f"a-{len(area_feats) + i + 1:02d}", "name": name, "kind": use,
                               "grid": grid_at(*_centre(_deg_rect(r))), "buildings": 1 if floors else 0,
                               "households": 0, "residents": 0}, "Polygon", [rect_ring(*_deg_rect(r))])
                      for i, (use, name, r, floors) in enumerate(RESERVED)]
    return area_feats + reserved_feats, buildings


def _centre(r: tuple[float, float, float, float]) -> tuple[float, float]:
    return (r[0] + r[2]) / 2, (r[1] + r[3]) / 2


# -- city components --------------------------------------------------------------------------------------
# kind -> (label, owner department, spacing along roads in metres, which road classes, side offset in metres)
COMPONENTS = {
    "street_light": ("Street light", "urban-mgmt", 420.0, {"trunk", "primary", "secondary"}, 14.0),
    "manhole": ("Manhole cover", "water", 560.0, {"trunk", "primary", "secondary"}, 3.0),
    "hydrant": ("Fire hydrant", "emergency", 800.0, {"primary", "secondary"}, -12.0),
    "bus_stop": ("Bus stop", "traffic-police", 900.0, {"trunk", "primary"}, 16.0),
    "trash_station": ("Refuse collection point", "sanitation", 700.0, {"secondary"}, -16.0),
    "traffic_signal": ("Traffic signal", "traffic-police", 0.0, set(), 0.0),
    "flood_gauge": ("Flood water-level gauge", "emergency", 0.0, set(), 0.0),
}


def component_features(rng: random.Random) -> list[dict]:
    out: list[dict] = []
    lines = road_lines()

    def add(kind: str, x: float, y: float, road: str | None) -> None:
        if near_river(x, y, RIVER_HALF_WIDTH + 5) and kind != "flood_gauge":
            return
        if not (0 <= x <= WIDTH and 0 <= y <= HEIGHT):
            return
        label, dept, *_ = COMPONENTS[kind]
        n = len(out) + 1
        state = "ok" if rng.random() > 0.06 else rng.choice(["damaged", "missing", "out_of_order"])
        out.append(feature({"id": f"cp-{n:04d}", "kind": kind, "name": f"{label} {kind[:2].upper()}-{n:04d}",
                            "road": road, "department": dept, "state": state, "grid": grid_at(x, y)},
                           "Point", lonlat(x, y)))

    for kind, (_label, _dept, step, classes, side) in COMPONENTS.items():
        if not step:
            continue
        for name, cls, line in lines:
            if cls not in classes:
                continue
            for x, y, ang in polyline_points(line, step * rng.uniform(0.9, 1.1)):
                # to one side of the carriageway, a little jitter
                ox, oy = -math.sin(ang) * side, math.cos(ang) * side
                add(kind, x + ox + rng.uniform(-4, 4), y + oy + rng.uniform(-4, 4), name)
    # traffic signals at the junctions of primary and trunk roads
    ns = [(name, xy(lon, LAT0)[0]) for name, cls, lon, ext in NS_ROADS if cls in ("primary", "trunk") and ext is None]
    ew = [(name, xy(LON0, lat)[1]) for name, cls, lat in EW_ROADS if cls in ("primary", "trunk")]
    for nsn, x in ns:
        for ewn, y in ew:
            if 0 < x < WIDTH and 0 < y < HEIGHT:
                add("traffic_signal", x + 10, y + 10, f"{nsn} / {ewn}")
    for x in range(150, int(WIDTH), 600):  # gauges along the river's south bank
        add("flood_gauge", float(x), river_y(x) - RIVER_HALF_WIDTH - 6, "Xiaoqing river")
    return out


# -- the whole district ----------------------------------------------------------------------------------
def make_district(seed: int = SEED) -> dict[str, dict]:
    """Every layer as a GeoJSON FeatureCollection, by file stem."""
    rng = random.Random(seed)
    areas, buildings = areas_and_buildings(rng)
    components = component_features(rng)

    def fc(name: str, feats: list[dict]) -> dict:
        return {"type": "FeatureCollection", "name": name, "features": feats}

    return {
        "grids": fc("Demo district basic grids", grid_features()),
        "water": fc("River and lakes", water_features()),
        "roads": fc("Roads and railway", road_features()),
        "areas": fc("Residential areas and other compounds", areas),
        "buildings": fc("Buildings", buildings),
        "components": fc("City components", components),
        "places": fc("Named places", places(buildings)),
    }


def dumps(collection: dict) -> str:
    """One feature per line: small diffs when the generator changes."""
    head = {k: v for k, v in collection.items() if k != "features"}
    lines = [json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in collection["features"]]
    return (json.dumps(head, ensure_ascii=False)[:-1] + ', "features": [\n' + ",\n".join(lines) + "\n]}\n")


def camera_positions(district: dict[str, dict]) -> dict[str, tuple[float, float]]:
    """source id -> (lat, lon) of the place it watches."""
    out = {}
    for f in district["places"]["features"]:
        cam = f["properties"].get("camera")
        if cam:
            lon, lat = f["geometry"]["coordinates"]
            out[cam] = (round(lat, 5), round(lon, 5))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--cameras", action="store_true", help="print the cameras' lat/lon for config/demo.yaml")
    args = ap.parse_args()
    district = make_district(args.seed)
    if args.cameras:
        for cam, (lat, lon) in camera_positions(district).items():
            print(f"{cam}: lat: {lat}, lon: {lon}")
        return
    args.out.mkdir(parents=True, exist_ok=True)
    for stem, collection in district.items():
        (args.out / f"{stem}.geojson").write_text(dumps(collection), encoding="utf-8")
        print(f"{stem}: {len(collection['features'])} features")


if __name__ == "__main__":
    main()
