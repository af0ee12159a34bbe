"""Product pictures for the demo catalog, drawn locally with Pillow (nothing is downloaded).

Each picture is a two-colour gradient in the product's colour, a simple motif that hints at
what it is (fruit, leaves, bottles, a vase, a woven pattern...), and the product name with
its OCOP stars. A seed makes every picture reproducible.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, ImageOps

WIDTH, HEIGHT = 960, 720  # drawing canvas, 4:3 like the product cards
OUTPUT = (800, 600)  # stored size: sharp in the gallery, and quick to encode in every size

FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/local/share/fonts"),
)

Colour = tuple[int, int, int]
Motif = Callable[[ImageDraw.ImageDraw, random.Random, Colour], None]


@dataclass(frozen=True)
class Look:
    """Colours and motif of one kind of product."""

    top: str
    bottom: str
    accent: str
    motif: str


LOOKS: dict[str, Look] = {
    "lychee": Look("#5e0a17", "#f2a7a0", "#d7263d", "berries"),
    "orchard": Look("#33691e", "#dcedc8", "#7cb342", "mountains"),
    "dried_lychee": Look("#5a2a1a", "#b5651d", "#e7a86b", "berries"),
    "custard_apple": Look("#2f5d2a", "#9ccc65", "#d7f0b0", "berries"),
    "longan": Look("#7a5a2e", "#d9b26f", "#f4dfb0", "berries"),
    "dried_longan": Look("#4e3420", "#a47148", "#e9c9a0", "berries"),
    "gac": Look("#a8260b", "#ff8a1f", "#ffd08a", "drops"),
    "gac_powder": Look("#7f1d0b", "#f4511e", "#ffab91", "grains"),
    "noodle": Look("#b08a55", "#f3e3c3", "#fffaf0", "waves"),
    "brown_noodle": Look("#5d4037", "#bcaaa4", "#efebe9", "waves"),
    "glass_noodle": Look("#4a4e69", "#c9ada7", "#f2e9e4", "waves"),
    "chicken": Look("#6d3b12", "#e0a552", "#ffe0a8", "mountains"),
    "tea": Look("#1f4d2b", "#7cb342", "#c5e1a5", "leaves"),
    "tea_premium": Look("#0f3d26", "#2e7d32", "#a5d6a7", "leaves"),
    "white_tea": Look("#3e5641", "#d8e4c8", "#ffffff", "leaves"),
    "black_tea": Look("#4a1c0c", "#a0522d", "#f0b27a", "leaves"),
    "golden_tea": Look("#7a5c00", "#f2c200", "#fff3b0", "flowers"),
    "herb": Look("#23452b", "#6b8e23", "#e6d3a3", "flowers"),
    "honey": Look("#8a4b00", "#f5a623", "#ffe39a", "drops"),
    "fish_sauce": Look("#4e2a07", "#c97b2a", "#ffd59e", "bottles"),
    "sauce": Look("#3b2a1a", "#8d6e4c", "#e8cfa9", "bottles"),
    "coconut": Look("#5d4037", "#d7ccc8", "#fff8e1", "discs"),
    "pandan": Look("#2e5e2e", "#b9e4a0", "#f4fff0", "discs"),
    "coffee": Look("#2b1a12", "#7b4a2e", "#d7b899", "beans"),
    "silk": Look("#5b1f5e", "#d56fa8", "#ffd6ec", "waves"),
    "ceramic": Look("#0d2f66", "#8fb8e8", "#f4f8ff", "vase"),
    "rattan": Look("#7c5a2a", "#e3c48f", "#fff0d0", "weave"),
    "ginseng": Look("#4b1d1d", "#c0392b", "#f7dfc5", "roots"),
    "sam_nam": Look("#4e342e", "#d7a86e", "#fbe9d0", "roots"),
    "artichoke": Look("#2c3e50", "#6f9a8d", "#dfe9d8", "leaves"),
    "oil": Look("#22543d", "#8fd3b6", "#f0fff7", "drops"),
    "bonsai": Look("#2f3e2f", "#a3b18a", "#dad7cd", "tree"),
    "orchid": Look("#6a1b5f", "#f48fb1", "#fff0f6", "flowers"),
    "homestay": Look("#1e5b8c", "#a7d8f0", "#ffffff", "mountains"),
    "rice": Look("#8a6d1d", "#f0d78c", "#fffbe6", "grains"),
    "pepper": Look("#1b1b1b", "#5d4e3a", "#c8b79e", "grains"),
    "rice_paper": Look("#9e8a6a", "#f7efe0", "#ffffff", "discs"),
    "salt": Look("#b23a16", "#f4a259", "#ffe5c7", "grains"),
}


def _rgb(hex_colour: str) -> Colour:
    hex_colour = hex_colour.lstrip("#")
    return tuple(int(hex_colour[i : i + 2], 16) for i in (0, 2, 4))  # type: ignore[return-value]


@lru_cache(maxsize=16)
def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """DejaVu Sans (it has every Vietnamese letter and ★), else Pillow's scalable default."""
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    for folder in FONT_DIRS:
        if (folder / name).exists():
            return ImageFont.truetype(str(folder / name), size)
    try:
        return ImageFont.truetype(name, size)  # FreeType's own search path
    except OSError:
        return ImageFont.load_default(size=size)


