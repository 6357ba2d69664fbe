"""`hall bench` refuses bad options with a clear message before doing any work."""

import json
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


def test_hall_bench_events_with_no_windows_exits_2_naming_the_option():
    proc = subprocess.run([HALL, "bench", "events", "--windows", "0"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "--windows" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.slow
def test_hall_bench_events_runs_end_to_end_and_reports_each_window(tmp_path):
    """A short real run (its own Redis with fsync on every write, a `hall serve`, a console listening):
    the JSON line accounts for every report and every broadcast, window by window."""
    import json
    import os

    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}  # the bench starts its own Redis
    proc = subprocess.run([HALL, "bench", "events", "--rate", "80", "--duration", "1", "--windows", "2",
                           "--saturation", "1", "--concurrency", "8"], capture_output=True, text=True, timeout=120,
                          env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    assert res["durability"] == "appendonly yes, appendfsync always"
    fixed = res["fixed"]
    assert fixed["windows"] == len(fixed["per_window"]) == 2
    assert fixed["sent"] == fixed["acked"] == 160 and fixed["errors"] == 0
    assert fixed["broadcast_received"] == 160  # every acknowledged report reached the console
    for w in fixed["per_window"]:
        assert w["acked"] == 80 and w["ack_p50_ms"] > 0 and w["loop_stalls"]["late"] >= 0
        assert isinstance(w["redis_worst_ms"], dict)  # the embedded Redis lets the bench read its latency
    sat = res["saturation"]
    assert sat["acked"] > 0 and sat["errors"] == 0 and sat["broadcast_received"] == sat["acked"]
    assert "windows with p99 < 50 ms" in proc.stdout


@pytest.mark.slow
def test_hall_bench_lists_gives_the_same_answers_as_a_full_scan(tmp_path):
    import json
    import os

    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    proc = subprocess.run([HALL, "bench", "lists", "--events", "300", "--repeat", "1"], capture_output=True,
                          text=True, timeout=120, env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    assert res["events"] == 300 and len(res["queries"]) >= 9
    assert all(q["same_answer"] for q in res["queries"])
    assert any(0 < q["matches"] < 300 for q in res["queries"])  # the filters really filter
    assert all(q["ours_ms"] > 0 and q["reference_ms"] > 0 for q in res["queries"])


def test_hall_bench_soak_ends_every_call_and_room_it_makes():
    """Two rounds of a call and a room of two: every thread, file, task, source, output and encoder a round made is
    gone after it; the memory figures are printed (judged on a long run, not here)."""
    proc = subprocess.run([HALL, "bench", "soak", "--rounds", "2", "--warmup-rounds", "1", "--seconds", "1",
                           "--participants", "2"], capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    rounds, [summary] = lines[:-1], lines[-1:]
    assert [r["round"] for r in rounds] == [1, 2] and summary["bench"] == "soak"
    assert summary["peer_connections_made"] == 8 and summary["rss_kib_end"] > 0
    left = summary["left_over_start"]
    assert (left["open_files"], left["tasks"], left["sources"], left["outputs"], left["encoders"]) == (0, 0, 0, 0, 0)
    assert rounds[0]["threads"] == rounds[1]["threads"], rounds  # pools made by the first round, none after


@pytest.mark.parametrize(("env", "expected"), [({}, "2"), ({"MALLOC_ARENA_MAX": "4"}, "None")])
def test_the_malloc_arenas_are_limited_unless_the_environment_says(env, expected):
    import os
    import sys

    code = "from backend.malloc import limit_arenas; print(limit_arenas())"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          env={k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"} | env)
    assert proc.returncode == 0 and proc.stdout.strip() == expected, proc.stderr
