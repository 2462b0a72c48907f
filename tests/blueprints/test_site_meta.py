"""What a phone and a search engine expect (issue 16, item 7): icons and a web app manifest
served by Linli itself, a robots.txt that lets crawlers read only the pages meant for
everyone, and a meta description in the head of every public page."""

from __future__ import annotations

import html
import json
import re
import struct
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import pytest

# The pages a search engine may read (GET routes without a variable part).
FOR_EVERYONE = {"/", "/ask", "/track", "/v/signup", "/robots.txt", "/manifest.webmanifest"}
FOR_EVERYONE |= {"/wishes"}  # the micro-wish board (issue 18); not a wish's own page
PUBLIC_PAGES = ["/", "/ask", "/track", "/v/signup", "/login"]


def _robots(client) -> str:
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    return response.get_data(as_text=True)


def _first_match_allows(robots: str, path: str) -> bool:
    parser = RobotFileParser()
    parser.parse(robots.splitlines())
    return parser.can_fetch("AnyBot", path)


def _longest_match_allows(robots: str, path: str) -> bool:
    """RFC 9309 (Google, Baidu): the longest matching rule decides, Allow wins a tie."""
    best = (-1, True)
    for line in robots.splitlines():
        directive, _, value = line.partition(":")
        directive, value = directive.strip().lower(), value.strip()
        if directive in ("allow", "disallow") and value and path.startswith(value):
            candidate = (len(value), directive == "allow")
            best = max(best, candidate)
    return best[1]


def _sample_path(rule: str) -> str:
    """A path of ``rule`` with each variable filled in (/t/<code> → /t/x1)."""
    return re.sub(r"<[^>]+>", "x1", rule)


def test_robots_txt_lets_crawlers_read_the_public_pages_only(app, client):
    robots = _robots(client)
    assert robots.startswith("User-agent: *\n")
    paths = {
        _sample_path(rule.rule)
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and not rule.rule.startswith("/static/")
    }
    assert FOR_EVERYONE <= paths
    for path in sorted(paths):
        expected = path in FOR_EVERYONE
        assert _first_match_allows(robots, path) is expected, path
        assert _longest_match_allows(robots, path) is expected, path


@pytest.mark.parametrize(
    "path,allowed",
    [
        ("/", True),
        ("/ask", True),
        ("/track", True),
        ("/v/signup", True),
        ("/static/css/linli.css", True),
        ("/static/icons/icon-192.png", True),
        ("/ask/done", False),
        ("/t/12345678", False),
        ("/v/signup/confirm", False),
        ("/v/tasks", False),
        ("/station/", False),
        ("/station/r/1", False),
        ("/login", False),
        ("/reset/code", False),
        ("/sms/sent", False),
    ],
)
def test_robots_txt_answers_for_each_kind_of_page(client, path, allowed):
    robots = _robots(client)
    assert _first_match_allows(robots, path) is allowed
    assert _longest_match_allows(robots, path) is allowed


def _head(page: str) -> str:
    return page[: page.index("</head>")]


def _description(page: str) -> str:
    found = re.findall(r'<meta name="description" content="([^"]*)">', _head(page))
    assert len(found) == 1, found
    return html.unescape(found[0])


def test_each_public_page_has_a_chinese_description_of_its_own(client):
    descriptions = {}
    for path in PUBLIC_PAGES:
        response = client.get(path)
        assert response.status_code == 200, path
        description = _description(response.get_data(as_text=True))
        assert 15 <= len(description) <= 160, (path, description)
        assert re.search(r"[\u4e00-\u9fff]", description), (path, description)
        descriptions[path] = description
    assert "社工站" in descriptions["/"] and "志愿者" in descriptions["/v/signup"]
    assert "查询码" in descriptions["/track"]
    # Home, ask, track and sign-up each say what they are; sign-in has the site's own.
    assert len({descriptions[p] for p in ["/", "/ask", "/track", "/v/signup"]}) == 4


def test_the_description_follows_the_chosen_language(client):
    client.set_cookie("lang", "en")
    description = _description(client.get("/").get_data(as_text=True))
    assert description.startswith("Ask your township's social work station for help")


def test_a_staff_page_has_the_sites_description_too(client, world, login_as):
    login_as("social_worker")
    page = client.get("/station/").get_data(as_text=True)
    assert "社工站" in _description(page)


def _png_size(body: bytes) -> tuple[int, int]:
    assert body[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", body[16:24])
    return width, height


def _links(page: str, rel: str) -> list[str]:
    return re.findall(rf'<link rel="{rel}" href="([^"]+)"', _head(page))


def test_the_head_names_icons_and_a_manifest_served_here(client):
    page = client.get("/").get_data(as_text=True)
    icons = _links(page, "icon")
    [touch] = _links(page, "apple-touch-icon")
    [manifest] = _links(page, "manifest")
    assert len(icons) == 2
    for href in [*icons, touch, manifest]:
        assert not urlsplit(href).netloc, f"{href} is not served by Linli"
    svg = client.get(icons[0])
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    png = client.get(icons[1])
    assert png.status_code == 200 and _png_size(png.data) == (192, 192)
    apple = client.get(touch)
    assert apple.status_code == 200 and apple.mimetype == "image/png"
    assert _png_size(apple.data) == (180, 180)
    assert re.search(r'<meta name="theme-color" content="#[0-9a-f]{6}">', _head(page))


def test_the_manifest_names_linli_and_its_icons(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200 and response.mimetype == "application/manifest+json"
    manifest = json.loads(response.get_data(as_text=True))
    assert manifest["name"] == "邻里互助" and manifest["short_name"] == "邻里"
    assert manifest["lang"] == "zh-CN" and manifest["start_url"] == "/"
    assert manifest["display"] == "standalone"
    sizes = set()
    for icon in manifest["icons"]:
        assert not urlsplit(icon["src"]).netloc, icon
        served = client.get(icon["src"])
        assert served.status_code == 200 and served.mimetype == icon["type"], icon
        if icon["type"] == "image/png":
            width, height = _png_size(served.data)
            assert icon["sizes"] == f"{width}x{height}"
            sizes.add(width)
    assert {192, 512} <= sizes  # what Android asks of an installable app
    client.set_cookie("lang", "en")
    english = json.loads(client.get("/manifest.webmanifest").get_data(as_text=True))
    assert english["name"] == "Linli neighbourhood help" and english["lang"] == "en"


def test_the_sign_up_pages_sign_in_link_is_a_full_size_target(client):
    page = client.get("/v/signup").get_data(as_text=True)
    link = re.search(r'<a class="([^"]*)" href="/login">登录</a>', page)
    assert link and "button" in link.group(1).split()
