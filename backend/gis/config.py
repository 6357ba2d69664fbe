"""The `gis:` section of the hall's configuration: the district's map layers (GeoJSON files), an optional
base map, the pilot street drawn in 3D, and the defaults of the map's queries."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationInfo, field_validator, model_validator

# The district's own layers, by file stem in the `district` folder (each optional); the grids come from
# `events.grids` so routing and the map read one file.
LAYERS: tuple[str, ...] = ("water", "roads", "areas", "buildings", "components", "places")
MAX_LAYER_BYTES = 50 * 1024 * 1024


class GisConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    district: str | None = Field(None, description="folder of the district's GeoJSON layers (relative to the "
                                                   "configuration file): " + ", ".join(f"{n}.geojson" for n in LAYERS)
                                                   + " (each optional); made by scripts/make_district.py")
    tiles: str | None = Field(None, description="base map under the district's layers: a .pmtiles file (raster) or "
                                                "a folder of {z}/{x}/{y} raster tiles, relative to the configuration "
                                                "file and served by the hall at /map-tiles/; or an XYZ URL template "
                                                "with {z}, {x}, {y}; none: the district's layers alone (offline)")
    tiles_format: Literal["png", "jpg", "webp"] = Field("png", description="image format of a tiles folder")
    tiles_attribution: str | None = Field(None, max_length=200)
    pilot_street: str | None = Field(None, description="street id (grids' `street`) whose buildings are drawn in 3D "
                                                       "(extruded by height)")
    wall_pitch: Annotated[int, Field(ge=0, le=60)] = Field(0, description="tilt of the map panels on the wall "
                                                                          "(degrees; 0: seen from above)")
    heat_days: Annotated[int, Field(ge=1, le=366)] = Field(30, description="default period of the events' heat map")
    area_limit: Annotated[int, Field(ge=1, le=2000)] = Field(50, description="most items per list in an area "
                                                                              "query (totals stay exact)")
    address_radius_m: Annotated[float, Field(gt=0, le=2000)] = Field(
        120, description="an event's place is the nearest building within this distance, else its grid's name")

    _layers: dict[str, dict[str, Any]] = PrivateAttr(default_factory=dict)
    _tiles_path: Path | None = PrivateAttr(None)

    @property
    def tiles_path(self) -> Path | None:
        """The local .pmtiles file or tiles folder the hall serves at /map-tiles/ (None: a URL template or none)."""
        return self._tiles_path

    @property
    def layers(self) -> dict[str, dict[str, Any]]:
        """The district's layers that were found, by name (GeoJSON FeatureCollections)."""
        return self._layers

    @field_validator("tiles")
    @classmethod
    def _tiles(cls, v: str | None) -> str | None:
        if v is None or not any(p in v for p in ("{z}", "{x}", "{y}")):
            return v  # a local file or folder: checked with the others below
        if not (v.startswith("/") or v.startswith("https://") or v.startswith("http://")):
            raise ValueError("a URL template is a path on this hall (/...) or an http(s) URL")
        if not all(p in v for p in ("{z}", "{x}", "{y}")):
            raise ValueError("the URL template needs {z}, {x} and {y}")
        return v

    def tiles_url(self) -> dict[str, str] | None:
        """What the pages load: {"kind": "pmtiles"|"xyz", "url"} (a local base map under /map-tiles/)."""
        if self.tiles is None:
            return None
        path = self._tiles_path
        if path is None:
            return {"kind": "xyz", "url": self.tiles}
        if path.is_file():
            return {"kind": "pmtiles", "url": f"/map-tiles/{path.name}"}
        return {"kind": "xyz", "url": f"/map-tiles/{{z}}/{{x}}/{{y}}.{self.tiles_format}"}

    @model_validator(mode="after")
    def _load(self, info: ValidationInfo) -> GisConfig:
        base = Path((info.context or {}).get("config_dir") or ".")
        if self.tiles is not None and "{z}" not in self.tiles:
            path = Path(self.tiles)
            path = path if path.is_absolute() else base / path
            if not (path.is_dir() or (path.is_file() and path.suffix == ".pmtiles")):
                raise ValueError(f"tiles: {path} is neither a .pmtiles file nor a folder of tiles (nor a URL "
                                 "template with {z}, {x}, {y})")
            self._tiles_path = path.resolve()
        if self.district is None:
            return self
        folder = Path(self.district)
        folder = folder if folder.is_absolute() else base / folder
        if not folder.is_dir():
            raise ValueError(f"district: no folder {folder}")
        problems: list[str] = []
        for name in LAYERS:
            path = folder / f"{name}.geojson"
            if not path.exists():
                continue
            try:
                if path.stat().st_size > MAX_LAYER_BYTES:
                    raise ValueError(f"larger than {MAX_LAYER_BYTES // 1024 // 1024} MB")
                data = json.loads(path.read_text(encoding="utf-8"))
                check_layer(data)
            except OSError as exc:
                problems.append(f"district: cannot read {path}: {exc.strerror}")
            except ValueError as exc:
                problems.append(f"district: {path}: {exc}")
            else:
                self._layers[name] = data
        if problems:
            raise ValueError("; ".join(problems))
        return self


GEOMETRIES = {"Point", "LineString", "MultiLineString", "Polygon", "MultiPolygon"}


def check_layer(data: Any) -> None:
    """A FeatureCollection whose features each have a string id and a geometry (ValueError says where)."""
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection" or not isinstance(
            data.get("features"), list):
        raise ValueError("must be a GeoJSON FeatureCollection")
    seen: set[str] = set()
    for i, f in enumerate(data["features"]):
        props = f.get("properties") if isinstance(f, dict) else None
        geom = f.get("geometry") if isinstance(f, dict) else None
        if not isinstance(props, dict) or not isinstance(props.get("id"), str) or not props["id"]:
            raise ValueError(f"features[{i}].properties.id: every feature needs a string id")
        if props["id"] in seen:
            raise ValueError(f"features[{i}].properties.id: duplicate id {props['id']!r}")
        seen.add(props["id"])
        if not isinstance(geom, dict) or geom.get("type") not in GEOMETRIES or not isinstance(
                geom.get("coordinates"), list):
            raise ValueError(f"features[{i}].geometry: a Point, LineString or Polygon (or Multi-) with coordinates")
