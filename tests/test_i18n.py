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
