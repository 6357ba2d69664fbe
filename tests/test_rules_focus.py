"""An alarm's focus scene: the map round the place and the nearest cameras, laid out in the region."""

from backend.rules.focus import Camera, focus_windows, nearest_cameras
from layouts import Rect
from layouts.window import MapFocus

CAMS = [Camera("far", "Far", 36.70, 117.10), Camera("near", "Near", 36.651, 117.101),
        Camera("mid", "Mid", 36.66, 117.10)]


def test_the_cameras_nearest_the_place_come_first_with_their_distance():
    near = nearest_cameras(CAMS, 36.65, 117.10, 2)
    assert [n.camera.id for n in near] == ["near", "mid"]
    assert 100 < near[0].distance_m < 200


def test_a_wide_region_gets_the_map_on_the_left_and_the_cameras_stacked_on_the_right():
    region = Rect(100, 0, 3000, 1500)
    focus = MapFocus(lat=36.65, lon=117.1, label="x")
    ws = focus_windows(region, "flood", "focus-map", focus, "Alarm", nearest_cameras(CAMS, 36.65, 117.1, 3))
    assert [w.id for w in ws] == ["alarm-flood-map", "alarm-flood-cam1", "alarm-flood-cam2", "alarm-flood-cam3"]
    assert ws[0].rect == Rect(100, 0, 2000, 1500) and ws[0].focus == focus and ws[0].panel == "focus-map"
    cams = [w.rect for w in ws[1:]]
    assert all(r.x == 2100 and r.right == 3100 for r in cams)
    assert cams[0].y == 0 and cams[-1].bottom == 1500 and sum(r.h for r in cams) == 1500
    assert ws[1].source == "near" and ws[1].title.startswith("Near · ")


def test_a_tall_region_puts_the_cameras_in_a_row_below_and_no_cameras_leaves_the_map_alone():
    region = Rect(0, 0, 1000, 2000)
    ws = focus_windows(region, "r", "m", MapFocus(lat=36.65, lon=117.1), "A", nearest_cameras(CAMS, 36.65, 117.1, 2))
    assert ws[0].rect == Rect(0, 0, 1000, 1333)
    assert [(w.rect.y, w.rect.w) for w in ws[1:]] == [(1333, 500), (1333, 500)]
    only = focus_windows(region, "r", "m", MapFocus(lat=36.65, lon=117.1), "A", [])
    assert len(only) == 1 and only[0].rect == region