def _gradient(top: Colour, bottom: Colour, horizontal: bool) -> Image.Image:
    mask = Image.linear_gradient("L")
    if horizontal:
        mask = mask.rotate(90)
    mask = mask.resize((WIDTH, HEIGHT), Image.Resampling.BILINEAR)
    return Image.composite(
        Image.new("RGB", (WIDTH, HEIGHT), bottom), Image.new("RGB", (WIDTH, HEIGHT), top), mask
    )


def _alpha(colour: Colour, alpha: int) -> tuple[int, int, int, int]:
    return (*colour, alpha)


# --- motifs: each draws on a transparent layer over the upper two thirds of the picture ---


def _berries(draw: ImageDraw.ImageDraw, rng: random.Random, accent: Colour) -> None:
    shade = (*(int(c * 0.75) for c in accent), 255)
    for _ in range(rng.randint(3, 4)):
        cx, cy = rng.randint(120, WIDTH - 120), rng.randint(90, 420)
        for _ in range(rng.randint(5, 9)):
            r = rng.randint(38, 70)
            x, y = cx + rng.randint(-90, 90), cy + rng.randint(-60, 60)
            draw.ellipse(
                (x - r, y - r, x + r, y + r), fill=_alpha(accent, 235), outline=shade, width=3
            )
            for _ in range(9):  # the bumpy skin
                a, d = rng.uniform(0, 2 * math.pi), rng.uniform(0, r * 0.75)
                px, py = x + d * math.cos(a), y + d * math.sin(a)
                draw.ellipse((px - 4, py - 4, px + 4, py + 4), fill=shade)
            draw.ellipse(
                (x - r * 0.5, y - r * 0.6, x - r * 0.2, y - r * 0.3), fill=(255, 255, 255, 110)
            )


def _leaf(draw, cx, cy, length, angle, colour, alpha) -> None:
    points = []
    for i in range(21):
        t = i / 20
        points.append((t * length, math.sin(t * math.pi) * length * 0.28))
    points += [(x, -y) for x, y in reversed(points)]
    cos, sin = math.cos(angle), math.sin(angle)
    placed = [(cx + x * cos - y * sin, cy + x * sin + y * cos) for x, y in points]
    draw.polygon(placed, fill=_alpha(colour, alpha))
    draw.line(
        [placed[0], (cx + length * cos, cy + length * sin)], fill=(255, 255, 255, 90), width=3
    )


def _leaves(draw, rng, accent) -> None:
    for _ in range(rng.randint(9, 13)):
        _leaf(
            draw,
            rng.randint(60, WIDTH - 60),
            rng.randint(60, 440),
            rng.randint(110, 210),
            rng.uniform(0, 2 * math.pi),
            accent,
            rng.randint(120, 200),
        )


