"""Every SMS template, in both languages, fits in two segments with realistic values."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from app.models.vocab import CATEGORIES, URGENCIES
from app.services.notifications.limits import encoding, segment_count
from app.services.notifications.templates import TEMPLATES, placeholders, render


def _longest(labels: dict, language: str) -> str:
    with force_locale(language):
        return max((str(label) for label in labels.values()), key=len)


def samples(language: str) -> dict[str, object]:
    """Realistic values, on the long side, for every placeholder a template may use."""
    zh = language == "zh"
    return {
        "code": "K7M3QXA",  # tracking codes have 7 characters, reply codes 4
        "link": "https://linli.qingyuan.gov.cn/t/K7M3QXA",
        "category": _longest(CATEGORIES, language),
        "urgency": _longest(URGENCIES, language),
        "village": "桃园新村社区" if zh else "Taoyuan New Village",
        "station": "东风街道社工站" if zh else "Dongfeng Street Station",
        "time": "11月29日 09:30" if zh else "29 Nov 09:30",
        "distance": "12.5公里" if zh else "12.5 km",
        "name": "欧阳晓明" if zh else "Xiaoming",
        "reason": (
            "抱歉，这个任务刚刚被别人接走了。谢谢您愿意帮忙！"
            if zh
            else "Sorry, someone else has just taken this task. Thank you for offering to help!"
        ),
        "minutes": 1440,
        "count": 12,
        "days": 7,
        "phone": "037112345678",
        "text": "短信通道正常" if zh else "the SMS channel works",
    }


@pytest.mark.parametrize("template", sorted(TEMPLATES))
@pytest.mark.parametrize("language", ["zh", "en"])
def test_each_template_renders_in_two_segments(app, template, language):
    assert language in TEMPLATES[template], f"{template} has no {language} text"
    values = samples(language)
    unknown = placeholders(template) - values.keys()
    assert not unknown, (
        f"template {template!r} uses {sorted(unknown)}: add a realistic sample to samples() "
        "in tests/services/test_sms_templates.py"
    )
    text = render(template, language, **values)
    parts = segment_count(text)
    assert parts <= 2, (
        f"{template} [{language}] needs {parts} SMS parts ({len(text)} chars): {text}"
    )
    if language == "en":
        assert encoding(text) == "GSM-7", f"{template} [en] forces UCS-2: {text}"


def test_segment_sizes():
    assert segment_count("a" * 160) == 1 and segment_count("a" * 161) == 2
    assert segment_count("a" * 306) == 2 and segment_count("a" * 307) == 3
    assert segment_count("[" * 80) == 1 and segment_count("[" * 81) == 2  # escape: 2 each
    assert segment_count("字" * 70) == 1 and segment_count("字" * 71) == 2
    assert segment_count("字" * 134) == 2 and segment_count("字" * 135) == 3
    assert encoding("【邻里】") == "UCS-2" and encoding("[Linli] ok") == "GSM-7"
