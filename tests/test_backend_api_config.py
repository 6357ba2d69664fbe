"""Configuration: every problem reported with its key path, from Python and from `hall check-config`."""

from __future__ import annotations

import copy
import subprocess
from pathlib import Path

import pytest
import yaml

from backend.config import DEFAULT_CONFIG, ConfigError, load_config, parse_config
from tests.conftest import HALL, ROOT

DEMO = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
SOURCE = str(DEFAULT_CONFIG)  # files the config names (e.g. event grids) are found next to it


def _write(data: dict, path: Path) -> Path:
    """Write a config elsewhere, with the files it names made absolute so they are still found."""
    data = copy.deepcopy(data)
    grids = data.get("events", {}).get("grids") if isinstance(data.get("events"), dict) else None
    if isinstance(grids, str):
        data["events"]["grids"] = str(DEFAULT_CONFIG.parent / grids)
    district = data.get("gis", {}).get("district") if isinstance(data.get("gis"), dict) else None
    if isinstance(district, str):
        data["gis"]["district"] = str(DEFAULT_CONFIG.parent / district)
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _problems(mutate) -> list[tuple[str, str]]:
    data = copy.deepcopy(DEMO)
    mutate(data)
    with pytest.raises(ConfigError) as info:
        parse_config(data, SOURCE)
    return info.value.problems


def _paths(mutate) -> list[str]:
    return [path for path, _ in _problems(mutate)]


def test_demo_config_is_valid():
    cfg = parse_config(copy.deepcopy(DEMO), SOURCE)
    assert len(cfg.build_wall().screens) == 7


def test_unknown_key_is_reported_with_its_path():
    problems = _problems(lambda d: d["server"].update(prot=8080))
    assert len(problems) == 1
    path, message = problems[0]
    assert path == "server.prot"
    assert "unknown key" in message


@pytest.mark.parametrize("where, path", [
    (lambda d: d["wall"].update(colour="red"), "wall.colour"),
    (lambda d: d["wall"]["screens"][0].update(colour="red"), "wall.screens[0].colour"),
    (lambda d: d["wall"]["blocks"][0].update(colour="red"), "wall.blocks[0].colour"),
])
def test_unknown_key_inside_the_wall_is_reported(where, path):
    problems = _problems(where)
    assert [p for p, _ in problems] == [path]
    assert "unknown key" in problems[0][1]


def test_wrong_type_is_reported():
    problems = _problems(lambda d: d["server"].update(port="x"))
    assert [p for p, _ in problems] == ["server.port"]
    assert "integer" in problems[0][1]


@pytest.mark.parametrize("port", [-1, 65536, 100000])
def test_port_out_of_range_is_reported_with_the_limit(port):
    problems = _problems(lambda d: d["server"].update(port=port))
    assert [p for p, _ in problems] == ["server.port"]
    assert ("65535" in problems[0][1]) or ("0" in problems[0][1])


def test_bad_role_names_the_allowed_roles():
    problems = _problems(lambda d: d["users"][1].update(role="boss"))
    assert [p for p, _ in problems] == ["users[1].role"]
    message = problems[0][1]
    for role in ("admin", "operator", "commander", "worker", "screen", "expert", "integration"):
        assert role in message
    assert "boss" in message


def test_short_password_is_reported_on_the_password_key():
    problems = _problems(lambda d: d["users"][1].update(password="short"))
    assert problems == [("users[1].password", "must have at least 8 characters")]


def test_user_without_any_password_is_reported():
    problems = _problems(lambda d: d["users"][2].pop("password"))
    assert [p for p, _ in problems] == ["users[2]"]
    assert "password_env" in problems[0][1]


def test_duplicate_source_id_is_reported_on_the_second():
    problems = _problems(lambda d: d["sources"][2].update(id=d["sources"][0]["id"]))
    assert [p for p, _ in problems] == ["sources[2].id"]
    assert "duplicate" in problems[0][1]


def test_duplicate_user_name_is_reported():
    problems = _problems(lambda d: d["users"].append({"name": "admin", "role": "admin", "password": "another-one"}))
    assert [p for p, _ in problems] == [f"users[{len(DEMO['users'])}].name"]


def test_bad_source_url_scheme_names_the_allowed_schemes():
    problems = _problems(lambda d: d["sources"][0].update(url="http://camera/stream"))
    assert [p for p, _ in problems] == ["sources[0].url"]
    assert "http" in problems[0][1] and "rtsp" in problems[0][1]


def test_unknown_time_zone_is_reported():
    problems = _problems(lambda d: d["display"].update(timezone="Mars/Olympus_Mons"))
    assert [p for p, _ in problems] == ["display.timezone"]
    assert "Mars/Olympus_Mons" in problems[0][1]


def test_non_positive_block_rows_is_reported():
    problems = _problems(lambda d: d["wall"]["blocks"][0].update(rows=0))
    assert [p for p, _ in problems] == ["wall.blocks[0].rows"]


def test_overlapping_screens_are_reported():
    problems = _problems(lambda d: d["wall"]["blocks"][0].update(origin_mm=[1000, 500]))
    assert [p for p, _ in problems] == ["wall.blocks[0].origin_mm"]
    assert "overlaps" in problems[0][1] and "led-main" in problems[0][1]


