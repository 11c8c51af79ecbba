"""BlurHash encoding (https://blurha.sh): a short string that clients turn into a blurred
placeholder while the real image loads.

The image is described by the low-frequency coefficients of a 2-D cosine transform of its linear
RGB pixels: the average colour (DC) as 24-bit sRGB and the other (AC) components quantised to 19
levels each, relative to the largest of them; all packed in base 83.
"""
from __future__ import annotations

import math
from typing import Sequence

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~"


def base83(value: int, length: int) -> str:
    out = []
    for i in range(1, length + 1):
        digit = (value // (83 ** (length - i))) % 83
        out.append(ALPHABET[digit])
    return "".join(out)


def srgb_to_linear(value: int) -> float:
    v = value / 255
    return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4


def linear_to_srgb(value: float) -> int:
    v = max(0.0, min(1.0, value))
    if v <= 0.0031308:
        return int(v * 12.92 * 255 + 0.5)
    return int((1.055 * v ** (1 / 2.4) - 0.055) * 255 + 0.5)


def _sign_pow(value: float, exp: float) -> float:
    return math.copysign(abs(value) ** exp, value)


def encode(pixels: Sequence[tuple[int, int, int]], width: int, height: int, *,
           x_components: int = 4, y_components: int = 3) -> str:
    """`pixels` are sRGB triples, row by row. Keep the image small (say 32×32): the cost is
    width × height × components."""
    if not (1 <= x_components <= 9 and 1 <= y_components <= 9):
        raise ValueError("components must be between 1 and 9")
    if width < 1 or height < 1 or len(pixels) < width * height:
        raise ValueError("not enough pixels")
    linear = [(srgb_to_linear(r), srgb_to_linear(g), srgb_to_linear(b)) for r, g, b in pixels[:width * height]]
    cos_x = [[math.cos(math.pi * i * x / width) for x in range(width)] for i in range(x_components)]
    cos_y = [[math.cos(math.pi * j * y / height) for y in range(height)] for j in range(y_components)]
    factors: list[tuple[float, float, float]] = []
    for j in range(y_components):
        for i in range(x_components):
            norm = 1.0 if i == 0 and j == 0 else 2.0
            r = g = b = 0.0
            for y in range(height):
                cy = cos_y[j][y]
                row = y * width
                for x in range(width):
                    basis = cos_x[i][x] * cy
                    pr, pg, pb = linear[row + x]
                    r += basis * pr
                    g += basis * pg
                    b += basis * pb
            scale = norm / (width * height)
            factors.append((r * scale, g * scale, b * scale))

    dc, ac = factors[0], factors[1:]
    out = base83((x_components - 1) + (y_components - 1) * 9, 1)
    if ac:
        actual_max = max(abs(c) for f in ac for c in f)
        quantised_max = int(max(0, min(82, math.floor(actual_max * 166 - 0.5))))
        maximum = (quantised_max + 1) / 166
        out += base83(quantised_max, 1)
    else:
        maximum = 1.0
        out += base83(0, 1)
    out += base83((linear_to_srgb(dc[0]) << 16) + (linear_to_srgb(dc[1]) << 8) + linear_to_srgb(dc[2]), 4)
    for r, g, b in ac:
        q = [int(max(0, min(18, math.floor(_sign_pow(c / maximum, 0.5) * 9 + 9.5)))) for c in (r, g, b)]
        out += base83(q[0] * 19 * 19 + q[1] * 19 + q[2], 2)
    return out


def average_colour(hash_: str) -> tuple[int, int, int]:
    """The DC component back as sRGB (for tests and for a placeholder colour)."""
    value = 0
    for char in hash_[2:6]:
        value = value * 83 + ALPHABET.index(char)
    return (value >> 16) & 255, (value >> 8) & 255, value & 255
