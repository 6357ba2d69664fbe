"""The `hall` command: run the hall (demo or serve), check a configuration, manage users and tokens."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import ssl
import sys
from pathlib import Path

from .config import DEFAULT_CONFIG, ConfigError, HallConfig, load_config
from .logs import setup_logging
from .malloc import limit_arenas
from .redis_server import EmbeddedRedis, RedisStartError, read_state
from .roles import ROLES
from .store import redacted

log = logging.getLogger("hall")


def _print(*args: object) -> None:
    print(*args, flush=True)


# -- running the hall -----------------------------------------------------------
def _load(path: str, overrides: list[str] | None = None) -> HallConfig:
    try:
        return load_config(path, overrides or ())
    except ConfigError as exc:
        print(f"configuration error in {exc.source if exc.source == '--set' else path}:", file=sys.stderr)
        for key, msg in exc.problems:
            print(f"  {key}: {msg}", file=sys.stderr)
        raise SystemExit(1) from None


def run_hall(cfg: HallConfig, *, host: str, port: int, data_dir: str, demo: bool, tls_cert: str | None = None,
             tls_key: str | None = None, lan: bool = False) -> int:
    setup_logging(os.environ.get("HALL_LOG_LEVEL", "INFO"))
    arenas = limit_arenas()  # before any thread: a months-long run keeps less memory (backend/malloc.py)
    if arenas:
        log.info("malloc arenas limited", extra={"arenas": arenas})
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    data_dir = str(Path(data_dir).resolve())
    tls_cert, tls_key = tls_cert or cfg.server.tls_cert, tls_key or cfg.server.tls_key
    public = cfg.server.public_url
    if lan:  # phones on this network: all interfaces, HTTPS with a certificate made for this machine
        from .tls import lan_addresses, self_signed

        addresses = lan_addresses()
        host = "0.0.0.0"
        if not tls_cert:
            tls_cert, tls_key = self_signed(Path(data_dir) / "tls", addresses)
        if addresses and not public:
            public = f"https://{addresses[0]}:{port}"
    ssl_ctx = None
    if tls_cert and tls_key:
        from .tls import TlsError, server_context

        try:
            ssl_ctx = server_context(tls_cert, tls_key)
        except TlsError as exc:
            print(f"cannot serve HTTPS: {exc}", file=sys.stderr)
            return 1
    cfg = cfg.model_copy(update={"server": cfg.server.model_copy(update={"public_url": public})})
    url = os.environ.get("REDIS_URL") or cfg.redis.url
    embedded: EmbeddedRedis | None = None
    if not url:
        try:
            embedded = EmbeddedRedis(data_dir, cfg.redis.server_binary)
            url = embedded.start()
        except RedisStartError as exc:
            print(f"cannot start the embedded Redis: {exc}", file=sys.stderr)
            return 1
    try:
        asyncio.run(_serve(cfg, url, host, port, data_dir, demo, embedded is not None, ssl_ctx))
    except KeyboardInterrupt:
        pass
    except SystemExit as exc:
        return int(exc.code or 0)
    finally:
        if embedded is not None:
            embedded.stop()
    return 0


async def _serve(cfg: HallConfig, url: str, host: str, port: int, data_dir: str, demo: bool, embedded: bool,
                 ssl_ctx: ssl.SSLContext | None = None) -> None:
    from aiohttp import web

    from . import appkeys
    from .app import create_app

    app = create_app(cfg, url, media=True)
    app[appkeys.DATA_DIR] = data_dir  # event photos live under it
    if demo:
        from .connectors.demo import add_feeds  # the weather, traffic and news the demo's connectors read

        add_feeds(app)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, host, port, shutdown_timeout=3, ssl_context=ssl_ctx)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        print(f"cannot listen on {host}:{port}: {exc.strerror} (server.host / server.port, or --host / --port)",
              file=sys.stderr)
        raise SystemExit(1) from None
    bound = runner.addresses[0][1] if runner.addresses else port
    scheme = "https" if ssl_ctx is not None else "http"
    public = cfg.server.public_url
    if public and public.endswith(f":{port}") and port == 0:  # --lan with --port 0: the port bound
        public = public.rsplit(":", 1)[0] + f":{bound}"
    base = public or f"{scheme}://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{bound}"
    local = f"{scheme}://{'127.0.0.1' if host in ('', '0.0.0.0', '::') else host}:{bound}"
    app[appkeys.CONNECTORS].base_url = local  # connectors whose URL is a path read the hall itself
    stop = asyncio.Event()
    centres = None
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    hazards: asyncio.Task[None] | None = None
    try:
        if demo:
            await _seed_demo(app)
            from .events.demo import EventDemo  # the event flow of the demo district

            rate = float(os.environ.get("HALL_DEMO_EVENT_RATE") or cfg.events.demo.reports_per_minute)
            app[appkeys.EVENT_DEMO] = asyncio.create_task(EventDemo(app[appkeys.EVENTS], rate).run())
            from .workers.demo import WorkerDemo  # grid workers patrolling, as phones on the hall's own URL

            app[appkeys.WORKER_DEMO] = asyncio.create_task(WorkerDemo(local, cfg, app[appkeys.USERS]).run())
            from .cascade_demo import DemoCentres  # the command centres above and below, publishing to our feeds

            centres = DemoCentres(local, cfg, app[appkeys.MEDIA])
            centres.start()
            from .connectors.demo import HazardDemo  # the district's hazard service, posting to its webhook

            hazards = asyncio.create_task(HazardDemo(local, cfg).run())
        await _banner(app, cfg, base, url, data_dir, demo, embedded)
        await stop.wait()
        _print("stopping…")
    finally:
        if hazards is not None:
            hazards.cancel()
        if appkeys.WORKER_DEMO in app:  # the simulated phones hang up before the server closes
            app[appkeys.WORKER_DEMO].cancel()
            await asyncio.gather(app[appkeys.WORKER_DEMO], return_exceptions=True)
        if centres is not None:  # and the simulated centres end their sessions
            await centres.stop()
        await runner.cleanup()


async def _seed_demo(app) -> None:
    """Give an empty demo wall its first picture (`demo_windows`) and the presets its schedules apply."""
    from . import appkeys
    from .schemas import NewWindow

    wc = app[appkeys.WALL_CONTROL]
    if (await wc.layout()).version != 0 or not wc.cfg.sources:
        return
    windows, briefing = demo_windows(wc.cfg, wc.wall)
    if windows:
        await wc.replace(0, windows, None, "demo")
    else:  # a wall of another shape: one camera per screen
        version = 0
        for i, screen in enumerate(wc.wall.screens):
            src = wc.cfg.sources[i % len(wc.cfg.sources)].id
            version = (await wc.add_window(version, NewWindow(kind="video", rect=screen.canvas, source=src), "demo"))[
                0].version
    await wc.save_preset("Demo start", None, None, "demo")
    if briefing:
        await wc.save_preset("Morning briefing", briefing, ["led-main"], "demo")


def demo_windows(cfg: HallConfig, wall) -> tuple[list, list]:
    """The demo wall (its LED and 2x3 LCD block): on the LED the district's map with its counts (information
    aggregation) over the performance assessment, the three first cameras beside them and the ticker along the
    bottom; on the LCDs event management across the top row, dispute mediation and early warning below. Also
    the morning briefing's LED: event management and early warning side by side. ([], []) for another wall."""
    from layouts.geometry import Rect
    from layouts.window import Window

    panels = {p.id for p in cfg.panels}
    need = {"info-aggregation", "performance", "event-management", "dispute-mediation", "early-warning", "ticker"}
    ids = {s.id for s in wall.screens}
    if not need <= panels or not {"led-main", "lcd-1-1", "lcd-1-3", "lcd-2-1", "lcd-2-2", "lcd-2-3"} <= ids:
        return [], []
    led = wall.screen("led-main").canvas
    ticker_h = round(110 * wall.px_per_mm)  # 11 cm: type of 6 cm, twice the least
    top = led.h - ticker_h
    map_w, map_h = round(led.w * 2 / 3), round(top * 0.68)
    cams = [s.id for s in cfg.sources if s.lat is not None][:3]

    def panel(wid: str, pid: str, rect: Rect, z: int = 1) -> Window:
        name = next(p.name for p in cfg.panels if p.id == pid)
        return Window(id=wid, kind="panel", panel=pid, rect=rect, z=z, title=name)

    out = [panel("information", "info-aggregation", Rect(led.x, led.y, map_w, map_h)),
           panel("performance", "performance", Rect(led.x, led.y + map_h, map_w, top - map_h)),
           panel("ticker", "ticker", Rect(led.x, led.y + top, led.w, ticker_h), z=2)]
    for k, src in enumerate(cams):
        y0, y1 = led.y + top * k // len(cams), led.y + top * (k + 1) // len(cams)
        name = next(s.name for s in cfg.sources if s.id == src)
        out.append(Window(id=f"camera-{k + 1}", kind="video", source=src, title=name, fit="cover",
                          rect=Rect(led.x + map_w, y0, led.w - map_w, y1 - y0)))
    row1 = wall.region_rect(["lcd-1-1", "lcd-1-3"])
    out += [panel("event-management", "event-management", row1),
            panel("dispute-mediation", "dispute-mediation", wall.screen("lcd-2-1").canvas),
            panel("early-warning", "early-warning", wall.region_rect(["lcd-2-2", "lcd-2-3"]))]
    half = led.w // 2
    briefing = [panel("briefing-events", "event-management", Rect(led.x, led.y, half, top)),
                panel("briefing-warning", "early-warning", Rect(led.x + half, led.y, led.w - half, top)),
                panel("briefing-ticker", "ticker", Rect(led.x, led.y + top, led.w, ticker_h), z=2)]
    return out, briefing


