"""Finding the grid of a point against the grids' GeoJSON."""

from __future__ import annotations

import pytest

from backend.events.geo import GeoError, GridIndex
from tests.events_support import CFG

GRIDS = GridIndex.from_geojson(CFG.events.grids_geojson)


def square(x0, y0, x1, y1):
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]


def test_demo_points_fall_in_their_grids():
    assert GRIDS.locate(36.645, 117.100).id == "g01"
    assert GRIDS.locate(36.660, 117.150).id == "g08"
    g = GRIDS.locate(36.650, 117.130)
    assert (g.id, g.community, g.street, g.worker) == ("g03", "c-riverside", "s-east", "worker1")


def test_a_point_outside_every_grid_is_none():
    assert GRIDS.locate(36.70, 117.12) is None
    assert GRIDS.locate(0, 0) is None


def test_holes_and_multipolygons():
    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": "donut"},
         "geometry": {"type": "Polygon", "coordinates": [square(0, 0, 10, 10), square(4, 4, 6, 6)]}},
        {"type": "Feature", "properties": {"id": "islands"},
         "geometry": {"type": "MultiPolygon", "coordinates": [[square(20, 0, 21, 1)], [square(30, 0, 31, 1)]]}},
        {"type": "Feature", "properties": {"id": "triangle"},
         "geometry": {"type": "Polygon", "coordinates": [[[40, 0], [50, 0], [45, 10], [40, 0]]]}},
    ]}
    idx = GridIndex.from_geojson(fc)
    assert idx.locate(1, 1).id == "donut"
    assert idx.locate(5, 5) is None  # in the hole
    assert idx.locate(0.5, 30.5).id == "islands" and idx.locate(0.5, 25) is None
    assert idx.locate(5, 45).id == "triangle" and idx.locate(9, 41) is None
    assert idx.locate(0, 5).id == "donut"  # on the edge counts as inside


@pytest.mark.parametrize("bad, where", [
    ({"type": "Feature"}, "FeatureCollection"),
    ({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": None}]},
     "properties.id"),
    ({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"id": "a"},
                                                 "geometry": {"type": "Point", "coordinates": [1, 2]}}]}, "geometry"),
    ({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"id": "a"}, "geometry": {
        "type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]]}}]},
     "at least 4"),
    ({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"id": "a"}, "geometry": {
        "type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}}]},
     "end where it starts"),
])
def test_bad_geojson_is_refused_with_its_place(bad, where):
    with pytest.raises(GeoError) as exc:
        GridIndex.from_geojson(bad)
    assert where in str(exc.value)
