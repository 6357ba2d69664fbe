"""The REST API's one registry: each route declares its roles, body, query and response
models; the same declarations check every request and produce the OpenAPI document."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ValidationError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from . import appkeys
from .auth import Identity, bearer
from .errors import (
    BadRequest,
    Forbidden,
    Invalid,
    Unauthorized,
    Unavailable,
    UnsupportedMediaType,
    as_hall_error,
    error_body,
    field_errors,
)

log = logging.getLogger("hall.api")

Handler = Callable[..., Awaitable[Any]]
PUBLIC: frozenset[str] = frozenset()  # roles=PUBLIC: no token needed
MAX_BODY = 1024 * 1024


class ErrorBody(BaseModel):
    error: str
    message: str
    errors: list[dict[str, str]] | None = None


@dataclass
class Operation:
    method: str
    path: str
    handler: Handler
    summary: str
    roles: frozenset[str] | None  # None = public
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    tag: str = "wall"
    errors: tuple[int, ...] = ()
    path_params: list[str] = field(default_factory=list)
    content: str | None = None  # a non-JSON request body of this media type, passed as text
    produces: str | None = None  # a non-JSON response of this media type (the handler builds it)
    response_headers: tuple[str, ...] = ()
    scoped: bool = False  # guests' scoped tokens may call it (the handler checks the scope)


async def identify(request: web.Request) -> Identity | None:
    token = bearer(request.headers.get("Authorization"))
    if token is None:
        return None
    return await request.app[appkeys.USERS].resolve(token)


def require(ident: Identity | None, roles: frozenset[str], scoped: bool = False) -> Identity:
    """The caller, if of one of `roles`. A guest's token (scoped to one thing, e.g. an invited expert's room)
    opens only the routes declared `scoped`, which check the scope themselves."""
    if ident is None:
        raise Unauthorized("log in first: send Authorization: Bearer <token>")
    if ident.scope is not None and not scoped:
        raise Forbidden(f"this link opens {ident.scope} only")
    if ident.role not in roles:
        raise Forbidden(f"role {ident.role!r} may not do this (allowed: {', '.join(sorted(roles))})")
    return ident


class Api:
    def __init__(self, title: str, version: str) -> None:
        self.title = title
        self.version = version
        self.operations: list[Operation] = []
        self.app_hooks: list[Callable[[web.Application], None]] = []

    def route(self, method: str, path: str, *, summary: str, roles: frozenset[str] | None,
              body: type[BaseModel] | None = None, query: type[BaseModel] | None = None,
              response: type[BaseModel] | None = None, status: int = 200, tag: str = "wall",
              errors: tuple[int, ...] = (), content: str | None = None, produces: str | None = None,
              response_headers: tuple[str, ...] = (), scoped: bool = False) -> Callable[[Handler], Handler]:
        """`content`: the body is text of that media type (e.g. application/sdp), passed as `body: str`."""
        if body is not None and content is not None:
            raise ValueError("a route takes a JSON body model or a text body of one media type, not both")

        def deco(fn: Handler) -> Handler:
            self.operations.append(Operation(method.upper(), path, fn, summary, roles, body, query, response,
                                             status, tag, errors, re.findall(r"{(\w+)}", path), content,
                                             produces, response_headers, scoped))
            return fn
        return deco

    def on_setup(self, fn: Callable[[web.Application], None]) -> Callable[[web.Application], None]:
        """Run `fn(app)` when the routes are set up (before start): for a route module's own state."""
        self.app_hooks.append(fn)
        return fn

    def setup(self, app: web.Application) -> None:
        for op in self.operations:
            app.router.add_route(op.method, op.path, self._wrap(op))
        for hook in self.app_hooks:
            hook(app)
        app.router.add_get("/api/openapi.json", self._openapi_handler)

    async def _openapi_handler(self, request: web.Request) -> web.Response:
        return web.json_response(self.openapi())

    def _wrap(self, op: Operation) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def handler(request: web.Request) -> web.StreamResponse:
            ident = await identify(request)
            if op.roles is not None:
                ident = require(ident, op.roles, op.scoped)
            elif ident is not None and ident.scope is not None and not op.scoped:
                ident = None  # a guest's token is no one on the public routes
            kwargs: dict[str, Any] = {}
            if op.body is not None:
                kwargs["body"] = await read_json_body(request, op.body)
            elif op.content is not None:
                kwargs["body"] = await _read_text(request, op.content)
            if op.query is not None:
                try:
                    kwargs["query"] = op.query.model_validate(dict(request.query))
                except ValidationError as exc:
                    raise Invalid("invalid query", errors=field_errors(exc)) from None
            result = await op.handler(request, ident, **kwargs)
            if isinstance(result, web.StreamResponse):
                return result
            if result is None:
                return web.Response(status=204)
            if op.response is not None:
                model = result if isinstance(result, op.response) else op.response.model_validate(result)
                payload = model.model_dump(mode="json")
            else:
                payload = result
            return web.json_response(payload, status=op.status)
        handler.__name__ = op.handler.__name__
        return handler

    # -- OpenAPI ------------------------------------------------------------
    def openapi(self) -> dict[str, Any]:
        components: dict[str, Any] = {"ErrorBody": _schema(ErrorBody, {})}
        paths: dict[str, Any] = {}
        for op in self.operations:
            item: dict[str, Any] = {"summary": op.summary, "operationId": op.handler.__name__, "tags": [op.tag],
                                    "responses": {}}
            params = [{"name": p, "in": "path", "required": True, "schema": {"type": "string"}} for p in op.path_params]
            if op.query is not None:
                qs = op.query.model_json_schema()
                for name, prop in qs.get("properties", {}).items():
                    params.append({"name": name, "in": "query", "required": name in qs.get("required", []),
                                   "schema": {k: v for k, v in prop.items() if k != "title"}})
            if params:
                item["parameters"] = params
            if op.body is not None:
                item["requestBody"] = {"required": True, "content": {"application/json": {
                    "schema": {"$ref": f"#/components/schemas/{_register(op.body, components)}"}}}}
            elif op.content is not None:
                item["requestBody"] = {"required": True, "content": {op.content: {"schema": {"type": "string"}}}}
            ok: dict[str, Any] = {"description": "success"}
            if op.response is not None:
                ok["content"] = {"application/json": {
                    "schema": {"$ref": f"#/components/schemas/{_register(op.response, components)}"}}}
            elif op.produces is not None:
                ok["content"] = {op.produces: {"schema": {"type": "string"}}}
            if op.response_headers:
                ok["headers"] = {h: {"schema": {"type": "string"}} for h in op.response_headers}
            item["responses"][str(op.status)] = ok
            codes = set(op.errors)
            if op.roles is not None:
                codes |= {401, 403}
            if op.body is not None or op.query is not None:
                codes |= {400, 422}
            if op.body is not None:
                codes |= {415}
            if op.content is not None:
                codes |= {400, 415}
            for code in sorted(codes):
                item["responses"][str(code)] = {"description": _REASONS.get(code, "error"), "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}}
            if op.roles is not None:
                item["security"] = [{"bearer": []}]
                item["x-roles"] = sorted(op.roles)
            paths.setdefault(op.path, {})[op.method.lower()] = item
        # The document describes itself too, so every routed /api path is in it.
        paths["/api/openapi.json"] = {"get": {
            "summary": "This OpenAPI document", "operationId": "openapi", "tags": ["system"],
            "responses": {"200": {"description": "success",
                                  "content": {"application/json": {"schema": {"type": "object"}}}}}}}
        return {
            "openapi": "3.1.0",
            "info": {"title": self.title, "version": self.version},
            "paths": paths,
            "components": {"schemas": components,
                           "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        }


_REASONS = {400: "malformed request", 401: "not logged in", 403: "role not allowed", 404: "not found",
            409: "stale version or state conflict", 415: "wrong Content-Type", 422: "invalid field values",
            429: "too many attempts",
            503: "Redis or the media engine unavailable"}


def _schema(model: type[BaseModel], components: dict[str, Any]) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, sub in schema.pop("$defs", {}).items():
        components.setdefault(name, sub)
    return schema


def _register(model: type[BaseModel], components: dict[str, Any]) -> str:
    if model.__name__ not in components:
        components[model.__name__] = _schema(model, components)
    return model.__name__


def is_json(content_type: str) -> bool:
    return content_type == "application/json" or (content_type.startswith("application/")
                                                  and content_type.endswith("+json"))


async def read_json_body(request: web.Request, model: type[BaseModel]) -> BaseModel:
    """The body parsed straight into its model by pydantic's JSON parser (Rust, depth-limited: a body of
    100,000 nested brackets is a 400, not a RecursionError)."""
    if not is_json(request.content_type):
        raise UnsupportedMediaType("send the body as JSON with Content-Type: application/json")
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise BadRequest(f"body larger than {MAX_BODY} bytes")
    raw = await request.read()
    if len(raw) > MAX_BODY:
        raise BadRequest(f"body larger than {MAX_BODY} bytes")
    if not raw.strip():
        raise BadRequest("empty body: send a JSON object")
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        if first["type"] == "json_invalid":
            raise BadRequest(f"body is not valid JSON: {first['msg'].removeprefix('Invalid JSON: ')}") from None
        if first["type"] == "model_type" and not first["loc"]:
            raise Invalid("body must be a JSON object",
                          errors=[{"path": "(body)", "message": "must be a JSON object"}]) from None
        raise Invalid("invalid request body", errors=field_errors(exc)) from None


async def _read_text(request: web.Request, media_type: str) -> str:
    """A text body that must come as `media_type` (e.g. an SDP offer as application/sdp)."""
    if request.content_type != media_type:
        raise web.HTTPUnsupportedMediaType(text=f"send the body as Content-Type: {media_type}")
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise BadRequest(f"body larger than {MAX_BODY} bytes")
    raw = await request.read()
    if len(raw) > MAX_BODY:
        raise BadRequest(f"body larger than {MAX_BODY} bytes")
    try:
        text = raw.decode(request.charset or "utf-8")
    except (UnicodeDecodeError, LookupError):
        raise BadRequest("body is not valid UTF-8 text") from None
    if not text.strip():
        raise BadRequest(f"empty body: send a {media_type} document")
    return text


@web.middleware
async def errors_middleware(request: web.Request,
                            handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
    """Map every error to one JSON body; count requests for /metrics."""
    started = time.perf_counter()
    status = 500
    try:
        resp = await handler(request)
        status = resp.status
        return resp
    except (RedisConnectionError, RedisTimeoutError) as exc:
        status = 503
        log.error("redis unavailable", extra={"path": request.path, "error": str(exc)})
        return web.json_response(Unavailable("the store (Redis) is unavailable; retry shortly").body(), status=503)
    except web.HTTPException as exc:
        status = exc.status
        if exc.status < 400:
            raise
        body = {"error": exc.reason.lower().replace(" ", "_"), "message": exc.text or exc.reason}
        if exc.status == 404:
            body = {"error": "not_found", "message": f"no such endpoint: {request.method} {request.path}"}
        elif exc.status == 405:
            body = {"error": "method_not_allowed", "message": f"{request.method} is not allowed on {request.path}"}
        return web.json_response(body, status=exc.status, headers={k: v for k, v in exc.headers.items()
                                                                   if k.lower() == "allow"})
    except Exception as exc:
        err = as_hall_error(exc)  # ours (HallError), the wall model's, an unavailable media engine
        if err is not None:
            status, body = error_body(err)
            return web.json_response(body, status=status, headers=err.headers)
        log.exception("unhandled error", extra={"path": request.path, "method": request.method})
        return web.json_response({"error": "internal", "message": "internal error (logged)"}, status=500)
    finally:
        metrics = request.app.get(appkeys.METRICS)
        if metrics is not None:
            route = request.match_info.route.resource.canonical if request.match_info.route.resource else "unmatched"
            metrics.observe_request(request.method, route, status, time.perf_counter() - started)
