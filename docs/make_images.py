"""Draw the store's icon.png (128x128) and logo.png (250x100) next to config.yaml.

Kept out of the image (.dockerignore lets only the app's own files in). Needs Pillow:

    .venv/bin/pip install pillow && .venv/bin/python docs/make_images.py

Drawn at 4x and scaled down, so edges are smooth. A shield (crashes are cleaned on the
device) with a check mark, on Home Assistant's blue.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parent.parent
BLUE = (3, 169, 244, 255)
DARK = (1, 87, 155, 255)
WHITE = (255, 255, 255, 255)
SCALE = 4


def badge(size: int) -> Image.Image:
    """The square mark: a rounded blue tile, a white shield, a blue check inside."""
    s = size * SCALE
    img = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.rounded_rectangle((0, 0, s - 1, s - 1), radius=s // 5, fill=BLUE)
    cx, top, bottom, half = s / 2, s * 0.17, s * 0.85, s * 0.29
    shield = [(cx, top), (cx + half, top + s * 0.1), (cx + half, s * 0.5),
              (cx, bottom), (cx - half, s * 0.5), (cx - half, top + s * 0.1)]
    draw.polygon(shield, fill=WHITE)
    width = int(s * 0.07)
    draw.line([(cx - s * 0.13, s * 0.5), (cx - s * 0.03, s * 0.61), (cx + s * 0.15, s * 0.38)],
              fill=DARK, width=width, joint="curve")
    return img.resize((size, size), Image.Resampling.LANCZOS)


def logo(width: int, height: int) -> Image.Image:
    """The mark and the name, on a transparent background."""
    img = Image.new("RGBA", (width * SCALE, height * SCALE), (0, 0, 0, 0))
    mark = badge(height - 20).resize(((height - 20) * SCALE,) * 2, Image.Resampling.LANCZOS)
    img.alpha_composite(mark, (10 * SCALE, 10 * SCALE))
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=25 * SCALE)
    x = (height + 4) * SCALE
    draw.text((x, 22 * SCALE), "Crash", font=font, fill=DARK)
    draw.text((x, 52 * SCALE), "Reporter", font=font, fill=DARK)
    return img.resize((width, height), Image.Resampling.LANCZOS)


def main() -> None:
    """Write both files."""
    badge(128).save(ROOT / "icon.png", optimize=True)
    logo(250, 100).save(ROOT / "logo.png", optimize=True)
    print(f"wrote {ROOT / 'icon.png'} and {ROOT / 'logo.png'}")


if __name__ == "__main__":
    main()
