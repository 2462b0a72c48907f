"""Build the Chinese catalog from the per-area fragments in app/translations_src/zh/.

Message ids are English (the code's language); each area keeps its own fragment so that
work on one area never conflicts with another. ``python -m app.translate`` merges them into
app/translations/zh/LC_MESSAGES/messages.po and compiles messages.mo.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

APP_DIR = Path(__file__).resolve().parent
SOURCE_DIR = APP_DIR / "translations_src"
TARGET_DIR = APP_DIR / "translations"


def merged_catalog(language: str = "zh") -> Catalog:
    merged = Catalog(locale=language, project="linli", domain="messages")
    for fragment in sorted((SOURCE_DIR / language).glob("*.po")):
        with fragment.open("rb") as handle:
            catalog = read_po(handle, locale=language)
        for message in catalog:
            if not message.id or not message.string:
                continue
            if message.id in merged:
                continue
            merged.add(message.id, message.string, flags=[f for f in message.flags if f != "fuzzy"])
    return merged


def build(language: str = "zh") -> Path:
    catalog = merged_catalog(language)
    out_dir = TARGET_DIR / language / "LC_MESSAGES"
    out_dir.mkdir(parents=True, exist_ok=True)
    with (out_dir / "messages.po").open("wb") as handle:
        write_po(handle, catalog)
    with (out_dir / "messages.mo").open("wb") as handle:
        write_mo(handle, catalog)
    return out_dir / "messages.mo"


METHOD_MAP = [
    ("**/translations_src/**", "ignore"),
    ("**.py", "python"),
    ("**/templates/**.html", "jinja2"),
]
OPTIONS_MAP = {"**/templates/**.html": {"extensions": "jinja2.ext.do", "trimmed": "false"}}
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}


def extracted_messages() -> dict[str, str]:
    """Every translatable message id in the app's code and templates -> where it is."""
    from babel.messages.extract import extract_from_dir

    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(APP_DIR), METHOD_MAP, OPTIONS_MAP, keywords=KEYWORDS
    ):
        ids = message if isinstance(message, tuple) else (message,)
        for msgid in ids:
            if msgid:
                found.setdefault(msgid, f"{filename}:{lineno}")
    return found


def missing(language: str = "zh") -> dict[str, str]:
    catalog = merged_catalog(language)
    return {m: where for m, where in extracted_messages().items() if m not in catalog}


def _print_missing_as_po() -> None:
    """``python -m app.translate missing``: untranslated ids, as po entries to fill in."""
    for msgid, where in sorted(missing().items(), key=lambda item: item[1]):
        escaped = msgid.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        print(f'#: {where}\nmsgid "{escaped}"\nmsgstr ""\n')


if __name__ == "__main__":
    if sys.argv[1:] == ["missing"]:
        _print_missing_as_po()
    else:
        path = build()
        print(f"compiled {len(merged_catalog())} Chinese messages into {path}", file=sys.stderr)
