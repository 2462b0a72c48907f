"""WTForms' attribute writer replaced by a quick one (app/web/form_html.py): the same string
for the same arguments as WTForms' own, and the form pages byte for byte as before."""

from __future__ import annotations

import re

import pytest
import wtforms.widgets
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup
from wtforms.widgets import core

from app.extensions import db
from app.web import form_html
from tests import factories

_names = st.sampled_from(
    ["id", "name", "class_", "for_", "data_hx_get", "aria_describedby", "value", "x<y", "a&b"]
) | st.text(alphabet="abz_-:", min_size=1, max_size=6)
_values = (
    st.booleans()
    | st.none()
    | st.integers(-5, 10**6)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(['say "hi"', "<b>&amp;</b>", "it's", "&#34;", "王芳"])
    | st.builds(Markup, st.sampled_from(['<i class="x">', "&amp;", 'a"b', "plain"]))
)


@settings(max_examples=500, deadline=None)
@given(st.dictionaries(_names, _values, max_size=6))
def test_the_quick_writer_gives_what_wtforms_gives(attributes):
    quick = form_html.html_params(**attributes)
    assert isinstance(quick, Markup)
    assert quick == form_html.ORIGINAL(**attributes)


def test_it_is_installed_wherever_wtforms_looks_it_up(app):
    assert core.html_params is form_html.html_params
    assert wtforms.widgets.html_params is form_html.html_params
    assert core.Input.html_params is form_html.html_params  # a staticmethod, read off the class
    assert core.TextInput().html_params is form_html.html_params
    renderer = core.Select._dispatch_render_option()
    assert core.Select._dispatch_render_option() is renderer  # looked up once per class
    form_html.install()  # again: nothing changes
    assert core.html_params is form_html.html_params


@pytest.fixture
def wtforms_own(monkeypatch):
    """A function that puts WTForms' own writer back for the rest of the test."""

    def restore():
        monkeypatch.setattr(core, "html_params", form_html.ORIGINAL)
        monkeypatch.setattr(wtforms.widgets, "html_params", form_html.ORIGINAL)
        for name in dir(core):
            widget = getattr(core, name)
            if isinstance(widget, type) and "html_params" in widget.__dict__:
                monkeypatch.setattr(widget, "html_params", staticmethod(form_html.ORIGINAL))
        monkeypatch.setattr(
            core.Select, "_dispatch_render_option", classmethod(form_html._dispatch)
        )

    return restore


def _page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    html = response.get_data(as_text=True)
    # CSRF and one-time form tokens differ at every render.
    return re.sub(r"[A-Za-z0-9_.\-]{32,}", "TOKEN", html)


PUBLIC = ["/ask", "/track", "/login", "/v/signup", "/ask?lang=en"]


def test_form_pages_are_byte_for_byte_what_wtforms_wrote(world, client, wtforms_own):
    quick = {path: _page(client, path) for path in PUBLIC}
    assert "<select" in quick["/ask"] and "<option" in quick["/ask"]
    assert "<textarea" in quick["/ask"] and 'type="checkbox"' in quick["/v/signup"]
    wtforms_own()
    assert core.html_params is form_html.ORIGINAL
    for path in PUBLIC:
        assert _page(client, path) == quick[path], path


def test_staff_form_pages_are_byte_for_byte_what_wtforms_wrote(
    world, client, login_as, wtforms_own
):
    login_as("social_worker")
    request = factories.make_request(world.station_a)
    db.session.commit()
    pages = ["/proxy", "/station/", f"/station/r/{request.id}"]
    quick = {path: _page(client, path) for path in pages}
    assert "<select" in quick[pages[2]] and "<select" in quick["/proxy"]
    wtforms_own()
    for path in pages:
        assert _page(client, path) == quick[path], path
