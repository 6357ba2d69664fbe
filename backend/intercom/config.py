"""The `intercom:` section of the hall's configuration: which talkgroups the hall has of itself, how long a speaker
may hold the floor, and how long a group's transmissions stay for replay."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

GroupKind = Literal["grid", "street", "department", "adhoc"]
HALL_KINDS: tuple[GroupKind, ...] = ("grid", "street", "department")  # the groups made from the district itself


class IntercomConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    replay_minutes: Annotated[float, Field(gt=0, le=24 * 60)] = Field(
        10, description="a talkgroup's transmissions stay this long for replay, then their clips are deleted")
    max_talk_s: Annotated[float, Field(ge=5, le=600)] = Field(
        60, description="the floor is released after this long (the next in the queue gets it)")
    groups: list[Literal["grid", "street", "department"]] = Field(
        list(HALL_KINDS), description="the hall's own talkgroups: one per grid (its workers on duty), per street "
        "(the workers on duty of its grids) and per department (its users); ad hoc ones are made at the console")
    street_names: dict[str, Annotated[str, Field(min_length=1, max_length=80)]] = Field(
        {}, description="names of the streets (the grids' `street` ids) in the talkgroup lists; default 'Street <id>'")
    max_adhoc_members: Annotated[int, Field(ge=1, le=500)] = Field(100, description="members of an ad hoc group")
