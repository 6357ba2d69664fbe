"""The hall's configuration: one YAML file validated into typed models at start.

Every problem is reported with its key path and what is allowed (`ConfigError`).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

if TYPE_CHECKING:
    from media.server import MediaSettings

from layouts import LayoutError, WallSpec, build_wall
from layouts.wall import Wall
from media.credentials import url_password

from .calls.config import CallsConfig
from .connectors.config import ConnectorConfig
from .dashboards.config import DashboardName, DashboardsConfig
from .events.config import EventsConfig
from .events.figures import FIGURES
from .gis.config import GisConfig
from .intercom.config import IntercomConfig
from .roles import Role
from .rooms.config import RoomsConfig
from .rules.config import RulesConfig
from .workers.config import WorkersConfig

SOURCE_SCHEMES = ("rtsp", "rtsps", "file", "pattern", "whip", "whep", "wheps")
ID_PATTERN = r"^[A-Za-z0-9_.:-]{1,64}$"
ENV_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]{0,127}$"


class ConfigError(Exception):
    """A configuration that cannot be used; `problems` lists (key path, message)."""

    def __init__(self, problems: list[tuple[str, str]], source: str = "") -> None:
        self.problems = problems
        self.source = source
        where = f"{source}: " if source else ""
        super().__init__("\n".join(f"{where}{path}: {msg}" for path, msg in problems))


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ServerConfig(_Model):
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=0, le=65535)] = 8080
    data_dir: str = "./data"
    public_url: str | None = Field(None, description="URL printed for pages; default http(s)://host:port")
    tls_cert: str | None = Field(None, description="PEM certificate: serve HTTPS (phones need it for the camera, "
                                 "microphone and location); with tls_key")
    tls_key: str | None = Field(None, description="PEM private key of tls_cert")

    @model_validator(mode="after")
    def _tls_pair(self) -> ServerConfig:
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("tls_cert and tls_key go together")
        return self


class RedisConfig(_Model):
    url: str | None = Field(None, description="Redis URL; the REDIS_URL environment variable wins; unset: embedded")
    server_binary: str | None = Field(None, description="redis-server to start when embedded; default: found on PATH")

    @field_validator("url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        if v is not None and urlparse(v).scheme not in ("redis", "rediss", "unix"):
            raise ValueError("must be a redis://, rediss:// or unix:// URL")
        return v


class PasswordHashing(_Model):
    """The Argon2id cost of password hashes made from now on; a stored hash is checked with its own parameters.
    The defaults are RFC 9106's second recommendation (64 MiB, 3 passes); OWASP's floor is 19 MiB and 2 passes."""

    time_cost: Annotated[int, Field(ge=1, le=20, description="passes over the memory")] = 3
    memory_kib: Annotated[int, Field(ge=1024, le=4 * 1024 * 1024, description="memory per hash (KiB)")] = 65536
    parallelism: Annotated[int, Field(ge=1, le=16, description="lanes (threads) per hash")] = 4


class AuthConfig(_Model):
    password_hashing: PasswordHashing = Field(default_factory=PasswordHashing)
    token_ttl_hours: Annotated[float, Field(gt=0, le=24 * 365)] = 12
    login_max_failures: Annotated[int, Field(ge=1, le=100, description="failed logins of one user from one "
                                             "address before that pair waits lockout_seconds")] = 5
    login_max_failures_per_address: Annotated[int, Field(ge=1, le=10_000, description="failed logins from one "
                                                         "address (any users) before it waits")] = 20
    lockout_seconds: Annotated[int, Field(ge=1, le=86400)] = 300
    hash_workers: Annotated[int, Field(ge=1, le=8, description="threads that check passwords (Argon2, 64 MiB "
                                       "each); wall and event work never wait for them")] = 1
    hash_queue: Annotated[int, Field(ge=0, le=1000, description="logins that may wait for a hashing thread; "
                                     "beyond, 429 with Retry-After")] = 4
    token_default_days: Annotated[float, Field(gt=0, le=366, description="lifetime of `hall token` tokens "
                                               "unless --ttl-days says otherwise")] = 90
    trusted_proxies: list[str] = Field([], description="addresses of reverse proxies whose X-Forwarded-For "
                                       "names the client (for login throttling)")


class UserConfig(_Model):
    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
    role: Role
    password: str | None = Field(None, description="bootstrap password (demo only); prefer password_env")
    password_env: str | None = Field(None, description="environment variable holding the password")
    display_name: str | None = None

    @field_validator("password")
    @classmethod
    def _long_enough(cls, v: str | None) -> str | None:
        if v is not None and len(v) < 8:
            raise ValueError("must have at least 8 characters")
        return v

    @model_validator(mode="after")
    def _one_password(self) -> UserConfig:
        if self.password is None and self.password_env is None:
            raise ValueError("give password or password_env")
        return self


class SourceConfig(_Model):
    id: Annotated[str, Field(pattern=ID_PATTERN)]
    name: str
    url: str = Field(..., description="rtsp://, file://, pattern://, whip:// (published at /whip/{id}) or whep:// "
                     "(wheps://: over HTTPS; another centre's WHEP output, pulled)")
    sub_url: str | None = Field(None, description="sub-stream, used when the source is shown small")
    username: str | None = Field(None, min_length=1, description="camera user, joined into the rtsp:// URLs "
                                 "only where the camera is opened")
    password_env: str | None = Field(None, pattern=ENV_PATTERN,
                                     description="environment variable holding the camera's password")
    group: str = "Cameras"
    lat: float | None = None
    lon: float | None = None

    @field_validator("url", "sub_url")
    @classmethod
    def _scheme(cls, v: str | None) -> str | None:
        if v is None:
            return v
        scheme = urlparse(v).scheme
        if scheme not in SOURCE_SCHEMES:
            raise ValueError(f"scheme {scheme or '(none)'!r} is not one of {', '.join(SOURCE_SCHEMES)}")
        return v

    @model_validator(mode="after")
    def _credentials(self) -> SourceConfig:
        problems = []
        if (self.username or self.password_env) and self.kind != "rtsp":
            key = "username" if self.username else "password_env"
            problems.append(f"{key}: only rtsp:// and rtsps:// cameras take a user and password")
        elif self.password_env and not self.username:
            problems.append("username: give the camera's user name too (password_env holds only the password)")
        elif self.username:
            problems += [f"{key}: the user is given by username, so leave it out of the URL"
                         for key, url in (("url", self.url), ("sub_url", self.sub_url))
                         if url and urlparse(url).username is not None]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def passwords_in_urls(self) -> list[str]:
        """The keys (url, sub_url) whose URL has a password written in it."""
        return [key for key, url in (("url", self.url), ("sub_url", self.sub_url)) if url_password(url)]

    @property
    def kind(self) -> str:
        scheme = urlparse(self.url).scheme
        return {"rtsps": "rtsp", "wheps": "whep"}.get(scheme, scheme)


FigureName = Literal[FIGURES]  # type: ignore[valid-type]


class PanelConfig(_Model):
    id: Annotated[str, Field(pattern=ID_PATTERN)]
    name: str
    kind: Literal["chart", "map", "dashboard", "ticker"] = "chart"
    figures: list[FigureName] = Field([], max_length=6,
                                      description="event figures drawn in the panel, sharing it; none: the title")
    dashboard: DashboardName | None = Field(None, description="kind dashboard: which of the five wall dashboards")
    connectors: list[str] = Field([], description="kind ticker: the connectors whose lines run in it (none: all)")

    @model_validator(mode="after")
    def _dashboard(self) -> PanelConfig:
        if (self.kind == "dashboard") != (self.dashboard is not None):
            raise ValueError("dashboard: a panel of kind dashboard names its dashboard (information, events, "
                             "disputes, warning, performance), and only such a panel does")
        if self.connectors and self.kind != "ticker":
            raise ValueError("connectors: only a ticker panel lists connectors")
        return self


class DisplayConfig(_Model):
    timezone: str = "Asia/Shanghai"
    fps: Annotated[int, Field(ge=1, le=60)] = 25
    labels: bool = Field(True, description="draw each video window's source name and the local time on it")

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r} (use an IANA name like Asia/Shanghai)") from None
        return v


class EncoderConfig(_Model):
    """x264 settings of the one encoder per screen (media/encoder.py)."""

    preset: Literal["ultrafast", "superfast", "veryfast", "faster", "fast", "medium"] = "ultrafast"
    bitrate_kbps: Annotated[int, Field(ge=100, le=50_000)] = 2500
    gop_seconds: Annotated[float, Field(gt=0, le=30)] = 2.0
    threads: Annotated[int, Field(ge=0, le=64, description="0: x264 decides")] = 0


class IceServerConfig(_Model):
    urls: list[Annotated[str, Field(pattern=r"^(stun|turn|turns):[^\s]+$")]] = Field(
        ..., min_length=1, description="stun:host:port, turn:host:port?transport=udp|tcp, turns:...")
    username: str | None = None
    credential: str | None = Field(None, description="TURN password (prefer credential_env)")
    credential_env: str | None = Field(None, description="environment variable holding the TURN password")

    def credential_value(self) -> str | None:
        return os.environ.get(self.credential_env) if self.credential_env else self.credential


class WebRtcConfig(_Model):
    """Calls, rooms and video: how peer connections find each other. A closed hall network answers no public
    STUN server, so none is used unless listed here (a TURN server, e.g. Debian's coturn, for phones on mobile
    networks)."""

    ice_servers: list[IceServerConfig] = Field([], description="STUN/TURN servers for every peer connection, "
                                               "ours and the pages'; aiortc uses at most one STUN and one TURN")
    connect_timeout_s: Annotated[float, Field(gt=1, le=120)] = 20

    @field_validator("ice_servers")
    @classmethod
    def _one_of_each(cls, v: list[IceServerConfig]) -> list[IceServerConfig]:
        kinds = [u.split(":", 1)[0].replace("turns", "turn") for s in v for u in s.urls]
        for kind in ("stun", "turn"):
            if kinds.count(kind) > 1:
                raise ValueError(f"at most one {kind.upper()} server: aiortc uses only one of each")
        return v


class CascadeTargetConfig(_Model):
    """Another centre's WHIP endpoint and what the hall publishes to it."""

    name: Annotated[str, Field(pattern=ID_PATTERN)]
    url: str = Field(..., description="the other centre's WHIP endpoint, http:// or https://")
    publish: str = Field(..., description="a wall screen's id, or a source's id (sent full-frame at `size`)")
    token_env: str | None = Field(None, pattern=ENV_PATTERN,
                                  description="environment variable holding the bearer token the other centre gave")
    enabled: bool = Field(True, description="published from start-up (the console can start and stop it)")
    size: tuple[Annotated[int, Field(ge=64, le=3840, multiple_of=2)],
                Annotated[int, Field(ge=64, le=2160, multiple_of=2)]] = (1280, 720)
    bitrate_kbps: Annotated[int, Field(ge=100, le=50_000)] | None = None

    @field_validator("url")
    @classmethod
    def _http(cls, v: str) -> str:
        u = urlparse(v)
        if u.scheme not in ("http", "https") or not u.netloc:
            raise ValueError("must be an http:// or https:// URL of the other centre's WHIP endpoint")
        if u.password or u.username:
            raise ValueError("leave the credentials out of the URL (the bearer token goes in token_env)")
        return v


