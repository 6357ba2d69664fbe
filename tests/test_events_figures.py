"""The wall panels' Plotly figures from real statistics (the real EventService on a real Redis), the map of
open events, and the `figures` a panel names in the configuration."""

from __future__ import annotations

import time

import plotly.graph_objects as go
import pytest
import yaml

from backend import appkeys
from backend.auth import Identity
from backend.config import DEFAULT_CONFIG, ConfigError, parse_config
from backend.events.figures import FIGURES, LIGHT_COLOURS, bars, figure, lines, stacked, state_label
from backend.events.schemas import ActionIn, EventsQuery, ReportIn
from backend.events.service import EventService
from backend.store import connect
from tests.conftest import seed_demo_users
from tests.events_support import CFG, make_client, report_body, tokens

OPERATOR = Identity("operator1", "operator")


@pytest.fixture
async def redis(redis_url):
    client = connect(redis_url)
    yield client
    await client.aclose()


async def report(svc: EventService, **kw):
    body = {"channel": "worker", "description": "seen on patrol", "category": "0101", "lat": 36.645, "lon": 117.100}
    body.update(kw)
    who = Identity("worker1", "worker") if body["channel"] == "worker" else Identity("integration", "integration")
    ev, _ = await svc.report(ReportIn(**{k: v for k, v in body.items() if v is not None}), who)
    return ev


async def a_day_of_events(svc: EventService) -> list:
    """Reports on several channels and classes; one goes round the loop to closed, one is refused."""
    evs = [await report(svc), await report(svc, category="0301", lat=36.662, lon=117.115),
           await report(svc, channel="camera", category="0402", lat=36.657, lon=117.125),
           await report(svc, channel="resident", category="0203", lat=None, lon=None, address="Harmony Rd 9")]
    done = evs[1].id
    for action, body, who in (("accept", {}, OPERATOR), ("register", {}, OPERATOR),
                              ("dispatch", {"department": "traffic-police"}, Identity("commander1", "commander")),
                              ("receive", {}, Identity("dept1", "department")),
                              ("feedback", {"result": "towed"}, Identity("dept1", "department")),
                              ("check_pass", {}, Identity("worker1", "worker")), ("close", {}, OPERATOR)):
        await svc.act(done, action, ActionIn(**body), who)
    await svc.act(evs[2].id, "refuse", ActionIn(note="not ours"), OPERATOR)
    return evs


def drawable(fig: dict) -> go.Figure:
    """The JSON as plotly.py reads it back: an unknown property or a bad value raises ValueError."""
    assert set(fig) >= {"data", "layout"} and isinstance(fig["data"], list) and isinstance(fig["layout"], dict)
    return go.Figure(fig)


async def test_every_figure_is_valid_plotly_json_from_real_statistics(redis, redis_url, demo_config):
    await seed_demo_users(redis_url, demo_config)  # people are named as they are called
    svc = EventService(redis, CFG)
    await a_day_of_events(svc)
    days = svc.period_days("today")
    stats, posts = await svc.stats(days), await svc.posts(days)
    views = [svc.view(e) for e in (await svc.list(EventsQuery(), OPERATOR))[0]]
    assert stats["total"] == 4
    for name in FIGURES:
        fig = figure(name, stats, posts, grids=CFG.events.grids_geojson, events=views)
        parsed = drawable(fig)
        assert parsed.layout.title.text, name
        assert fig["layout"]["paper_bgcolor"] == "rgba(0,0,0,0)", name  # the wall's dark background shows through
    states = figure("states", stats)["data"][0]
    assert dict(zip(states["x"], states["y"], strict=False)) == {state_label(k): v for k, v in stats["states"].items()}
    assert sum(states["y"]) == 4 and "To check on site" not in states["x"] and "Refused" in states["x"]
    assert sum(figure("hours", stats)["data"][0]["y"]) == 4
    channels = figure("channels", stats)["data"][0]
    assert dict(zip(channels["labels"], channels["values"], strict=False)) == {"Grid worker": 2, "Camera alarm": 1,
                                                                                "Resident app": 1}
    trend = figure("trend", stats)["data"]
    assert [t["name"] for t in trend] == ["Reported", "Closed"] and trend[0]["y"][-1] == 4 and trend[1]["y"][-1] == 1
    kpis = figure("kpis", stats)["data"][0]
    assert "Closure" in kpis["x"] and not any("_" in k for k in kpis["x"])  # as people say them, not closure_rate
    grades = figure("grades", stats, posts)["data"][0]
    assert grades["x"] and all(0 <= y <= 100 for y in grades["y"])
    assert "Grid worker Chen" in grades["x"] and "worker1" not in grades["x"]  # display names


