"""The `connectors:` section of the hall's configuration: other systems' data (weather, news, geological-hazard
warnings, traffic) polled from an HTTP JSON URL or received on a token-guarded webhook, each value found by a
field mapping (a dotted path into the JSON)."""

from __future__ import annotations

import os
import string
from typing import Annotated, Literal
from urllib.parse import urlparse

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ConnectorKind = Literal["weather", "news", "hazard", "traffic"]
CONNECTOR_ID = r"^[A-Za-z0-9_.-]{1,64}$"
FIELD_NAME = r"^[a-z][a-z0-9_]{0,31}$"
# A dotted path into the JSON: object keys and list indexes ("data.0.title"); a key with dots cannot be named.
PATH = r"^[^.\s]+(\.[^.\s]+)*$"
ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]{0,127}$"


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PollConfig(_M):
    url: str = Field(description="an http(s) URL answering JSON, or a path (/...) on this hall itself")
    every_s: Annotated[float, Field(ge=1, le=86_400)] = Field(60, description="seconds between polls")
    timeout_s: Annotated[float, Field(gt=0, le=120)] = Field(10, description="a poll longer than this fails")
    max_bytes: Annotated[int, Field(ge=1024, le=50 * 1024 * 1024)] = Field(1024 * 1024,
                                                                           description="largest answer read")

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        if v.startswith("/"):
            return v
        u = urlparse(v)
        if u.scheme not in ("http", "https") or not u.netloc:
            raise ValueError("give an http:// or https:// URL, or a path (/...) on this hall")
        return v


class WebhookConfig(_M):
    token_env: str | None = Field(None, pattern=ENV_NAME,
                                  description="environment variable holding the token the sender must present")
    token: str | None = Field(None, min_length=16, description="the token itself (demo only; prefer token_env)")

    @model_validator(mode="after")
    def _one_token(self) -> WebhookConfig:
        if (self.token is None) == (self.token_env is None):
            raise ValueError("give token_env (or, for a demo, token)")
        return self

    def secret(self) -> str | None:
        """The token a sender must present (None: its environment variable is not set, so nothing is accepted)."""
        return self.token if self.token is not None else os.environ.get(self.token_env or "") or None


class AlertConfig(_M):
    """Which values make a warning (a hazard connector's alarm): a field and the values that count."""

    field: str = Field(pattern=FIELD_NAME, description="the mapped field holding the warning level")
    levels: list[str] = Field(min_length=1, description="values of that field that are a warning, least to most "
                                                        "severe")


class ConnectorConfig(_M):
    id: Annotated[str, Field(pattern=CONNECTOR_ID)]
    name: Annotated[str, Field(min_length=1, max_length=100)]
    kind: ConnectorKind
    poll: PollConfig | None = None
    webhook: WebhookConfig | None = None
    fields: dict[Annotated[str, Field(pattern=FIELD_NAME)], Annotated[str, Field(pattern=PATH, max_length=200)]] = \
        Field(min_length=1, description="value name -> dotted path in the JSON (e.g. current.temp_c, items.0.title)")
    ticker: str | None = Field(None, max_length=300, description="the ticker's line, with {field} placeholders; "
                                                                 "default: the values joined")
    alert: AlertConfig | None = Field(None, description="a warning: a field and its levels (hazard connectors)")
    stale_after_s: Annotated[float | None, Field(gt=0, le=7 * 86_400)] = Field(
        None, description="values older than this are marked old on the wall (default: 3 polls, or an hour)")

    @model_validator(mode="after")
    def _checks(self) -> ConnectorConfig:
        problems = []
        if self.poll is None and self.webhook is None:
            problems.append("poll: give poll (an URL to read) or webhook (a token to receive with), or both")
        if self.ticker is not None:
            names = set(placeholders(self.ticker))
            problems += [f"ticker: {{{n}}} is not one of the fields" for n in sorted(names - set(self.fields))]
        if self.alert is not None and self.alert.field not in self.fields:
            problems.append(f"alert.field: {self.alert.field!r} is not one of the fields")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def stale_s(self) -> float:
        if self.stale_after_s is not None:
            return self.stale_after_s
        return 3 * self.poll.every_s if self.poll is not None else 3600.0


def placeholders(template: str) -> list[str]:
    """The {field} names a ticker template uses."""
    return [f for _, f, _, _ in string.Formatter().parse(template) if f]