def _flowers(draw, rng, accent) -> None:
    for _ in range(rng.randint(4, 6)):
        cx, cy, r = rng.randint(100, WIDTH - 100), rng.randint(90, 420), rng.randint(45, 80)
        turn = rng.uniform(0, math.pi)
        for k in range(5):
            a = turn + k * 2 * math.pi / 5
            px, py = cx + r * 0.9 * math.cos(a), cy + r * 0.9 * math.sin(a)
            draw.ellipse(
                (px - r * 0.6, py - r * 0.6, px + r * 0.6, py + r * 0.6), fill=_alpha(accent, 170)
            )
        draw.ellipse(
            (cx - r * 0.35, cy - r * 0.35, cx + r * 0.35, cy + r * 0.35), fill=(255, 200, 40, 230)
        )


def _waves(draw, rng, accent) -> None:
    amplitude, period = rng.randint(14, 30), rng.randint(90, 160)
    for row in range(rng.randint(9, 13)):
        y0 = 40 + row * 36 + rng.randint(-6, 6)
        phase = rng.uniform(0, 2 * math.pi)
        points = [
            (x, y0 + amplitude * math.sin(phase + 2 * math.pi * x / period))
            for x in range(-10, WIDTH + 11, 12)
        ]
        draw.line(
            points,
            fill=_alpha(accent, rng.randint(120, 210)),
            width=rng.randint(5, 10),
            joint="curve",
        )


def _drops(draw, rng, accent) -> None:
    for _ in range(rng.randint(7, 11)):
        cx, cy, r = rng.randint(70, WIDTH - 70), rng.randint(110, 440), rng.randint(28, 64)
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=_alpha(accent, 170))
        draw.polygon(
            [(cx - r * 0.87, cy - r * 0.5), (cx, cy - r * 2.2), (cx + r * 0.87, cy - r * 0.5)],
            fill=_alpha(accent, 170),
        )
        draw.ellipse(
            (cx - r * 0.5, cy - r * 0.3, cx - r * 0.15, cy + r * 0.1), fill=(255, 255, 255, 120)
        )


def _bottles(draw, rng, accent) -> None:
    count = rng.randint(3, 4)
    step = WIDTH // (count + 1)
    for i in range(count):
        cx, w, h = (
            step * (i + 1) + rng.randint(-25, 25),
            rng.randint(90, 130),
            rng.randint(260, 340),
        )
        base = 470
        draw.rounded_rectangle(
            (cx - w / 2, base - h, cx + w / 2, base), radius=28, fill=_alpha(accent, 160)
        )
        draw.rectangle(
            (cx - w / 6, base - h - 70, cx + w / 6, base - h + 10), fill=_alpha(accent, 160)
        )
        draw.rectangle(
            (cx - w / 5, base - h - 90, cx + w / 5, base - h - 66), fill=(60, 30, 10, 200)
        )
        draw.rectangle(
            (cx - w / 2 + 12, base - h * 0.6, cx + w / 2 - 12, base - h * 0.3),
            fill=(255, 255, 255, 150),
        )


def _beans(draw, rng, accent) -> None:
    for _ in range(rng.randint(14, 20)):
        cx, cy = rng.randint(50, WIDTH - 50), rng.randint(50, 450)
        rx, ry, a = rng.randint(34, 50), rng.randint(22, 32), rng.uniform(0, math.pi)
        outline = []
        for k in range(24):
            t = 2 * math.pi * k / 24
            x, y = rx * math.cos(t), ry * math.sin(t)
            outline.append(
                (cx + x * math.cos(a) - y * math.sin(a), cy + x * math.sin(a) + y * math.cos(a))
            )
        draw.polygon(outline, fill=_alpha(accent, 200))
        crease = [
            (cx + x * math.cos(a) - y * math.sin(a), cy + x * math.sin(a) + y * math.cos(a))
            for x, y in ((t, 6 * math.sin(t / rx * math.pi)) for t in range(-rx + 6, rx - 5, 6))
        ]
        draw.line(crease, fill=(60, 35, 20, 230), width=4)