def test_the_dashboards_charts_are_valid_plotly_json_with_every_value_written_out():
    fig = bars(["Grid worker", "Resident app"], [12, None], title="Sources")
    drawable(fig)
    assert fig["data"][0]["text"] == ["12", "–"] and fig["data"][0]["textposition"] == "outside"
    drawable(lines(["06-01", "06-02"], [("Reported", [3, 4], "#fff", "solid"), ("Closed", [1, None], "#0f0", "dot")]))
    st = stacked(["To dispatch", "In progress"], [("Neighbour dispute", [1, 2]), ("Night noise", [0, 1])])
    drawable(st)
    assert [t["name"] for t in st["data"]] == ["Neighbour dispute", "Night noise"]
    assert st["layout"]["barmode"] == "stack" and st["layout"]["xaxis"]["dtick"] == 1
    assert all("font" not in t for t in fig["data"])  # sizes come from the kiosk's pixel pitch


async def test_the_map_shows_grid_outlines_and_one_point_trace_coloured_by_the_countdown_light(redis):
    svc = EventService(redis, CFG)
    evs = [await report(svc), await report(svc, lat=36.662, lon=117.115), await report(svc, lat=36.657, lon=117.125),
           await report(svc, lat=None, lon=None, address="Harmony Rd 9")]
    t = time.time()
    # the accept node has 30 natural minutes: fresh is green, 25 minutes on yellow, 31 minutes on red
    views = [svc.view(evs[0], "screen", t), svc.view(evs[1], "screen", t + 25 * 60),
             svc.view(evs[2], "screen", t + 31 * 60), svc.view(evs[3], "screen", t)]
    assert [v["countdown"]["light"] for v in views[:3]] == ["green", "yellow", "red"]
    fig = figure("map", grids=CFG.events.grids_geojson, events=views)
    drawable(fig)
    outlines = [tr for tr in fig["data"] if tr.get("mode") == "lines"]
    points = [tr for tr in fig["data"] if tr.get("mode") == "markers"]
    assert len(points) == 1 and len(outlines) == 1
    grids = CFG.events.grids_geojson["features"]
    assert outlines[0]["x"].count(None) == len(grids) == 24  # one ring per grid, each ended by a gap
    first_ring = grids[0]["geometry"]["coordinates"][0]
    assert outlines[0]["x"][:len(first_ring)] == [p[0] for p in first_ring]
    pts = points[0]
    assert pts["text"] == [e.id for e in evs[:3]]  # the event without a place is not drawn
    assert pts["x"] == [117.100, 117.115, 117.125] and pts["y"] == [36.645, 36.662, 36.657]
    assert pts["marker"]["color"] == [LIGHT_COLOURS["green"], LIGHT_COLOURS["yellow"], LIGHT_COLOURS["red"]]
    assert fig["layout"]["yaxis"]["scaleanchor"] == "x" and 1.2 < fig["layout"]["yaxis"]["scaleratio"] < 1.3
    assert "mapbox" not in fig["layout"] and "map" not in fig["layout"]  # no tiles: the hall has no internet
    assert len(str(fig)) < 6000

    empty = figure("map", grids=None, events=[])
    drawable(empty)
    assert [len(tr["x"]) for tr in empty["data"]] == [0, 0]