async def _banner(app, cfg: HallConfig, base: str, url: str, data_dir: str, demo: bool, embedded: bool) -> None:
    from . import appkeys
    from .workers.demo import simulated_workers

    users = app[appkeys.USERS]
    _print("")
    _print(f"Command Hall — {cfg.district}")
    _print(f"  console:       {base}/console/")
    _print(f"  field page:    {base}/field/    (grid workers and departments, on a phone)")
    _print(f"  API document:  {base}/api/openapi.json    health: {base}/healthz")
    _print(f"  redis:         {'embedded ' if embedded else ''}{redacted(url)}  (data: {data_dir})")
    _print("  screen pages:" + ("  (new kiosk tokens at every demo start)" if demo else ""))
    for screen in app[appkeys.WALL].screens:
        # Only hashes of kiosk tokens are kept: a token is shown when it is made. The demo makes new ones at
        # every start so its banner always works; `hall serve` makes one only for a screen that has none.
        token = await users.screen_token(screen.id) if demo else await users.ensure_screen_token(screen.id)
        where = (f"{base}/wall/screens/{screen.id}?token={token}" if token else
                 f"(kiosk token unchanged; `hall token {screen.id} --screen` issues a new one)")
        _print(f"    {screen.id:<12} {screen.kind.upper()} {screen.resolution[0]}x{screen.resolution[1]}  {where}")
    simulated = simulated_workers(cfg) if demo else []
    logins = [(u.name, u.role, u.password) for u in cfg.users if u.password and u.name not in simulated]
    if logins:
        _print("  log in as (from the configuration; change these before real use):")
        for name, role, pw in logins:
            _print(f"    {name:<12} {role:<11} password: {pw}")
        if simulated:
            _print(f"  grid workers on a simulated patrol: {simulated[0]} ... {simulated[-1]} ({len(simulated)}; "
                   f"passwords in the configuration)")
    elif cfg.users:
        _print("  log in with the users of the configuration (passwords from their password_env)")
    _print(f"listening on {base}  (Ctrl-C stops{' the hall and its Redis' if embedded else ''})")


