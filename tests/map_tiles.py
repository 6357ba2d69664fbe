"""Base-map tiles for the map's tests: solid-colour raster tiles over a bounding box, as a folder of
{z}/{x}/{y}.png and as a PMTiles archive (the npm reader and MapLibre read them in the browser)."""

from __future__ import annotations

import io
import math
from pathlib import Path

from PIL import Image

COLOUR = (255, 0, 255)  # nothing on the map is magenta: a pixel of it is a tile


def tile_xy(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def tiles(bounds: tuple[float, float, float, float], zooms: range, pad: int = 2):
    w, s, e, n = bounds
    for z in zooms:
        x0, y0 = tile_xy(w, n, z)
        x1, y1 = tile_xy(e, s, z)
        for x in range(x0 - pad, x1 + pad + 1):
            for y in range(y0 - pad, y1 + pad + 1):
                yield z, x, y


def png(colour: tuple[int, int, int] = COLOUR) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (256, 256), colour).save(buf, "PNG")
    return buf.getvalue()


def tiles_folder(root: Path, bounds, zooms: range = range(11, 16)) -> Path:
    data = png()
    for z, x, y in tiles(bounds, zooms):
        path = root / str(z) / str(x) / f"{y}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def pmtiles_file(path: Path, bounds, zooms: range = range(11, 16)) -> Path:
    from pmtiles.tile import Compression, TileType, zxy_to_tileid
    from pmtiles.writer import write

    data = png()
    ids = sorted(zxy_to_tileid(z, x, y) for z, x, y in tiles(bounds, zooms))
    w, s, e, n = bounds
    with write(str(path)) as writer:
        for tid in ids:
            writer.write_tile(tid, data)
        writer.finalize({
            "tile_type": TileType.PNG, "tile_compression": Compression.NONE,
            "min_zoom": zooms.start, "max_zoom": zooms.stop - 1,
            "min_lon_e7": int(w * 1e7), "min_lat_e7": int(s * 1e7), "max_lon_e7": int(e * 1e7),
            "max_lat_e7": int(n * 1e7), "center_zoom": zooms.start + 2,
            "center_lon_e7": int((w + e) / 2 * 1e7), "center_lat_e7": int((s + n) / 2 * 1e7),
        }, {"name": "test base map"})
    return path