class CascadeConfig(_Model):
    """Video exchanged with the centres above and below: what we publish over WHIP (pulls are whep:// sources)."""

    targets: list[CascadeTargetConfig] = []
    retry_s: Annotated[float, Field(gt=0, le=60, description="the first retries after a failure")] = 1.0
    quick_retries: Annotated[int, Field(ge=0, le=100)] = 3
    retry_max_s: Annotated[float, Field(gt=0, le=600, description="retries back off, doubling, to this")] = 10.0
    demo_feeds: list[str] = Field([], description="`hall demo` only: whip:// sources into which centres simulated "
                                  "on this machine publish a picture of their own")

    @model_validator(mode="after")
    def _unique_names(self) -> CascadeConfig:
        seen: set[str] = set()
        problems = []
        for i, t in enumerate(self.targets):
            if t.name in seen:
                problems.append(f"targets[{i}].name: duplicate target {t.name!r}")
            seen.add(t.name)
        if problems:
            raise ValueError("; ".join(problems))
        return self


class HallConfig(_Model):
    district: str = "Demo district"
    server: ServerConfig = ServerConfig()
    redis: RedisConfig = RedisConfig()
    auth: AuthConfig = AuthConfig()
    display: DisplayConfig = DisplayConfig()
    encoder: EncoderConfig = EncoderConfig()
    webrtc: WebRtcConfig = WebRtcConfig()
    wall: WallSpec
    sources: list[SourceConfig] = []
    panels: list[PanelConfig] = []
    users: list[UserConfig] = []
    events: EventsConfig = EventsConfig()
    gis: GisConfig = GisConfig()
    workers: WorkersConfig = WorkersConfig()
    calls: CallsConfig = CallsConfig()
    rooms: RoomsConfig = RoomsConfig()
    cascade: CascadeConfig = CascadeConfig()
    dashboards: DashboardsConfig = DashboardsConfig()
    connectors: list[ConnectorConfig] = []
    rules: RulesConfig = RulesConfig()
    intercom: IntercomConfig = IntercomConfig()

    @model_validator(mode="after")
    def _unique_ids(self) -> HallConfig:
        problems = _duplicates(self.model_dump())
        if problems:
            raise ValueError("; ".join(f"{path}: {msg}" for path, msg in problems))
        return self

    @model_validator(mode="after")
    def _demo_workers(self) -> HallConfig:
        workers = {u.name for u in self.users if u.role == Role.WORKER}
        named = self.workers.demo.simulated if isinstance(self.workers.demo.simulated, list) else []
        problems = [f"workers.demo.simulated[{i}]: {name!r} is not a user of role worker"
                    for i, name in enumerate(named) if name not in workers]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @model_validator(mode="after")
    def _cascade_publishes_what_we_have(self) -> HallConfig:
        try:
            screens = {s.id for s in build_wall(self.wall).screens}
        except LayoutError:  # reported as the wall's own problem
            return self
        sources = {s.id for s in self.sources}
        problems = [f"cascade.targets[{i}].publish: {t.publish!r} is neither a screen nor a source "
                    f"(screens: {', '.join(sorted(screens))})"
                    for i, t in enumerate(self.cascade.targets) if t.publish not in screens | sources]
        feeds = {s.id for s in self.sources if s.kind == "whip"}
        problems += [f"cascade.demo_feeds[{i}]: {f!r} is not a whip:// source" for i, f in
                     enumerate(self.cascade.demo_feeds) if f not in feeds]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @model_validator(mode="after")
    def _references(self) -> HallConfig:
        """Names that must point at something configured: tickers' connectors, alarms' connectors and map panels."""
        problems = []
        connectors = {c.id: c for c in self.connectors}
        panels = {p.id: p for p in self.panels}
        for i, p in enumerate(self.panels):
            problems += [f"panels[{i}].connectors[{j}]: no connector {c!r}" for j, c in enumerate(p.connectors)
                         if c not in connectors]
        screens = {s.id for s in self.wall.screens} | {f"{b.id}-{r + 1}-{c + 1}" for b in self.wall.blocks
                                                       for r in range(b.rows) for c in range(b.cols)}
        for i, rule in enumerate(self.rules.alarms):
            where = f"rules.alarms[{i}]"
            problems += [f"{where}.screens[{j}]: no screen {sid!r}" for j, sid in enumerate(rule.screens)
                         if sid not in screens]
            panel = panels.get(rule.map_panel)
            if panel is None or panel.kind != "map":
                problems.append(f"{where}.map_panel: {rule.map_panel!r} is not a panel of kind map")
            if rule.warnings is not None:
                conn = connectors.get(rule.warnings.connector)
                if conn is None or conn.alert is None:
                    problems.append(f"{where}.warnings.connector: {rule.warnings.connector!r} is not a connector "
                                    "with an alert")
                elif unknown := [lv for lv in rule.warnings.levels if lv not in conn.alert.levels]:
                    problems.append(f"{where}.warnings.levels: {', '.join(map(repr, unknown))} not among the "
                                    f"connector's alert levels ({', '.join(conn.alert.levels)})")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def build_wall(self) -> Wall:
        return build_wall(self.wall)

    def media_settings(self) -> MediaSettings:
        """What the media server needs of this configuration."""
        from media.cascade import PublishTarget
        from media.encoder import EncoderSettings  # the media stack is loaded only by what runs it
        from media.links import Backoff
        from media.server import MediaSettings
        from media.webrtc import IceServer

        ice = [IceServer(tuple(s.urls), s.username, s.credential_value()) for s in self.webrtc.ice_servers]
        c = self.cascade
        targets = [PublishTarget(t.name, t.url, t.publish, t.token_env, t.size, t.bitrate_kbps) for t in c.targets]
        return MediaSettings(fps=self.display.fps, timezone=self.display.timezone, labels=self.display.labels,
                             encoder=EncoderSettings(**self.encoder.model_dump()), ice_servers=ice,
                             connect_timeout_s=self.webrtc.connect_timeout_s, cascade=targets,
                             backoff=Backoff(c.retry_s, c.quick_retries, c.retry_max_s))


