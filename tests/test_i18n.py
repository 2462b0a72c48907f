"""Every UI string is marked and has a Chinese translation; English is the source text."""

from app.translate import merged_catalog, missing


def test_every_marked_string_has_a_chinese_translation():
    untranslated = missing()
    assert not untranslated, (
        "Add these to a fragment in app/translations_src/zh/ "
        "(python -m app.translate missing prints them):\n"
        + "\n".join(f"{where}: {msgid}" for msgid, where in sorted(untranslated.items()))
    )


def test_placeholders_survive_translation():
    import re

    for message in merged_catalog():
        if not message.id:
            continue
        wanted = sorted(re.findall(r"%\(\w+\)s", message.id))
        assert sorted(re.findall(r"%\(\w+\)s", message.string)) == wanted, message.id


def test_template_words_read_as_format_strings_with_or_without_variables(app):
    """Templates' ``_`` skips the ``%`` formatting of words with no placeholder
    (app/i18n.py): what a page shows stays what Jinja's own gettext gives."""
    from flask import render_template_string

    with app.test_request_context("/", headers={"Cookie": "lang=en"}):
        shown = render_template_string(
            '{{ _("Sign out") }}|{{ _("50%% done") }}|{{ _("%(n)s left", n="<b>") }}'
        )
    assert shown == "Sign out|50% done|&lt;b&gt; left"