def test_several_problems_at_once_are_all_listed():
    def many(d):
        d["server"]["prot"] = 1
        d["server"]["port"] = "x"
        d["users"][1]["role"] = "boss"
        d["display"]["timezone"] = "Nowhere/City"
        d["sources"][0]["url"] = "http://x"
        d["sources"][2]["id"] = d["sources"][1]["id"]
        d["wall"]["blocks"][0]["rows"] = 0
    assert sorted(_paths(many)) == sorted([
        "server.prot", "server.port", "users[1].role", "display.timezone", "sources[0].url", "sources[2].id",
        "wall.blocks[0].rows"])


def test_top_level_that_is_not_a_mapping_is_reported():
    with pytest.raises(ConfigError) as info:
        parse_config(["not", "a", "mapping"])
    assert info.value.problems[0][0] == "(top level)"


def test_missing_wall_is_reported():
    assert _paths(lambda d: d.pop("wall")) == ["wall"]


def test_invalid_yaml_is_reported_with_line_and_column(tmp_path: Path):
    path = tmp_path / "bad.yaml"
    path.write_text("server:\n  port: 8080\n  host: [127.0.0.1\nwall: {}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    (where, message), = info.value.problems
    assert where.startswith("line ") and "column" in where
    assert "YAML" in message
    assert str(path) in str(info.value)


def test_missing_file_is_reported(tmp_path: Path):
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "nope.yaml")
    (where, message), = info.value.problems
    assert where == "(file)" and "nope.yaml" in message


def _check_config(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([HALL, "check-config", str(path)], capture_output=True, text=True, timeout=120, cwd=ROOT)


def test_check_config_cli_lists_every_problem_and_exits_1(tmp_path: Path):
    data = copy.deepcopy(DEMO)
    data["server"]["prot"] = 1
    data["users"][1]["role"] = "boss"
    data["sources"][0]["url"] = "http://x"
    data["wall"]["blocks"][0]["rows"] = -2
    path = _write(data, tmp_path / "hall.yaml")
    result = _check_config(path)
    assert result.returncode == 1, result.stdout + result.stderr
    out = result.stdout
    assert "4 problems" in out
    for key in ("server.prot:", "users[1].role:", "sources[0].url:", "wall.blocks[0].rows:"):
        assert key in out, out


def test_check_config_cli_reports_invalid_yaml_and_exits_1(tmp_path: Path):
    path = tmp_path / "broken.yaml"
    path.write_text("wall: [\n", encoding="utf-8")
    result = _check_config(path)
    assert result.returncode == 1
    assert "line " in result.stdout and "YAML" in result.stdout


def test_check_config_cli_accepts_the_demo_and_exits_0():
    result = _check_config(DEFAULT_CONFIG)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok" in result.stdout and "7 screens" in result.stdout


def test_settings_given_on_the_command_line_override_the_file():
    cfg = load_config(DEFAULT_CONFIG, ["display.fps=15", "auth.password_hashing={time_cost: 2, memory_kib: 19456}",
                                       "server.host=0.0.0.0"])
    assert cfg.display.fps == 15 and cfg.server.host == "0.0.0.0"
    assert (cfg.auth.password_hashing.time_cost, cfg.auth.password_hashing.memory_kib,
            cfg.auth.password_hashing.parallelism) == (2, 19456, 4)
    assert load_config(DEFAULT_CONFIG).auth.password_hashing.memory_kib == 65536  # RFC 9106's default


@pytest.mark.parametrize(("setting", "key", "says"), [
    ("display.fps", "display.fps", "KEY=VALUE"),
    ("display.fps=[", "display.fps", "not valid YAML"),
    ("district.name=x", "district.name", "district is not a mapping"),
    ("display.fps=fast", "display.fps", "integer"),
    ("auth.password_hashing.memory_kib=64", "auth.password_hashing.memory_kib", "1024"),
])
def test_a_bad_command_line_setting_is_reported_by_its_key(setting, key, says):
    with pytest.raises(ConfigError) as err:
        load_config(DEFAULT_CONFIG, [setting])
    assert any(k.startswith(key) and says in msg for k, msg in err.value.problems) or \
        any(says in k for k, _ in err.value.problems), err.value.problems


def test_hall_serve_names_a_bad_setting_and_exits_before_starting():
    result = subprocess.run([HALL, "serve", "--config", str(DEFAULT_CONFIG), "--set", "display.fps=fast"],
                            capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 1
    assert "display.fps" in result.stderr and "listening" not in result.stdout, result.stderr


async def test_new_password_hashes_take_the_configured_argon2_cost(redis_url):
    import redis.asyncio as aioredis

    from backend import keys
    from backend.auth import Users
    from backend.config import AuthConfig, PasswordHashing

    r = aioredis.Redis.from_url(redis_url, decode_responses=True)
    users = Users(r, AuthConfig(password_hashing=PasswordHashing(time_cost=2, memory_kib=2048, parallelism=1)))
    try:
        await users.add("light", "operator", "a long enough password")
        stored = await r.hget(keys.user("light"), "password_hash")
        assert stored.startswith("$argon2id$") and "m=2048,t=2,p=1" in stored
        token, ident, _ = await users.login("light", "a long enough password", "127.0.0.1")
        assert ident.name == "light" and token
    finally:
        users.close()
        await r.aclose()