# -- users and tokens against the configured Redis ------------------------------------
def _admin_redis_url(args: argparse.Namespace) -> str:
    url = os.environ.get("REDIS_URL")
    cfg = None
    if not url and args.config:
        cfg = _load(args.config)
        url = cfg.redis.url
    if not url:
        data_dir = (args.data_dir or (cfg.server.data_dir if cfg else None)
                    or load_config(DEFAULT_CONFIG).server.data_dir)
        state = read_state(data_dir)
        if state is None:
            print(f"no Redis to talk to: set REDIS_URL, or start `hall serve`/`hall demo` with --data-dir {data_dir} "
                  f"(its embedded Redis is found through {Path(data_dir).resolve()}/redis.json)", file=sys.stderr)
            raise SystemExit(2)
        url = state["url"]
    return url


async def _with_users(args: argparse.Namespace, fn) -> int:
    from .auth import Users
    from .config import AuthConfig
    from .errors import HallError
    from .store import connect, wait_for_redis

    redis = connect(_admin_redis_url(args))
    try:
        await wait_for_redis(redis, "admin", max_wait=10)
        return await fn(Users(redis, AuthConfig()))
    except HallError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        for e in exc.errors or []:
            print(f"  {e['path']}: {e['message']}", file=sys.stderr)
        return 1
    finally:
        await redis.aclose()


