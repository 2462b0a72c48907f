"""Draw the app icons (PNG) from the favicon's design with Debian's chromium.

    .venv/bin/python scripts/icons.py

Writes app/static/icons/apple-touch-icon.png (180 px, what iOS puts on the home screen) and
icon-192.png / icon-512.png (the web app manifest's). Full-bleed red, no transparency (iOS
fills transparency with black), the 邻 mark inside the middle 60 % so that Android's round
and squircle masks keep it whole. The glyph is drawn with the machine's CJK font (Noto Sans
CJK on Debian) and kept as pixels: the PNGs need no font on the phone.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.e2e import support  # noqa: E402

ICONS = ROOT / "app" / "static" / "icons"
SIZES = {"apple-touch-icon.png": 180, "icon-192.png": 192, "icon-512.png": 512}
PAGE = """<!doctype html><html><head><style>
html, body {{ margin: 0; }}
div {{ width: {size}px; height: {size}px; background: #b3261e; color: #fff; display: grid;
  place-items: center; font: 700 {glyph}px/1 "Noto Sans CJK SC", "Noto Sans SC", sans-serif; }}
</style></head><body><div>邻</div></body></html>"""


def main() -> int:
    reason = support.chromium_missing_reason()
    if reason:
        print(reason, file=sys.stderr)
        return 2
    with sync_playwright() as playwright:
        browser = support.launch(playwright)
        try:
            for name, size in SIZES.items():
                page = browser.new_page(viewport={"width": size, "height": size})
                page.set_content(PAGE.format(size=size, glyph=round(size * 0.56)))
                page.locator("div").screenshot(path=str(ICONS / name))
                page.close()
                print(f"{ICONS / name} ({size}×{size})")
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
