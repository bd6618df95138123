#!/usr/bin/env python3
"""Writes the ten demo images of www/page.html: 1.png .. 10.png.

Each is a colour gradient with a little deterministic grain (so the files
have realistic sizes, 5-40 KiB, instead of compressing to nothing) and its
number in large white digits. Only the standard library: PNG is a signature
and three chunks (IHDR, IDAT with zlib-deflated scanlines, IEND), each with
a CRC-32. Run it from anywhere; the output is the same every time.

    python3 www/images/make_images.py
"""
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))

# 3x5 bitmap digits, one string of rows per digit
FONT = {
    "0": ["111", "101", "101", "101", "111"],
    "1": ["010", "110", "010", "010", "111"],
    "2": ["111", "001", "111", "100", "111"],
    "3": ["111", "001", "111", "001", "111"],
    "4": ["101", "101", "111", "001", "001"],
    "5": ["111", "100", "111", "001", "111"],
    "6": ["111", "100", "111", "101", "111"],
    "7": ["111", "001", "010", "010", "010"],
    "8": ["111", "101", "111", "101", "111"],
    "9": ["111", "101", "111", "001", "111"],
}

# (width, height, top colour, bottom colour, grain amplitude)
IMAGES = [
    (120, 90, (231, 76, 60), (142, 68, 173), 6),
    (160, 120, (230, 126, 34), (241, 196, 15), 8),
    (100, 100, (46, 204, 113), (22, 160, 133), 10),
    (200, 150, (52, 152, 219), (41, 128, 185), 9),
    (140, 105, (155, 89, 182), (52, 73, 94), 12),
    (180, 120, (26, 188, 156), (39, 174, 96), 10),
    (128, 128, (243, 156, 18), (211, 84, 0), 14),
    (220, 140, (192, 57, 43), (44, 62, 80), 9),
    (150, 150, (127, 140, 141), (44, 62, 80), 12),
    (240, 160, (41, 128, 185), (142, 68, 173), 10),
]


def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def png(width, height, rows):
    """rows: height bytes objects of width*3 RGB bytes each."""
    raw = b"".join(b"\x00" + r for r in rows)   # filter type 0 on each line
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9))
            + chunk(b"IEND", b""))


def draw(n, width, height, top, bottom, grain):
    seed = 2463534242 + n * 7919

    def rnd():
        nonlocal seed   # xorshift32: the same grain on every run
        seed ^= (seed << 13) & 0xFFFFFFFF
        seed ^= seed >> 17
        seed ^= (seed << 5) & 0xFFFFFFFF
        return seed

    text = str(n)
    scale = max(4, min(width // (4 * len(text) + 1), height // 7))
    tw = (4 * len(text) - 1) * scale
    x0, y0 = (width - tw) // 2, (height - 5 * scale) // 2

    def ink(x, y):
        if y < y0 or y >= y0 + 5 * scale or x < x0 or x >= x0 + tw:
            return False
        cx, cy = (x - x0) // scale, (y - y0) // scale
        d, col = divmod(cx, 4)
        return col < 3 and FONT[text[d]][cy][col] == "1"

    rows = []
    for y in range(height):
        t = y / (height - 1)
        base = [round(a + (b - a) * t) for a, b in zip(top, bottom)]
        line = bytearray()
        for x in range(width):
            if ink(x, y):
                line += b"\xff\xff\xff"
                continue
            g = rnd() % (2 * grain + 1) - grain
            line += bytes(max(0, min(255, c + g)) for c in base)
        rows.append(bytes(line))
    return png(width, height, rows)


def main():
    for i, (w, h, top, bottom, grain) in enumerate(IMAGES, 1):
        data = draw(i, w, h, top, bottom, grain)
        with open(os.path.join(HERE, "%d.png" % i), "wb") as f:
            f.write(data)
        print("%2d.png  %dx%d  %6d bytes" % (i, w, h, len(data)))


if __name__ == "__main__":
    main()