def cmd_users(args: argparse.Namespace) -> int:
    async def go(users) -> int:
        if args.users_cmd == "add":
            if not args.password_stdin:
                print("give the password on standard input with --password-stdin", file=sys.stderr)
                return 2
            password = sys.stdin.readline().rstrip("\r\n")
            if not await users.add(args.name, args.role, password, replace=args.replace):
                print(f"user {args.name!r} exists (use --replace to set a new password and role)", file=sys.stderr)
                return 1
            _print(f"user {args.name} ({args.role}) saved")
        elif args.users_cmd == "list":
            for u in await users.list():
                _print(f"{u['name']}\t{u['role']}\t{u['display_name']}\t{u['created_at']}")
        elif args.users_cmd == "remove":
            await users.remove(args.name)
            _print(f"user {args.name} removed; their tokens are revoked")
        return 0

    return asyncio.run(_with_users(args, go))


def cmd_token(args: argparse.Namespace) -> int:
    if not (args.list or args.revoke) and not args.name:
        print("give a user name (or a screen id with --screen), or --list, or --revoke ID", file=sys.stderr)
        return 2

    async def go(users) -> int:
        if args.list:
            for t in await users.tokens(args.name):
                _print(f"{t['id']}\t{t['user']}\t{t['role']}\t{t['kind']}\tcreated {t['created_at']}\t"
                       f"expires {t['expires_at']}")
        elif args.revoke:
            t = await users.revoke_id(args.revoke)
            _print(f"token {t['id']} of {t['user']} revoked; its connections are dropped")
        elif args.screen:  # only the hash of a kiosk token is kept: printing one means issuing a new one
            _print(await users.screen_token(args.name))
        else:
            ttl = int(args.ttl_days * 86400) if args.ttl_days else None
            _print(await users.token_for(args.name, ttl_seconds=ttl))
        return 0

    return asyncio.run(_with_users(args, go))


def cmd_check_config(args: argparse.Namespace) -> int:
    try:
        cfg = load_config(args.file)
    except ConfigError as exc:
        print(f"{args.file}: {len(exc.problems)} problem{'s' if len(exc.problems) != 1 else ''}")
        for key, msg in exc.problems:
            print(f"  {key}: {msg}")
        return 1
    wall = cfg.build_wall()
    _print(f"{args.file}: ok — {len(wall.screens)} screens ({wall.canvas.w}x{wall.canvas.h} canvas px), "
           f"{len(cfg.sources)} sources, {len(cfg.panels)} panels, {len(cfg.users)} users")
    return 0


