"""The `events:` configuration: the demo loads; every mistake is reported with its key path."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from backend.config import DEFAULT_CONFIG, ConfigError, load_config, parse_config

RAW = yaml.safe_load(DEFAULT_CONFIG.read_text())


def parse(mutate, tmp_path: Path | None = None):
    data = copy.deepcopy(RAW)
    mutate(data["events"])
    src = str(DEFAULT_CONFIG) if tmp_path is None else str(tmp_path / "c.yaml")
    return parse_config(data, src)


def problems(mutate, tmp_path=None) -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as exc:
        parse(mutate, tmp_path)
    return exc.value.problems


def test_demo_events_load_with_grids_taxonomy_and_departments():
    cfg = load_config(DEFAULT_CONFIG)
    ev = cfg.events
    assert len(ev.grids_geojson["features"]) == 24  # config/district/grids.geojson (scripts/make_district.py)
    assert {d.id for d in ev.departments} >= {"sanitation", "water", "traffic-police"}
    assert ev.node_limit("verify").value == 30 and ev.node_limit("close").unit == "hours"


def test_a_config_without_events_still_loads():
    data = copy.deepcopy(RAW)
    del data["events"]
    cfg = parse_config(data, str(DEFAULT_CONFIG))
    assert cfg.events.taxonomy == [] and cfg.events.grids_geojson is None


@pytest.mark.parametrize("mutate, path", [
    (lambda e: e["departments"].append({"id": "sanitation", "name": "again"}), "events.departments"),
    (lambda e: e["taxonomy"][0]["minors"].append({"code": "0201", "name": "x"}), "events.taxonomy[0].minors[3].code"),
    (lambda e: e["taxonomy"][0]["minors"][0].update(department="nobody"), "events.taxonomy[0].minors[0].department"),
    (lambda e: e["routing"]["rules"][0].update(department="nobody"), "events.routing.rules[0].department"),
    (lambda e: e["routing"]["rules"][0].update(areas=["s-north"]), "events.routing.rules[0].areas[0]"),
    (lambda e: e["routing"]["rules"][0].update(categories=["7777"]), "events.routing.rules[0].categories[0]"),
    (lambda e: e["escalation"][0].update(level="planet"), "events.escalation[0].level"),
    (lambda e: e["calendar"].update(hours=[["25:00", "26:00"]]), "events.calendar.hours"),
    (lambda e: e["taxonomy"][0]["minors"][0].update(deadlines={"large": {"value": 1, "unit": "work_days"}}),
     "events.taxonomy[0].minors[0].deadlines"),
    (lambda e: e["taxonomy"][0]["minors"][0].update(code="123"), "events.taxonomy[0].minors[0].code"),
    (lambda e: e.update(grids="nowhere.geojson"), "events"),
    (lambda e: e.update(colour="red"), "events.colour"),
])
def test_mistakes_name_their_key(mutate, path):
    found = problems(mutate)
    assert any(p == path or p.startswith(path) for p, _ in found), found


def test_a_bad_grids_file_is_reported(tmp_path):
    (tmp_path / "g.geojson").write_text('{"type": "FeatureCollection", "features": [{"type": "Feature"}]}')
    found = problems(lambda e: e.update(grids="g.geojson"), tmp_path)
    assert any("properties.id" in msg for _, msg in found), found