def _vase(draw, rng, accent) -> None:
    cx, base, height = WIDTH // 2 + rng.randint(-120, 120), 480, 400
    profile = []
    for i in range(41):
        t = i / 40
        half = (
            60
            + 110 * math.sin(math.pi * (0.15 + 0.75 * t)) ** 2 * (1 - 0.55 * t)
            + (35 if t > 0.92 else 0)
        )
        profile.append((half, base - t * height))
    outline = [(cx + w, y) for w, y in profile] + [(cx - w, y) for w, y in reversed(profile)]
    draw.polygon(outline, fill=_alpha(accent, 220))
    colour = _rgb("#1f4fa0")
    for row in range(3):
        y = base - height * (0.3 + 0.2 * row)
        for k in range(-3, 4):
            x = cx + k * 34
            draw.ellipse((x - 11, y - 11, x + 11, y + 11), outline=_alpha(colour, 230), width=4)
    for _ in range(6):
        x, y, r = rng.randint(40, WIDTH - 40), rng.randint(40, 200), rng.randint(8, 18)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=_alpha(accent, 90))


def _weave(draw, rng, accent) -> None:
    cell = rng.randint(44, 60)
    for row, y in enumerate(range(0, 500, cell)):
        for col, x in enumerate(range(0, WIDTH, cell)):
            if (row + col) % 2:
                box = (x + 4, y + cell * 0.2, x + cell - 4, y + cell * 0.8)
            else:
                box = (x + cell * 0.2, y + 4, x + cell * 0.8, y + cell - 4)
            draw.rounded_rectangle(box, radius=8, fill=_alpha(accent, 150))


def _branch(draw, x, y, angle, length, width, depth, rng, colour) -> None:
    x2, y2 = x + length * math.cos(angle), y + length * math.sin(angle)
    draw.line([(x, y), (x2, y2)], fill=_alpha(colour, 220), width=max(2, int(width)))
    if depth:
        for turn in (-0.5, 0.45):
            _branch(
                draw,
                x2,
                y2,
                angle + turn + rng.uniform(-0.2, 0.2),
                length * 0.7,
                width * 0.65,
                depth - 1,
                rng,
                colour,
            )


def _roots(draw, rng, accent) -> None:
    for i in range(3):
        x = 220 + i * 260 + rng.randint(-40, 40)
        draw.ellipse((x - 45, 70, x + 45, 210), fill=_alpha(accent, 220))
        _branch(draw, x, 190, math.pi / 2 + rng.uniform(-0.2, 0.2), 110, 26, 4, rng, accent)
        for k in range(3):  # the leaves on top of the root
            _leaf(draw, x, 80, 90, -math.pi / 2 + (k - 1) * 0.7, _rgb("#2e7d32"), 210)


def _tree(draw, rng, accent) -> None:
    cx = WIDTH // 2 + rng.randint(-150, 150)
    draw.polygon(
        [(cx - 150, 400), (cx + 150, 400), (cx + 110, 480), (cx - 110, 480)], fill=(90, 60, 40, 230)
    )
    trunk = [(cx + 10 * math.sin(t / 12), 400 - t * 4) for t in range(0, 60)]
    draw.line(trunk, fill=(80, 55, 35, 240), width=30, joint="curve")
    for _ in range(7):
        x, y, r = cx + rng.randint(-200, 200), rng.randint(110, 230), rng.randint(45, 80)
        draw.ellipse((x - r * 1.4, y - r, x + r * 1.4, y + r), fill=_alpha(accent, 200))


def _mountains(draw, rng, accent) -> None:
    sun_x = rng.randint(120, WIDTH - 120)
    draw.ellipse((sun_x - 60, 40, sun_x + 60, 160), fill=(255, 236, 150, 220))
    for layer in range(3):
        base, alpha = 300 + layer * 80, 110 + layer * 45
        points = [(0, 520)]
        for x in range(0, WIDTH + 121, 120):
            points.append((x, base - rng.randint(20, 170 - layer * 30)))
        points.append((WIDTH, 520))
        draw.polygon(points, fill=_alpha(accent, alpha))