# -- benchmarks (figures printed, plus one JSON line each so they can be tracked) ---------------------
def cmd_bench_latency(args: argparse.Namespace) -> int:
    import json

    from media.encoder import EncoderSettings

    from .bench.latency import measure_latency
    from .config import EncoderConfig

    try:
        w, _, h = args.size.lower().partition("x")
        size = (int(w), int(h))
        settings = EncoderSettings(**EncoderConfig(preset=args.preset, bitrate_kbps=args.bitrate_kbps).model_dump())
    except ValueError as exc:
        print(f"bad option: {exc}", file=sys.stderr)
        return 2
    _print(f"latency: pattern -> compositor -> x264 {args.preset} -> WebRTC (WHEP) -> Chromium, "
           f"{size[0]}x{size[1]} at {args.fps} fps, {args.seconds:g} s …")
    try:
        r = asyncio.run(measure_latency(args.seconds, size, args.fps, settings, args.chromium))
    except RuntimeError as exc:
        print(f"latency bench failed: {exc}", file=sys.stderr)
        return 1
    _print(f"  frames read back   {r['frames']} ({r['presented_fps']} fps presented, {r['unreadable']} unreadable)")
    _print(f"  latency p50        {r['p50_ms']} ms   (target < {r['target_p50_ms']} ms on loopback)")
    _print(f"  latency p95        {r['p95_ms']} ms   (mean {r['mean_ms']}, min {r['min_ms']}, max {r['max_ms']})")
    _print(f"  encode per frame   {r['encode_ms']} ms; hall process CPU {r['server_cpu_cores']} cores")
    _print(json.dumps(r))
    return 0


def cmd_bench_compositor(args: argparse.Namespace) -> int:
    from .bench.compositor import main as bench_compositor
    from .bench.compositor import parse_scenario

    for text in args.scenario or []:
        try:
            parse_scenario(text)
        except ValueError as exc:
            print(exc, file=sys.stderr)
            return 2
    return bench_compositor(seconds=args.seconds, warmup=args.warmup, scenarios=args.scenario,
                            labels=args.labels, repeat=args.repeat)


def cmd_bench_capacity(args: argparse.Namespace) -> int:
    from .bench.capacity import main as bench_capacity

    return bench_capacity(seconds=args.seconds, warmup=args.warmup, max_sources=args.max_sources)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be at least 1")
    return value


def cmd_bench_events(args: argparse.Namespace) -> int:
    from .bench import events as bench

    return bench.main(_load(args.config), args.config, rate=args.rate, duration=args.duration,
                      saturation_s=args.saturation, concurrency=args.concurrency, windows=args.windows)


def cmd_bench_lists(args: argparse.Namespace) -> int:
    from .bench import lists as bench

    return bench.main(_load(args.config), events=args.events, repeat=args.repeat)


def cmd_bench_room(args: argparse.Namespace) -> int:
    from .bench import room as bench

    return bench.main(args.participants, seconds=args.seconds, warmup=args.warmup, reference=not args.no_reference)


def cmd_bench_call(args: argparse.Namespace) -> int:
    from .bench import call as bench

    return bench.main(seconds=args.seconds, warmup=args.warmup, max_calls=args.max_calls, pages=args.pages,
                      reference=not args.no_reference)


def cmd_bench_soak(args: argparse.Namespace) -> int:
    from .bench import soak as bench

    return bench.main(rounds=args.rounds, warmup_rounds=args.warmup_rounds, seconds=args.seconds,
                      participants=args.participants)


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(x) for x in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: give numbers of participants like 4,9,16") from None
    if not sizes or any(not 2 <= n <= 32 for n in sizes):
        raise argparse.ArgumentTypeError(f"{text!r}: each between 2 and 32")
    return sizes


