"""The pages the load benchmark drives, each as (name, path, wrk Lua script).

Signed-in scenarios sign in once with the demo logins and replay the session cookie. The
intake post sends a fresh one-time form token and a fresh phone number each time, so every
post creates a request (as real residents do), with the CSRF token of one session.
"""

from __future__ import annotations

import http.cookiejar
import re
import urllib.parse
import urllib.request

from benchmarks.load import _lua_string

# What the intake scenario files: fill_requests.forget_intake finds (and removes) its requests
# by it, so the load runs do not pile them up in the bench database run after run. Marked as
# the bench's: the demo county's own requests say the first sentence too.
INTAKE_DESCRIPTION = "腿脚不便，想请人帮忙买菜和取药。（负载测试）"


def _opener():
    jar = http.cookiejar.CookieJar()
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar)), jar


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    if not match:
        raise RuntimeError("no CSRF token in the page")
    return match.group(1)


def _cookie_header(jar) -> str:
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def signed_in_cookie(base: str, username: str, password: str = "linli2026") -> str:
    opener, jar = _opener()
    html = opener.open(base + "/login").read().decode()
    body = urllib.parse.urlencode(
        {"csrf_token": _csrf(html), "login": username, "password": password}
    ).encode()
    opener.open(base + "/login", body)
    return _cookie_header(jar)


def _first_village(html: str) -> tuple[str, str]:
    township = re.search(r'<option value="(\d+)"', html[html.find('name="township"') :])
    if not township:
        raise RuntimeError("no township in the ask form")
    return township.group(1), ""


def intake_script(base: str) -> str:
    opener, jar = _opener()
    html = opener.open(base + "/ask").read().decode()
    township, _ = _first_village(html)
    villages = opener.open(f"{base}/ask/villages?township={township}").read().decode()
    village = re.search(r'<option value="(\d+)"', villages)
    fields = {
        "csrf_token": _csrf(html),
        "category": "shopping",
        "for_whom": "self",
        "description": INTAKE_DESCRIPTION,
        "urgency": "normal",
        "township": township,
        "village": village.group(1) if village else "",
        "wanted_when": "asap",
        "consent": "y",
        "confirm_new": "y",
    }
    static = urllib.parse.urlencode(fields)
    return f"""
local counter = 0
local chars = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
math.randomseed(os.time() + tonumber(tostring({{}}):sub(8), 16))
local function token()
  local t = {{}}
  for i = 1, 32 do local n = math.random(1, #chars); t[i] = chars:sub(n, n) end
  return table.concat(t)
end
request = function()
  counter = counter + 1
  local phone = string.format("139%08d", math.random(0, 99999999))
  local body = {_lua_string(static)} .. "&form_token=" .. token() .. "&phone=" .. phone
  return wrk.format("POST", "/ask", {{
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = {_lua_string(_cookie_header(jar))},
  }}, body)
end
"""


def get_script(cookie: str) -> str:
    return f"""
wrk.headers["Cookie"] = {_lua_string(cookie)}
"""


def build_lists(base: str, size: str) -> list[tuple[str, str, str]]:
    """The two signed-in lists whose cost must not grow with the table."""
    volunteer = signed_in_cookie(base, "zhiyuanzhe")
    worker = signed_in_cookie(base, "shegong")
    return [
        (f"nearby tasks /v/tasks ({size} requests)", "/v/tasks", get_script(volunteer)),
        (f"triage queue /station/ ({size} requests)", "/station/", get_script(worker)),
    ]


def build(base: str, size: str = "100k") -> list[tuple[str, str, str]]:
    return [("intake form post /ask", "/ask", intake_script(base)), *build_lists(base, size)]
