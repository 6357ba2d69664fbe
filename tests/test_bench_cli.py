"""`hall bench` refuses bad options with a clear message before doing any work."""

import subprocess

import pytest

from backend.bench.compositor import parse_scenario
from tests.conftest import HALL


def test_a_scenario_names_its_sources_and_screens():
    assert parse_scenario("4x1080p+2x720p:2") == ("4x1080p+2x720p->2", ["1080p"] * 4 + ["720p"] * 2, 2)
    assert parse_scenario("9x720p") == ("9x720p->1", ["720p"] * 9, 1)


@pytest.mark.parametrize("bad", ["4x1080p->2", "x720p", "4x480p", "4x1080p:0", "4x1080p:two"])
def test_a_bad_scenario_is_refused_with_the_expected_form(bad):
    with pytest.raises(ValueError, match="scenario"):
        parse_scenario(bad)


def test_hall_bench_compositor_with_a_bad_scenario_exits_2_naming_it():
    proc = subprocess.run([HALL, "bench", "compositor", "--scenario", "4x1080p->2"], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 2
    assert "--scenario '4x1080p->2'" in proc.stderr and "Traceback" not in proc.stderr