def _add_bench_media_parsers(bsub) -> None:
    """`hall bench compositor` and `hall bench capacity` (code in backend/bench/)."""
    c = bsub.add_parser("compositor",
                        help="N sources onto M 1080p screens: ours vs ffmpeg xstack, CPU per output-second")
    c.add_argument("--scenario", action="append",
                   help="e.g. 4x1080p:1 or 4x1080p+4x720p:2 (sources:screens; repeatable; default: three scenarios)")
    c.add_argument("--labels", action="store_true", help="draw window labels in our pipeline")
    c.add_argument("--repeat", type=int, default=1, help="interleaved runs per scenario; medians are reported")
    k = bsub.add_parser("capacity", help="the most 720p sources one 1080p screen holds at 25 fps")
    k.add_argument("--max-sources", type=int, default=64)
    r = bsub.add_parser("room", help="the consultation room's MCU with 4, 9, 16 participants at 640x360: server CPU, "
                        "frame rate, mixing time per tick, glass to glass; beside a room encoded per participant")
    r.add_argument("--participants", type=_sizes, default=[4, 9, 16], help="comma-separated sizes (default 4,9,16)")
    r.add_argument("--no-reference", action="store_true", help="skip the per-participant reference runs")
    cl = bsub.add_parser("call", help="calls: click to first frame in Chromium (p50, p95), server CPU per call at "
                         "640x480 both ways, the most concurrent calls held; beside aiortc's stock relay")
    cl.add_argument("--pages", type=int, default=10, help="calls made in Chromium one after another (0: none)")
    cl.add_argument("--max-calls", type=_positive_int, default=16, help="most concurrent calls tried")
    cl.add_argument("--no-reference", action="store_true", help="skip the stock-aiortc reference runs")
    so = bsub.add_parser("soak", help="calls and rooms made and ended round after round on one media server: its "
                         "memory, threads, files, tasks, sources and encoders after each round")
    so.add_argument("--rounds", type=_positive_int, default=20, help="rounds (a call and a room each; default 20)")
    so.add_argument("--warmup-rounds", type=_positive_int, default=5,
                    help="rounds before the reference figures (default 5)")
    so.add_argument("--participants", type=_positive_int, default=4, help="participants in each round's room")
    so.add_argument("--seconds", type=float, default=3, help="seconds each call and room is held (default 3)")
    for q in (c, k, r, cl):
        q.add_argument("--seconds", type=float, default=8, help="measured seconds per run (after the warm-up)")
        q.add_argument("--warmup", type=float, default=2, help="seconds before measuring")


