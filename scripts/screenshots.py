"""Phone screenshots of each demo role's landing page, against a running Linli server.

    .venv/bin/python scripts/screenshots.py http://127.0.0.1:5000 [--out artifacts/screenshots]

Signs in through the real form as every account ``flask seed-demo`` prints, on a 360×740
phone with Debian's chromium, and saves <out>/<role>.png (the full page) plus the public
home and sign-in pages. Prints one line per page: its address, width overflow, and the
serious or critical axe findings, so a look at the PNGs has a checklist beside it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from app.demo import DEMO_LOGINS, DEMO_PASSWORD  # noqa: E402
from tests.e2e import support  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="where Linli runs, e.g. http://127.0.0.1:5000")
    parser.add_argument("--out", default=str(ROOT / "artifacts" / "screenshots"))
    parser.add_argument("--lang", choices=("zh", "en"), default="zh")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    reason = support.chromium_missing_reason()
    if reason:
        print(reason, file=sys.stderr)
        return 2
    base = args.url.rstrip("/")
    locale = "zh-CN" if args.lang == "zh" else "en-GB"
    problems = 0
    with sync_playwright() as playwright:
        browser = support.launch(playwright)
        try:
            pages = [("home", None, "/"), ("login", None, "/login")]
            pages += [(account.role, account, "/me") for account in DEMO_LOGINS]
            for name, account, path in pages:
                context = support.new_phone_context(browser, base_url=base, locale=locale)
                page = context.new_page()
                requests = support.RequestLog(page)
                try:
                    if account is not None:
                        support.login(page, account.username, DEMO_PASSWORD)
                    response = page.goto(path)
                    status = response.status if response is not None else "?"
                    target = out / f"{name}.png"
                    page.screenshot(path=str(target), full_page=True)
                    overflow = support.horizontal_overflow(page)
                    findings = [f"{v['id']}({v['impact']})" for v in support.axe_violations(page)]
                    outside = requests.outside()
                    bad = overflow or findings or outside or status != 200
                    problems += bool(bad)
                    print(
                        f"{'!!' if bad else 'ok'} {name:<18} {status} {page.url} → {target}"
                        + (f"  overflow {overflow}px" if overflow else "")
                        + (f"  axe: {', '.join(findings)}" if findings else "")
                        + (f"  outside: {outside}" if outside else "")
                    )
                except Exception as error:  # noqa: BLE001 - report and go on to the next role
                    problems += 1
                    print(f"!! {name:<18} failed: {error}".splitlines()[0])
                finally:
                    context.close()
        finally:
            browser.close()
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