def _duplicates(data: dict) -> list[tuple[str, str]]:
    """Duplicate source/panel ids and user names; works on raw YAML too, so it is reported with other problems."""
    problems: list[tuple[str, str]] = []
    for field, key, what in (("sources", "id", "id"), ("panels", "id", "id"), ("users", "name", "user"),
                             ("connectors", "id", "id")):
        items = data.get(field)
        seen: set[object] = set()
        for i, item in enumerate(items if isinstance(items, list) else []):
            value = item.get(key) if isinstance(item, dict) else None
            if not isinstance(value, str):
                continue
            if value in seen:
                problems.append((f"{field}[{i}].{key}", f"duplicate {what} {value!r}"))
            seen.add(value)
    return problems


def _loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _problems_from_validation(exc: ValidationError) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    for err in exc.errors():
        path = _loc(tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-"))))
        msg = err["msg"]
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, "):]
        if err["type"] == "extra_forbidden":
            msg = "unknown key (check the spelling; see config/README.md for every key)"
        elif err["type"] in ("literal_error", "enum"):
            msg = f"{msg} (got {err.get('input')!r})"
        # model-level validators report several problems joined by '; ' with their own paths
        if err["type"] == "value_error" and ("; " in msg or re.match(r"^[a-z_]+(\[\d+\])?[.:]", msg)):
            for piece in msg.split("; "):
                sub_path, _, sub_msg = piece.partition(": ")
                problems.append((f"{path}.{sub_path}" if path != "(top level)" else sub_path, sub_msg))
        else:
            problems.append((path, msg))
    return problems


def parse_config(data: object, source: str = "") -> HallConfig:
    """Validate already-parsed YAML; raise ConfigError listing every problem."""
    if not isinstance(data, dict):
        raise ConfigError([("(top level)", "must be a mapping of keys")], source)
    try:
        cfg = HallConfig.model_validate(data, context={"config_dir": str(Path(source).parent) if source else "."})
    except ValidationError as exc:
        # Report the checks that field errors keep pydantic from running, too: every problem at once.
        problems = _problems_from_validation(exc)
        problems += [p for p in _duplicates(data) if p not in problems]
        if not any(path == "wall" or path.startswith(("wall.", "wall[")) for path, _ in problems):
            try:
                build_wall(WallSpec.model_validate(data.get("wall")))
            except (ValidationError, LayoutError) as wall_exc:
                if isinstance(wall_exc, LayoutError):
                    problems += [(f"wall.{e.path}", e.message) for e in wall_exc.errors]
        raise ConfigError(problems, source) from None
    try:
        cfg.build_wall()
    except LayoutError as exc:
        raise ConfigError([(f"wall.{e.path}", e.message) for e in exc.errors], source) from None
    return cfg


def apply_overrides(data: object, overrides: list[str] | tuple[str, ...]) -> object:
    """`KEY=VALUE` settings (dotted keys into mappings, values read as YAML) applied over a configuration's data;
    ConfigError naming the setting when one is malformed or goes through something that is not a mapping."""
    problems: list[tuple[str, str]] = []
    root = data if isinstance(data, dict) else {}
    for item in overrides:
        key, sep, raw = item.partition("=")
        parts = key.strip().split(".")
        if not sep or not all(parts):
            problems.append((item, "a setting is KEY=VALUE with a dotted key, e.g. display.fps=15"))
            continue
        try:
            value = yaml.safe_load(raw)
        except yaml.YAMLError:
            problems.append((key, f"the value {raw!r} is not valid YAML"))
            continue
        node = root
        for i, part in enumerate(parts[:-1]):
            nxt = node.setdefault(part, {})
            if not isinstance(nxt, dict):
                problems.append((key, f"{'.'.join(parts[:i + 1])} is not a mapping"))
                break
            node = nxt
        else:
            node[parts[-1]] = value
    if problems:
        raise ConfigError(problems, "--set")
    return root


def load_config(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> HallConfig:
    """Read and validate a YAML configuration file, with `KEY=VALUE` overrides (`hall serve --set`) over it."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([("(file)", f"cannot read {p}: {exc.strerror}")], str(p)) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
        raise ConfigError([(where, f"not valid YAML: {getattr(exc, 'problem', exc)}")], str(p)) from None
    if overrides:
        data = apply_overrides(data, overrides)
    return parse_config(data, str(p))


DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "config" / "demo.yaml"