def _add_run_opts(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", help="address to listen on (default: from the config, 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default: from the config, 8080; 0 picks a free one)")
    p.add_argument("--data-dir", help="data directory (embedded Redis, files); default: from the config")
    p.add_argument("--tls-cert", help="PEM certificate: serve HTTPS (phones need it for camera and location)")
    p.add_argument("--tls-key", help="PEM private key of --tls-cert")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override one configuration setting (dotted key, YAML value), e.g. --set display.fps=15; "
                        "may be repeated")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hall", description="Command Hall: video wall and dispatch console")
    sub = parser.add_subparsers(dest="cmd", required=True)

    p = sub.add_parser("demo", help="run the whole hall on the demo district")
    _add_run_opts(p)
    p.add_argument("--lan", action="store_true", help="for phones on this network: listen on all interfaces over "
                   "HTTPS with a self-signed certificate for this machine (kept under the data directory) and "
                   "print the https address")
    p.add_argument("--config", default=str(DEFAULT_CONFIG), help="configuration (default: the demo district)")

    p = sub.add_parser("serve", help="run the hall with a configuration file")
    _add_run_opts(p)
    p.add_argument("--config", required=True, help="YAML configuration file")

    p = sub.add_parser("check-config", help="validate a configuration file; print every problem")
    p.add_argument("file")

    def admin_opts(p: argparse.ArgumentParser) -> None:
        p.add_argument("--config", help="configuration whose redis.url to use")
        p.add_argument("--data-dir", help="data directory of a running hall with an embedded Redis")

    p = sub.add_parser("users", help="manage users (in the configured Redis)")
    usub = p.add_subparsers(dest="users_cmd", required=True)
    a = usub.add_parser("add", help="add a user")
    a.add_argument("name")
    a.add_argument("--role", required=True, choices=ROLES)
    a.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    a.add_argument("--replace", action="store_true", help="replace an existing user (revokes their tokens)")
    admin_opts(a)
    admin_opts(usub.add_parser("list", help="list users"))
    r = usub.add_parser("remove", help="remove a user and revoke their tokens")
    r.add_argument("name")
    admin_opts(r)

    p = sub.add_parser("token", help="issue a bearer token for a user (scripts, integrations) or a screen; list "
                       "or revoke tokens")
    p.add_argument("name", nargs="?", help="user name, or screen id with --screen (with --list: whose tokens)")
    p.add_argument("--screen", action="store_true", help="NAME is a screen id: issue a new kiosk token (the old "
                   "one is revoked and its page disconnected)")
    p.add_argument("--renew", action="store_true", help=argparse.SUPPRESS)  # kept: --screen always renews
    p.add_argument("--ttl-days", type=float, help="expire after this many days (default: auth.token_default_days, "
                   "90)")
    p.add_argument("--list", action="store_true", help="list live tokens: id, user, role, kind, created, expires")
    p.add_argument("--revoke", metavar="ID", help="revoke the token with this id (from --list)")
    admin_opts(p)

    p = sub.add_parser("bench", help="measure the media pipeline on this machine (figures and one JSON line)")
    bsub = p.add_subparsers(dest="bench_cmd", required=True)
    b = bsub.add_parser("latency", help="pattern -> compositor -> WebRTC -> Chromium: p50/p95 ms of the timecode")
    b.add_argument("--seconds", type=float, default=10, help="how long to measure (after a 3 s warm-up)")
    b.add_argument("--size", default="1920x1080", help="screen resolution WxH (default 1920x1080)")
    b.add_argument("--fps", type=int, default=25)
    b.add_argument("--preset", default="ultrafast", help="x264 preset (as encoder.preset)")
    b.add_argument("--bitrate-kbps", type=int, default=2500)
    b.add_argument("--chromium", default="/usr/bin/chromium", help="the Chromium binary to play in")
    _add_bench_media_parsers(bsub)
    b = bsub.add_parser("events", help="event intake with durability on: p50/p99 to acknowledgment and broadcast")
    b.add_argument("--config", default=str(DEFAULT_CONFIG), help="configuration (default: the demo district)")
    b.add_argument("--rate", type=float, default=500, help="offered reports per second (default 500)")
    b.add_argument("--duration", type=float, default=10, help="seconds of one fixed-rate window (default 10)")
    b.add_argument("--windows", type=_positive_int, default=3, help="fixed-rate windows, each reported (default 3)")
    b.add_argument("--saturation", type=float, default=5, help="seconds at saturation (default 5)")
    b.add_argument("--concurrency", type=int, default=64, help="clients at saturation (default 64)")
    b = bsub.add_parser("lists", help="event lists through the filter indexes vs a full scan, same store and queries")
    b.add_argument("--config", default=str(DEFAULT_CONFIG), help="configuration (default: the demo district)")
    b.add_argument("--events", type=_positive_int, default=10_000, help="events to fill the store with (default 10000)")
    b.add_argument("--repeat", type=_positive_int, default=5, help="runs of each query, medians reported (default 5)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.cmd in ("demo", "serve"):
        cfg = _load(args.config, args.set)
        if (args.tls_cert is None) != (args.tls_key is None):
            print("--tls-cert and --tls-key go together", file=sys.stderr)
            return 2
        return run_hall(cfg, host=args.host or cfg.server.host,
                        port=args.port if args.port is not None else cfg.server.port,
                        data_dir=args.data_dir or cfg.server.data_dir, demo=args.cmd == "demo",
                        tls_cert=args.tls_cert, tls_key=args.tls_key, lan=getattr(args, "lan", False))
    if args.cmd == "check-config":
        return cmd_check_config(args)
    if args.cmd == "users":
        return cmd_users(args)
    if args.cmd == "token":
        return cmd_token(args)
    if args.cmd == "bench":
        return {"latency": cmd_bench_latency, "compositor": cmd_bench_compositor,
                "capacity": cmd_bench_capacity, "events": cmd_bench_events,
                "lists": cmd_bench_lists, "room": cmd_bench_room, "call": cmd_bench_call,
                "soak": cmd_bench_soak}[args.bench_cmd](args)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
