"""Small generated PNG pictures for the demo's posts: a street scene in the theme's colours.

Drawn from the image's name (a seeded random), so the same name gives the same picture, without
any image library and without shipping image files.
"""
from __future__ import annotations

import random
import struct
import zlib
from functools import lru_cache

WIDTH, HEIGHT = 320, 180

# (sky, ground, accent) per theme; names are "<theme>-<k>" or "<episode>-<k>".
PALETTES = {
    "afval": ((176, 196, 214), (120, 120, 112), (64, 64, 72)),
    "afval-beijum": ((160, 170, 180), (110, 104, 96), (52, 58, 60)),
    "parkeren": ((186, 210, 232), (96, 96, 100), (40, 90, 170)),
    "verkeer": ((200, 214, 230), (84, 84, 90), (230, 170, 30)),
    "openbaar-vervoer": ((190, 215, 240), (100, 100, 104), (210, 40, 60)),
    "bus-zernike": ((170, 180, 196), (100, 100, 104), (210, 40, 60)),
    "wonen": ((196, 220, 240), (118, 150, 96), (160, 70, 50)),
    "veiligheid": ((40, 46, 70), (60, 60, 64), (240, 120, 40)),
    "aardbeving": ((200, 206, 210), (130, 120, 100), (150, 80, 60)),
    "evenementen": ((70, 60, 130), (60, 90, 60), (250, 200, 60)),
    "zorg-en-inkomen": ((220, 226, 236), (150, 170, 130), (90, 150, 170)),
    "openbare-ruimte": ((190, 220, 200), (90, 150, 80), (40, 110, 50)),
    "regio": ((200, 220, 235), (140, 170, 110), (120, 120, 160)),
}
DEFAULT = ((200, 215, 230), (120, 130, 110), (90, 90, 120))


def palette(name: str) -> tuple:
    key = name.rsplit("-", 1)[0]
    return PALETTES.get(key, DEFAULT)


@lru_cache(maxsize=128)
def png(name: str) -> bytes:
    """The picture called `name` as PNG bytes."""
    rng = random.Random(name)
    sky, ground, accent = palette(name)
    horizon = int(HEIGHT * rng.uniform(0.55, 0.7))
    rows = [bytearray() for _ in range(HEIGHT)]
    for y, row in enumerate(rows):
        if y < horizon:
            shade = 1.0 - 0.25 * (1 - y / horizon)
            colour = tuple(min(255, int(c * shade + 40 * (1 - shade))) for c in sky)
        else:
            colour = ground
        row.extend(bytes(colour) * WIDTH)
    # Buildings on the horizon, then a few objects in the accent colour (containers, cars, stalls).
    x = 0
    while x < WIDTH:
        width = rng.randint(24, 60)
        height = rng.randint(30, horizon - 10)
        tone = tuple(max(0, c - rng.randint(30, 80)) for c in sky)
        _rect(rows, x, horizon - height, width - 2, height, tone)
        x += width
    for _ in range(rng.randint(2, 5)):
        width, height = rng.randint(20, 50), rng.randint(18, 40)
        left = rng.randint(0, WIDTH - width)
        top = rng.randint(horizon - height // 2, HEIGHT - height)
        _rect(rows, left, top, width, height, accent)
    raw = b"".join(b"\x00" + bytes(row) for row in rows)
    return _chunked(WIDTH, HEIGHT, zlib.compress(raw, 9))


def _rect(rows, left: int, top: int, width: int, height: int, colour) -> None:
    pixel = bytes(colour)
    for y in range(max(0, top), min(HEIGHT, top + height)):
        start, end = max(0, left), min(WIDTH, left + width)
        if start < end:
            rows[y][start * 3:end * 3] = pixel * (end - start)


def _chunked(width: int, height: int, data: bytes) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
