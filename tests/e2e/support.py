"""Helpers for the browser tests (issue 9 grows these): sign-in, screenshots, axe, requests.

Used by tests/e2e/conftest.py and by scripts/screenshots.py; nothing here needs pytest.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "e2e"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE_WIDTH = 360
PHONE_HEIGHT = 740
# A cheap Android phone: what residents and volunteers hold.
PHONE = {
    "viewport": {"width": PHONE_WIDTH, "height": PHONE_HEIGHT},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
    "timezone_id": "Asia/Shanghai",
}
SERIOUS = ("serious", "critical")
HAN = re.compile(r"[\u4e00-\u9fff]")


def chromium_missing_reason() -> str | None:
    """None when Debian's chromium is there, else why the browser tests cannot run."""
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is missing (make browser installs it: apt-get install chromium)"
    if shutil.which("fc-list"):
        import subprocess

        fonts = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True).stdout
        if not fonts.strip():
            return "no CJK font (apt-get install fonts-noto-cjk): Chinese would render as boxes"
    return None


def launch(playwright):
    """Debian's chromium, quiet: no background traffic to Google."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def new_phone_context(browser, base_url: str | None = None, **overrides):
    options = {**PHONE, **overrides}
    if base_url:
        options["base_url"] = base_url
    return browser.new_context(**options)


def login(page, username: str, password: str) -> None:
    """Sign in through the real form, as a person would, and wait for the landing page."""
    page.goto("/login")
    page.locator("input[name=login]").fill(username)
    page.locator("input[name=password]").fill(password)
    with page.expect_navigation():
        page.locator("form.form button[type=submit]").click()
    if "/login" in urlsplit(page.url).path:
        errors = page.locator(".field-error, .error, [role=alert]").all_inner_texts()
        raise AssertionError(f"sign-in as {username} failed: {errors}")


def logout(page) -> None:
    page.locator("form[action$='/logout'] button").first.click()
    page.wait_for_load_state()


def shot(page, name: str, *, full_page: bool = True) -> Path:
    """Save a screenshot as artifacts/e2e/<name>.png (git-ignored) and return its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def axe_violations(page, impacts=SERIOUS, ignore=()) -> list[dict]:
    """axe-core's violations on the current page with one of ``impacts``.

    ``ignore`` names rules known to fail on this page (each with a reason where it is
    passed); every other rule is still checked."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        v
        for v in results.response["violations"]
        if v.get("impact") in impacts and v.get("id") not in ignore
    ]


def axe_check(page, impacts=SERIOUS, ignore=()) -> None:
    """Fail with a readable list when axe finds serious or critical violations."""
    found = axe_violations(page, impacts, ignore)
    if found:
        lines = []
        for violation in found:
            targets = [" ".join(node.get("target", [])) for node in violation["nodes"][:5]]
            lines.append(
                f"- {violation['id']} ({violation['impact']}): {violation['help']} → {targets}"
            )
        raise AssertionError(f"axe on {page.url}:\n" + "\n".join(lines))


def horizontal_overflow(page) -> int:
    """How many CSS pixels the page is wider than the phone (0 when it fits)."""
    width = page.evaluate("document.documentElement.scrollWidth")
    return max(0, width - page.viewport_size["width"])


def visible_chinese(page) -> str:
    """The page's visible text when it contains Chinese, else an empty string."""
    text = page.locator("body").inner_text()
    return text if HAN.search(text) else ""


class RequestLog:
    """Every request the page makes; ``outside()`` lists those leaving 127.0.0.1."""

    def __init__(self, page_or_context) -> None:
        self.urls: list[str] = []
        page_or_context.on("request", lambda request: self.urls.append(request.url))

    def outside(self) -> list[str]:
        bad = []
        for url in self.urls:
            parts = urlsplit(url)
            if parts.scheme in ("data", "blob", "about"):
                continue
            if parts.hostname not in ("127.0.0.1",):
                bad.append(url)
        return bad
