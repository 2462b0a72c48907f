"""WTForms' attribute writer, made quick: the same HTML without ``string.Formatter``.

WTForms writes every attribute of every input, select and option through
``Markup('{k}="{v}"').format(k=k, v=v)``, which runs Python's pure-Python
``string.Formatter`` once an attribute; and each select looks its option renderer's
signature up with ``inspect`` at every render. On the ask form, a resident's first page
(20 fields and the village and category lists), that was about a third of the page's CPU.

``install`` puts ``html_params`` in WTForms' place, at every name WTForms and Flask-WTF
call it by, and remembers each ``Select`` class's option renderer. The HTML is the same
string for the same arguments: ``tests/blueprints/test_form_html.py`` compares it with WTForms'
own writer, whatever version is installed, and checks that forms render byte for byte as
before.
"""

from __future__ import annotations

from markupsafe import Markup, escape
from wtforms.widgets import core

ORIGINAL = core.html_params  # WTForms' own, kept for the comparison


def html_params(**kwargs) -> Markup:
    """As ``wtforms.widgets.html_params``: sorted by name, ``class_`` as ``class``,
    ``data_``/``aria_`` names with hyphens, True as a bare name, False left out, values
    escaped (a double quote inside a Markup value too)."""
    params = []
    for key, value in sorted(kwargs.items()):
        key = core.clean_key(key)
        if value is True:
            params.append(str(escape(key)))
        elif value is not False:
            params.append(f'{escape(key)}="{str(escape(value)).replace(chr(34), "&quot;")}"')
    return Markup(" ".join(params))


_renderers: dict[type, object] = {}
_dispatch = core.Select._dispatch_render_option.__func__


def _remembered_renderer(cls):
    """``Select._dispatch_render_option``, looked up once per class."""
    renderer = _renderers.get(cls)
    if renderer is None:
        renderer = _renderers[cls] = _dispatch(cls)
    return renderer


def install() -> None:
    """Idempotent: the same functions wherever WTForms and Flask-WTF look them up."""
    import wtforms.widgets

    core.html_params = html_params
    wtforms.widgets.html_params = html_params
    for name in dir(core):
        widget = getattr(core, name)
        if isinstance(widget, type) and widget.__dict__.get("html_params") is not None:
            widget.html_params = staticmethod(html_params)
    core.Select._dispatch_render_option = classmethod(_remembered_renderer)
    try:
        from flask_wtf.recaptcha import widgets as recaptcha
    except ImportError:  # pragma: no cover - Flask-WTF always has it
        return
    recaptcha.html_params = html_params