def _grains(draw, rng, accent) -> None:
    for _ in range(rng.randint(70, 100)):
        cx, cy, a = rng.randint(20, WIDTH - 20), rng.randint(20, 470), rng.uniform(0, math.pi)
        rx, ry = rng.randint(12, 20), rng.randint(5, 8)
        outline = [
            (
                cx + rx * math.cos(t) * math.cos(a) - ry * math.sin(t) * math.sin(a),
                cy + rx * math.cos(t) * math.sin(a) + ry * math.sin(t) * math.cos(a),
            )
            for t in (2 * math.pi * k / 12 for k in range(12))
        ]
        draw.polygon(outline, fill=_alpha(accent, rng.randint(150, 230)))


def _discs(draw, rng, accent) -> None:
    for _ in range(rng.randint(6, 9)):
        cx, cy, r = rng.randint(80, WIDTH - 80), rng.randint(80, 430), rng.randint(50, 110)
        draw.ellipse(
            (cx - r, cy - r, cx + r, cy + r),
            fill=_alpha(accent, 130),
            outline=(255, 255, 255, 160),
            width=5,
        )
        draw.ellipse(
            (cx - r * 0.6, cy - r * 0.6, cx + r * 0.6, cy + r * 0.6),
            outline=(255, 255, 255, 90),
            width=3,
        )


MOTIFS: dict[str, Motif] = {
    "berries": _berries,
    "leaves": _leaves,
    "flowers": _flowers,
    "waves": _waves,
    "drops": _drops,
    "bottles": _bottles,
    "beans": _beans,
    "vase": _vase,
    "weave": _weave,
    "roots": _roots,
    "tree": _tree,
    "mountains": _mountains,
    "grains": _grains,
    "discs": _discs,
}


def _wrap(draw: ImageDraw.ImageDraw, text: str, typeface, width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and draw.textlength(f"{lines[-1]} {word}", font=typeface) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def render_product_picture(
    name: str,
    stars: int | None,
    look: str,
    *,
    subtitle: str = "",
    seed: str = "",
    variant: int = 0,
) -> Image.Image:
    """An 800×600 picture: gradient, motif, and a band with the name, origin and stars.

    `variant` 1, 2, ... gives the same product another composition (a second gallery photo).
    """
    style = LOOKS[look]
    rng = random.Random(f"{seed or name}/{variant}")
    top, bottom, accent = _rgb(style.top), _rgb(style.bottom), _rgb(style.accent)
    image = _gradient(top, bottom, horizontal=bool(variant % 2)).convert("RGBA")

    layer = Image.new("RGBA", image.size, (0, 0, 0, 0))
    MOTIFS[style.motif](ImageDraw.Draw(layer), rng, accent)
    if variant % 2:
        layer = ImageOps.mirror(layer)
    image.alpha_composite(layer)

    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    band_top = HEIGHT - 210
    draw.rectangle((0, band_top, WIDTH, HEIGHT), fill=(20, 14, 10, 150))
    # OCOP badge, top left
    draw.ellipse((28, 28, 148, 148), fill=(255, 255, 255, 225), outline=(200, 30, 40, 255), width=6)
    badge = font(30, bold=True)
    draw.text((88, 80), "OCOP", font=badge, fill=(200, 30, 40, 255), anchor="mm")
    if stars:
        draw.text(
            (88, 112), "★" * stars, font=font(18, bold=True), fill=(230, 160, 0, 255), anchor="mm"
        )

    size = 52
    title = font(size, bold=True)
    lines = _wrap(draw, name, title, WIDTH - 80)
    while len(lines) > 2 and size > 30:
        size -= 4
        title = font(size, bold=True)
        lines = _wrap(draw, name, title, WIDTH - 80)
    y = band_top + 22
    if stars:
        rating = "★" * stars + "☆" * (5 - stars)
        draw.text(
            (WIDTH - 40, y), rating, font=font(30, bold=True), fill=(255, 213, 74, 255), anchor="ra"
        )
    if subtitle:
        draw.text((40, y + 2), subtitle, font=font(26), fill=(255, 255, 255, 220))
    y += 48
    for line in lines[:2]:
        draw.text((40, y), line, font=title, fill=(255, 255, 255, 255))
        y += size + 10
    image.alpha_composite(overlay)
    return image.convert("RGB").resize(OUTPUT, Image.Resampling.LANCZOS)