async def test_the_map_route_shows_only_open_events_the_reader_may_see(redis_url, tmp_path):
    api = await make_client(redis_url, tmp_path)
    try:
        who = await tokens(api)
        ids = {}
        for name, body in (("g01", report_body()), ("far", report_body(lat=36.657, lon=117.125)),
                           ("refused", report_body()), ("nowhere", report_body(lat=None, lon=None))):
            resp = await api.post("/api/events", json=body, headers=who["integration"])
            assert resp.status == 201, await resp.text()
            ids[name] = (await resp.json())["event"]["id"]
        resp = await api.post(f"/api/events/{ids['refused']}/refuse", json={"note": "prank"}, headers=who["operator1"])
        assert resp.status == 200, await resp.text()
        screen_token = await api.app[appkeys.USERS].screen_token("led-main")  # what a kiosk sends
        resp = await api.get("/api/events/figures/map", headers={"Authorization": f"Bearer {screen_token}"})
        assert resp.status == 200, await resp.text()
        fig = await resp.json()
        pts = next(tr for tr in fig["data"] if tr["mode"] == "markers")
        assert sorted(pts["text"]) == sorted([ids["g01"], ids["far"]])
        assert pts["marker"]["color"] == [LIGHT_COLOURS["green"]] * 2
        # a grid worker's map holds what their list holds: their grids' events
        mine = (await (await api.get("/api/events?limit=500", headers=who["worker1"])).json())["events"]
        resp = await api.get("/api/events/figures/map", headers=who["worker1"])
        pts = next(tr for tr in (await resp.json())["data"] if tr["mode"] == "markers")
        expected = {e["id"] for e in mine if e["state"] not in ("refused",) and e["lat"] is not None}
        assert set(pts["text"]) == expected and ids["far"] not in expected
    finally:
        await api.close()


async def test_a_panel_part_of_a_screen_view_names_the_figures_to_draw(redis):
    from backend.schemas import LayoutState
    from backend.wall_control import WallControl
    from layouts.window import Window

    wall = CFG.build_wall()
    screen = wall.screen("led-main").canvas
    half = {"x": screen.x, "y": screen.y, "w": screen.w // 2, "h": screen.h}
    quarter = {**half, "w": screen.w // 4}
    windows = [Window(id="ec", kind="panel", panel="event-charts", rect=quarter, z=1),
               Window(id="em", kind="panel", panel="event-management", rect={**quarter, "x": screen.x + quarter["w"]},
                      z=1),
               Window(id="clock", kind="clock", rect={**half, "x": screen.x + screen.w // 2}, z=1)]
    view = WallControl(redis, CFG, wall).screen_view(LayoutState(version=3, windows=windows), "led-main")
    parts = {p["window_id"]: p for p in view["parts"]}
    assert parts["ec"]["figures"] == ["states", "channels", "trend", "kpis"] and parts["ec"]["panel_kind"] == "chart"
    assert parts["ec"]["panel_name"] == "Event charts"
    # a dashboard is pushed whole over /wall: no figures for the kiosk to fetch
    assert parts["em"]["panel_kind"] == "dashboard" and parts["em"]["figures"] == []
    assert "figures" not in parts["clock"]


def test_a_panel_naming_an_unknown_figure_is_a_start_up_error_naming_the_key():
    data = yaml.safe_load(DEFAULT_CONFIG.read_text())
    data["panels"][1]["figures"] = ["states", "pie-in-the-sky"]
    data["panels"][3]["figures"] = "hours"
    with pytest.raises(ConfigError) as err:
        parse_config(data, str(DEFAULT_CONFIG))
    problems = dict(err.value.problems)
    assert set(problems) == {"panels[1].figures[1]", "panels[3].figures"}
    assert "pie-in-the-sky" in problems["panels[1].figures[1]"] and "'map'" in problems["panels[1].figures[1]"]


def test_the_demo_panels_name_their_figures():
    cfg = parse_config(yaml.safe_load(DEFAULT_CONFIG.read_text()), str(DEFAULT_CONFIG))
    figures = {p.id: p.figures for p in cfg.panels if p.kind in ("chart", "map")}
    assert figures["district-map"] == ["map"] and figures["event-charts"] == ["states", "channels", "trend", "kpis"]
    assert all(figures.values()) and all(set(f) <= set(FIGURES) for f in figures.values())
    # the dashboards and the ticker draw from their pushed documents, not from figures
    assert all(not p.figures for p in cfg.panels if p.kind in ("dashboard", "ticker"))
