"""Patrol coverage: squares of a grid that a track passed through today."""

from backend.dashboards.coverage import PatrolSquares
from backend.events.geo import GridIndex


def square_grid(gid: str, lon0: float, lat0: float, size: float) -> dict:
    ring = [[lon0, lat0], [lon0 + size, lat0], [lon0 + size, lat0 + size], [lon0, lat0 + size], [lon0, lat0]]
    return {"type": "Feature", "properties": {"id": gid}, "geometry": {"type": "Polygon", "coordinates": [ring]}}


GRIDS = GridIndex.from_geojson({"type": "FeatureCollection", "features": [
    square_grid("a", 117.0, 36.0, 0.005), square_grid("b", 117.005, 36.0, 0.005)]})


def test_every_grid_is_cut_into_squares_counted_once():
    sq = PatrolSquares.of(GRIDS, 50)
    # 0.005 degrees is about 556 m north-south and 450 m east-west here: about 11 x 9 squares of 50 m
    assert 80 <= sq.totals["a"] <= 120 and abs(sq.totals["a"] - sq.totals["b"]) <= 12


def test_a_track_point_covers_the_square_it_lies_in_and_outside_the_grids_none():
    sq = PatrolSquares.of(GRIDS, 50)
    grid, name = sq.covered(36.0021, 117.0021)
    assert grid == "a" and sq.covered(36.00212, 117.00212) == (grid, name)  # a few metres on: the same square
    assert sq.covered(36.0021, 117.0071)[0] == "b"
    assert sq.covered(35.9, 117.0) is None
    assert sq.share("a", sq.totals["a"] // 2) == (sq.totals["a"] // 2) / sq.totals["a"]
    assert sq.share("a", 10_000) == 1.0
