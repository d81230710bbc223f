"""Draw the icons, stdlib only: bundle/icon.png (512x512 RGBA, the size `mcpb validate` recommends) and
astro_mcp/server/icon.png (64x64, sent inline in the server's `serverInfo`).

Three metric bars under a four-pointed star on a rounded indigo tile. Each pixel is sampled 4x4
times for smooth edges; the output is the same bytes on every run. Run: python3 scripts/make_icon.py
"""

from __future__ import annotations

import math
import struct
import sys
import zlib
from collections.abc import Callable
from pathlib import Path

GRID = 256  # the shapes below are drawn on a 256-unit grid, whatever the size of the image
SAMPLES = 4
Color = tuple[int, int, int]
Shape = Callable[[float, float], bool]

TOP: Color = (49, 46, 129)  # the tile's gradient, top to bottom
BOTTOM: Color = (30, 27, 75)
BARS: Color = (34, 211, 238)
STAR: Color = (253, 230, 138)


def rounded_rect(x0: float, y0: float, x1: float, y1: float, radius: float) -> Shape:
    def inside(x: float, y: float) -> bool:
        dx = max(x0 + radius - x, 0.0, x - (x1 - radius))
        dy = max(y0 + radius - y, 0.0, y - (y1 - radius))
        return x0 <= x <= x1 and y0 <= y <= y1 and dx * dx + dy * dy <= radius * radius

    return inside


def astroid(cx: float, cy: float, radius: float) -> Shape:
    """A four-pointed star: |x|^(2/3) + |y|^(2/3) <= r^(2/3)."""

    def inside(x: float, y: float) -> bool:
        return math.pow(abs(x - cx), 2 / 3) + math.pow(abs(y - cy), 2 / 3) <= math.pow(radius, 2 / 3)

    return inside


TILE = rounded_rect(8, 8, 248, 248, 52)
LAYERS: list[tuple[list[Shape], Color]] = [
    (
        [
            rounded_rect(52, 150, 88, 204, 10),
            rounded_rect(110, 118, 146, 204, 10),
            rounded_rect(168, 84, 204, 204, 10),
        ],
        BARS,
    ),
    ([astroid(92, 84, 46)], STAR),
]


def pixel(px: int, py: int, size: int) -> bytes:
    """The pixel's RGBA: each layer painted over the tile in proportion to the samples it covers."""
    t = py / (size - 1)
    rgb = [a + (b - a) * t for a, b in zip(TOP, BOTTOM, strict=True)]
    scale = GRID / size
    points = [
        ((px + (i + 0.5) / SAMPLES) * scale, (py + (j + 0.5) / SAMPLES) * scale)
        for i in range(SAMPLES)
        for j in range(SAMPLES)
    ]
    for shapes, color in LAYERS:
        share = sum(any(shape(x, y) for shape in shapes) for x, y in points) / len(points)
        rgb = [c + (n - c) * share for c, n in zip(rgb, color, strict=True)]
    alpha = sum(TILE(x, y) for x, y in points) / len(points)
    return bytes([*(round(c) for c in rgb), round(255 * alpha)])


def png(width: int, height: int, rows: list[bytes]) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA
    raw = b"".join(b"\x00" + row for row in rows)  # filter type 0 on every row
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def icon(size: int) -> bytes:
    rows = [b"".join(pixel(x, y, size) for x in range(size)) for y in range(size)]
    return png(size, size, rows)


def main() -> int:
    root = Path(__file__).resolve().parent.parent
    for size, out in ((512, root / "bundle" / "icon.png"), (64, root / "astro_mcp" / "server" / "icon.png")):
        out.write_bytes(icon(size))
        sys.stderr.write(f"wrote {out}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
