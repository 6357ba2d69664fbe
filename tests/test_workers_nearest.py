"""The nearest-workers choice (pure): the radius widens in steps until enough fit, candidates by distance with the
place's own grid workers marked, every skip explained, and what is short said in a sentence; and who looks after
which grid (a grid's `worker` and its `workers` list)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.config import DEFAULT_CONFIG, load_config
from backend.events.geo import GridIndex
from backend.workers.config import NearestConfig, WorkersConfig
from backend.workers.model import GridWorker, distance_m, outside_view
from backend.workers.nearest import WHY, metres, select

NOW = 1_750_000_000.0
CFG = NearestConfig(radius_steps_m=[500, 1000, 2000, 5000], limit=10, enough=3)


def worker(name: str, status: str = "on_duty", age: float | None = 10, call: str | None = None,
           grids: tuple[str, ...] = ()) -> GridWorker:
    return GridWorker(name, f"Grid worker {name}", status, NOW - 3600, 36.65 if age is not None else None,
                      117.1 if age is not None else None, NOW - age if age is not None else None, 10.0, "g01", call,
                      grids)


def choose(seen, **kw):
    return select(seen, now=NOW, cfg=kw.pop("cfg", CFG), stale_after_s=120, **kw)


def test_radius_widens_step_by_step_until_enough_workers_fit():
    seen = [(worker("a"), 300), (worker("b"), 900), (worker("c"), 1800), (worker("d"), 4000)]
    out = choose(seen)
    assert out["radius_m"] == 2000
    assert out["radii_tried"] == [500, 1000, 2000]
    assert [c["name"] for c in out["candidates"]] == ["a", "b", "c"]
    assert out["short"] is None
    assert out["skipped"] == []  # enough fit: the one further out needs no excuse


def test_first_step_is_kept_when_it_already_holds_enough():
    out = choose([(worker("a"), 100), (worker("b"), 200), (worker("c"), 450), (worker("d"), 480)])
    assert out["radius_m"] == 500 and out["radii_tried"] == [500]
    assert [c["distance_m"] for c in out["candidates"]] == [100, 200, 450, 480]


def test_candidates_are_sorted_by_distance_and_cut_at_the_limit():
    seen = [(worker(f"w{i}"), 400 - i * 10) for i in range(8)]
    out = choose(seen, limit=5)
    assert [c["distance_m"] for c in out["candidates"]] == [330, 340, 350, 360, 370]
    assert out["more"] == 3


def test_each_unavailable_worker_inside_the_radius_is_skipped_with_the_reason():
    seen = [(worker("off", status="off_duty"), 100), (worker("busy", status="busy"), 150),
            (worker("calling", call="call-1"), 200), (worker("old", age=600), 250), (worker("ok"), 300)]
    out = choose(seen)
    assert [c["name"] for c in out["candidates"]] == ["ok"]
    reasons = {s["name"]: s["reason"] for s in out["skipped"]}
    assert reasons == {"off": "off_duty", "busy": "busy", "calling": "in_call", "old": "stale"}
    stale = next(s for s in out["skipped"] if s["name"] == "old")
    assert stale["why"] == "position 10 min old (stale after 2 min)"


def test_a_busy_worker_in_a_call_is_told_as_in_a_call_and_off_duty_wins_over_everything():
    out = choose([(worker("x", status="busy", call="c"), 100), (worker("y", status="off_duty", call="c"), 100)])
    assert {s["name"]: s["reason"] for s in out["skipped"]} == {"x": "in_call", "y": "off_duty"}


def test_nobody_fitting_says_what_is_short_and_who_is_nearest_further_out():
    seen = [(worker("off", status="off_duty"), 300), (worker("busy", status="busy"), 800),
            (worker("far"), 7200)]
    out = choose(seen)
    assert out["candidates"] == []
    assert out["radius_m"] == 5000 and out["radii_tried"] == [500, 1000, 2000, 5000]
    assert out["short"] == ("Nobody available within 5 km: 1 off duty, 1 busy. "
                            "Nearest available further out: Grid worker far, 7.2 km away.")
    far = next(s for s in out["skipped"] if s["name"] == "far")
    assert far["reason"] == "outside_radius" and far["why"] == "7.2 km away, outside the 5 km searched"


def test_too_few_says_how_many_were_wanted():
    out = choose([(worker("a"), 100), (worker("b", age=1000), 200)])
    assert [c["name"] for c in out["candidates"]] == ["a"]
    assert out["short"].startswith("Only 1 available within 5 km (3 wanted): 1 with a stale position.")


def test_nobody_at_all_on_duty_is_said_plainly():
    out = choose([(worker("a", status="off_duty", age=None), None)])
    assert out["short"] == "Nobody available within 5 km. No other worker on duty has a fresh position."


def test_the_event_grids_own_workers_are_marked_and_explained_even_far_away():
    seen = [(worker("near"), 100), (worker("n2"), 120), (worker("n3"), 130),
            (worker("mine", grids=("g07",)), 200), (worker("away", status="off_duty", age=None, grids=("g07",)), None),
            (worker("far-mine", grids=("g07",)), 9000)]
    out = choose(seen, event_grid="g07")
    cands = {c["name"]: c["own_grid"] for c in out["candidates"]}
    assert cands == {"near": False, "n2": False, "n3": False, "mine": True}
    skipped = {s["name"]: s["reason"] for s in out["skipped"]}
    assert skipped == {"away": "off_duty", "far-mine": "outside_radius"}  # their own grid's: always told
    assert out["skipped"][0]["own_grid"] is True


def test_other_systems_see_who_how_far_and_status_never_where():
    out = choose([(worker("a"), 100)])
    seen = outside_view(out["candidates"][0])
    assert seen == {"name": "a", "display_name": "Grid worker a", "distance_m": 100, "status": "on_duty"}


def test_distances_agree_with_redis_and_read_well():
    # one degree of latitude on Redis's earth radius
    assert distance_m(36.0, 117.0, 37.0, 117.0) == pytest.approx(111_226, rel=1e-4)
    assert [metres(m) for m in (450, 1000, 2500, 5040)] == ["450 m", "1 km", "2.5 km", "5 km"]


def test_radius_steps_must_grow():
    with pytest.raises(ValueError, match="grow"):
        WorkersConfig.model_validate({"nearest": {"radius_steps_m": [1000, 500]}})


def test_a_worker_may_look_after_several_grids_and_a_grid_have_several_workers():
    geo = load_config(DEFAULT_CONFIG).events.grids_geojson
    features = [dict(f, properties={k: v for k, v in f["properties"].items() if k != "workers"})
                for f in geo["features"][:3]]
    features[0]["properties"]["workers"] = ["worker1", "worker9", "worker10"]
    features[1]["properties"]["workers"] = ["worker9"]
    grids = GridIndex.from_geojson({**geo, "features": features})
    assert grids.workers_of("g01") == ("worker1", "worker9", "worker10")
    assert grids.of_worker("worker9") == ("g01", "g02")
    assert grids.of_worker("worker1") == ("g01", "g03")  # g03 through its `worker` alone
    assert grids.locate(36.6475, 117.1021).id == "g01"
    assert grids.locate(10.0, 10.0) is None


@given(st.lists(st.tuples(st.sampled_from(["on_duty", "busy", "off_duty"]), st.one_of(st.none(), st.floats(0, 900)),
                          st.booleans(), st.one_of(st.none(), st.floats(0, 20_000)), st.booleans()),
                max_size=25),
       st.integers(1, 12))
def test_nearest_choice_properties(rows, limit):
    seen = [(worker(f"w{i}", status=s, age=age, call="c" if call else None, grids=("g01",) if own else ()),
             d if age is not None else None) for i, (s, age, call, d, own) in enumerate(rows)]
    out = choose(seen, event_grid="g01", limit=limit)
    cands = out["candidates"]
    # candidates: available, inside the chosen radius, nearest first, at most `limit`
    assert [c["distance_m"] for c in cands] == sorted(c["distance_m"] for c in cands)
    assert len(cands) <= limit
    assert all(c["status"] == "on_duty" and c["call"] is None and c["position_age_s"] <= 120
               and c["distance_m"] <= out["radius_m"] for c in cands)
    # the radius is the first step holding enough available workers, else the widest
    available = sorted(d for (w, d) in seen if d is not None and w.status == "on_duty" and not w.call
                       and not w.stale(NOW, 120))
    fits = [r for r in CFG.radius_steps_m if sum(1 for d in available if d <= r) >= CFG.enough]
    assert out["radius_m"] == (fits[0] if fits else CFG.radius_steps_m[-1])
    # nobody is both proposed and skipped; every skip has a reason and words for it
    assert not {c["name"] for c in cands} & {s["name"] for s in out["skipped"]}
    assert all(s["reason"] in WHY and s["why"] for s in out["skipped"])
    # the event grid's own workers are all accounted for
    own = {w.name for w, _ in seen if "g01" in w.grids}
    told = {c["name"] for c in cands} | {s["name"] for s in out["skipped"]}
    available_inside_over_limit = out["more"]
    assert own <= told or available_inside_over_limit > 0
    assert (out["short"] is None) == (len([d for d in available if d <= out["radius_m"]]) >= CFG.enough)
