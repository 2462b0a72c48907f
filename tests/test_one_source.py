"""Each wording and each link has one source (issue 14, item 4): the old copies stay gone.

Times are converted to local time only in app/services/wording.py, phones are formatted
there, every link that leaves the app is built in app/services/links.py, and staff are
found by app/services/staff.py alone."""

from __future__ import annotations

import ast
import re
from pathlib import Path

APP = Path(__file__).resolve().parents[1] / "app"
WORDING = APP / "services" / "wording.py"
LINKS = APP / "services" / "links.py"


def _sources() -> dict[Path, str]:
    return {path: path.read_text(encoding="utf-8") for path in sorted(APP.rglob("*.py"))}


def _where(pattern: str) -> list[str]:
    found = re.compile(pattern)
    return [
        f"{path.relative_to(APP.parent)}:{number}"
        for path, text in _sources().items()
        for number, line in enumerate(text.splitlines(), 1)
        if found.search(line)
    ]


def _in(path: Path) -> str:
    return f"{path.relative_to(APP.parent)}:"


def test_one_time_zone_conversion():
    zones = _where(r"ZoneInfo\(")
    assert len(zones) == 1 and zones[0].startswith(_in(WORDING)), zones
    assert all(hit.startswith(_in(WORDING)) for hit in _where(r"\.astimezone\(")), _where(
        r"\.astimezone\("
    )
    assert all(hit.startswith(_in(WORDING)) for hit in _where(r"\.strftime\(")), _where(
        r"\.strftime\("
    )


def test_one_phone_display():
    displays = _where(r"PhoneNumberFormat\.(NATIONAL|INTERNATIONAL)")
    assert [hit.split(":")[0] for hit in displays] == ["app/services/wording.py"], displays
    assert _where(r"def (national_format|_phone_words|_phone_display)\b") == []


def test_one_label_table_each():
    # Module-level functions (a StateMachine words its refusals from the table it is given:
    # for requests, the same vocab.STATUSES).
    copies = (
        r"^def (status_label|category_label|event_label|event_actor|resident_event_text"
        r"|place_label|_village_name|waited)\b"
    )
    assert [hit.split(":")[0] for hit in _where(copies)] == ["app/services/wording.py"] * 7
    old = r"EVENT_LABELS|ACTOR_LABELS|def local_time_text|def describe_time|def _local_time"
    assert _where(old) == []
    # Labels are app-wide globals; the console's one processor holds its privacy helpers.
    processors = [hit.split(":")[0] for hit in _where(r"@bp\.context_processor")]
    assert processors == ["app/blueprints/console/helpers.py"]


def _string_constants(path: Path) -> list[str]:
    """The strings the code uses (docstrings, which may name a path, left out)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr)}
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    ]


def test_no_hard_coded_path_in_a_link_we_send():
    """Paths of pages live in the routes; services build links from endpoints."""
    paths = re.compile(r"/t/|/v/|/station/|/sms/status|/reset\b")
    found = [
        f"{path.relative_to(APP.parent)}: {text!r}"
        for path in sorted((APP / "services").rglob("*.py"))
        for text in _string_constants(path)
        if paths.search(text)
    ]
    assert found == []
    binds = _where(r"url_map\.bind")
    assert [hit.split(":")[0] for hit in binds] == ["app/services/links.py"], binds
    assert _where(r"public_base_url|TRACK_PATH") == []
    assert {hit.split(":")[0] for hit in _where(r"def \w*_link\(")} <= {
        "app/services/links.py",
        "app/blueprints/public/routes.py",  # the route /t/<code> is named track_link
    }


def test_services_never_read_the_request_for_a_link():
    """The web layer vouches for the address a request came to (blueprints/served.py)."""
    request_import = re.compile(r"^\s*from flask import .*\brequest\b")
    offenders = [
        str(path.relative_to(APP.parent))
        for path in sorted((APP / "services").rglob("*.py"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if request_import.search(line)
    ]
    assert offenders == []


def test_one_staff_finder():
    finders = _where(
        r"def (station_workers|station_social_workers|county_supervisors|station_staff)\b"
    )
    assert sorted(hit.split(":")[0] for hit in finders) == ["app/services/staff.py"] * 2
