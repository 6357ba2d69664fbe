"""Request and response bodies of the REST API (pydantic), shared with the OpenAPI document."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from layouts.geometry import Rect
from layouts.wall import Screen
from layouts.window import MAX_Z, Fit, Window, WindowKind

from .roles import Role

Version = Annotated[int, Field(ge=0, description="the layout version this change was made against")]
Name = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[^/\x00-\x1f]{1,64}$")]


class _In(BaseModel):
    """A request body: no unknown fields, and strict types ("10" and true are not numbers, 0 is not a
    boolean): JSON has them all, so a client sending the wrong one has a bug worth being told about."""
    model_config = ConfigDict(extra="forbid", strict=True)


def not_boolean(v: object) -> object:
    """Python counts true as 1: a Literal of numbers would take it. Refuse it by name."""
    if isinstance(v, bool):
        raise ValueError("must be a number, not true or false")
    return v


class _Query(BaseModel):
    """A query string: every value arrives as text, so numbers and booleans are parsed from it."""
    model_config = ConfigDict(extra="forbid")


# -- auth ------------------------------------------------------------------
class LoginIn(_In):
    username: Annotated[str, Field(min_length=1, max_length=64)]
    password: Annotated[str, Field(min_length=1, max_length=1024)]


class UserOut(BaseModel):
    name: str
    role: str
    screen: str | None = None
    scope: str | None = Field(None, description="a guest's token opens this one thing only (e.g. room:<id>)")
    display_name: str | None = None


class LoginOut(BaseModel):
    token: str
    user: UserOut
    expires_at: float


# -- wall ------------------------------------------------------------------
class LayoutDoc(BaseModel):
    """The layout document as stored (its version is kept beside it, for the compare-and-set)."""
    windows: list[Window] = []
    scene: str | None = None
    updated_by: str | None = None
    updated_at: str | None = None


class LayoutState(LayoutDoc):
    version: int


class WallGeometry(BaseModel):
    name: str
    px_per_mm: float
    grid_px: int | None = None
    canvas: Rect
    screens: list[Screen]


class SourceOut(BaseModel):
    id: str
    name: str
    kind: str
    group: str
    state: str | None = Field(None, description="runtime sources (calls, rooms, shared screens): live or ended")


class PanelOut(BaseModel):
    id: str
    name: str
    kind: str


class WallOut(BaseModel):
    wall: WallGeometry
    layout: LayoutState
    sources: list[SourceOut]
    panels: list[PanelOut]


class LayoutOut(BaseModel):
    layout: LayoutState


class LayoutIn(_In):
    version: Version
    windows: list[Window] = Field(max_length=256)
    scene: str | None = None


class NewWindow(_In):
    kind: WindowKind
    rect: Rect
    id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")] | None = None
    z: Annotated[int, Field(ge=-MAX_Z, le=MAX_Z)] | None = None
    fit: Fit = "contain"
    source: str | None = None
    panel: str | None = None
    text: Annotated[str, Field(max_length=500)] | None = None
    title: Annotated[str, Field(max_length=200)] | None = None
    label: bool = True


class AddWindowIn(_In):
    version: Version
    window: NewWindow


class AddWindowOut(BaseModel):
    layout: LayoutState
    window: Window


class PatchWindowIn(_In):
    """The fields to change; the window they make is checked whole (layouts.Window) before it is stored.
    `rect`, `z`, `label` and `fit` may be left out but not set to null; `source`, `text` and `title` may be
    null (a title of null shows the source's name)."""
    version: Version
    rect: Rect = Field(default=None, validate_default=False)  # type: ignore[assignment]
    z: int = Field(default=None, validate_default=False, ge=-MAX_Z, le=MAX_Z)  # type: ignore[assignment]
    source: str | None = None
    text: Annotated[str, Field(max_length=500)] | None = None
    title: Annotated[str, Field(max_length=200)] | None = None
    label: bool = Field(default=None, validate_default=False)  # type: ignore[assignment]
    fit: Fit = Field(default=None, validate_default=False)  # type: ignore[assignment]


class VersionQuery(_Query):
    version: Version


class ShowIn(_In):
    source: Annotated[str, Field(min_length=1, max_length=128)]
    window: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")] | None = Field(
        None, description="a video window whose source to replace")
    screen: Annotated[str, Field(max_length=64)] | None = Field(None, description="a screen to fill")
    version: Version | None = Field(None, description="the layout version seen; without it, the current one")


class SplitIn(_In):
    version: Version
    screens: list[str] | None = None
    rect: Rect | None = None
    n: Annotated[Literal[1, 4, 9, 16], BeforeValidator(not_boolean)] | None = None
    rows: Annotated[int, Field(ge=1, le=8)] | None = None
    cols: Annotated[int, Field(ge=1, le=8)] | None = None
    sources: list[str] = Field(default=[], max_length=64)


class VersionIn(_In):
    version: Version


# -- presets and scenes ------------------------------------------------------
class PresetOut(BaseModel):
    name: str
    screens: list[str] | None = None
    windows: list[Window]
    updated_by: str | None = None
    updated_at: str | None = None


class PresetIn(_In):
    windows: list[Window] | None = Field(None, max_length=256)
    screens: list[str] | None = None


class PresetOneOut(BaseModel):
    preset: PresetOut


class PresetsOut(BaseModel):
    presets: list[PresetOut]


class SceneOut(BaseModel):
    name: str
    presets: list[str]
    updated_by: str | None = None
    updated_at: str | None = None


class SceneIn(_In):
    presets: list[Name] = Field(min_length=1, max_length=32)


class SceneOneOut(BaseModel):
    scene: SceneOut


class ScenesOut(BaseModel):
    scenes: list[SceneOut]


# -- users and health ----------------------------------------------------------
class UserListItem(BaseModel):
    name: str
    role: str
    display_name: str
    created_at: str | None = None


class UsersOut(BaseModel):
    users: list[UserListItem]


class NewUserIn(_In):
    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
    role: Role
    password: Annotated[str, Field(min_length=8, max_length=1024)]
    display_name: Annotated[str, Field(max_length=100)] | None = None


class ScreenTokenOut(BaseModel):
    screen: str
    token: str
    url: str


class StoredProblemOut(BaseModel):
    key: str
    message: str
    fallback: str
    since: str


class HealthOut(BaseModel):
    status: Literal["ok", "degraded"]
    redis: bool
    uptime_s: float
    version: str
    problems: list[StoredProblemOut] = Field([], description="stored state the hall could not read, and what it "
                                             "shows instead (the hall runs; an operator should look)")
