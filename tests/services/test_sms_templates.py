"""Every SMS template, in both languages, with realistic longest values: one segment (70
characters with Chinese in it, 160 plain English), except the few in TWO_SEGMENTS, which
take exactly two and are listed in the README with the reason (issue 16, item 5)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask_babel import force_locale

from app.models.vocab import CATEGORIES, URGENCIES
from app.services import wording
from app.services.codes import code_text
from app.services.notifications.limits import encoding, segment_count
from app.services.notifications.templates import (
    TEMPLATES,
    TWO_SEGMENTS,
    placeholders,
    render,
)

README = Path(__file__).resolve().parents[2] / "README.md"


def _longest(labels: dict, language: str) -> str:
    with force_locale(language):
        return max((str(label) for label in labels.values()), key=len)


def _longest_status(language: str) -> str:
    """The longest thing a resident's status reply can say (a timeline line in plain words,
    with a helper's name), short of a station's free-text note."""

    class Event:
        def __init__(self, action):
            self.action, self.note = action, ""

    actions = ("created", "accept", "reject", "offer", "claim", "release", "check_in")
    actions += ("check_out", "confirm", "reopen", "close", "cancel", "merge", "rated")
    with force_locale(language):
        texts = [wording.resident_event_text(Event(a), "欧阳晓明") or "" for a in actions]
    return max(texts, key=len)


BASE = "https://linli.qingyuan.gov.cn"  # a county's own address, on the long side
# What each kind of text names and links to (the code a template shows is a tracking code
# unless listed here; its link is the console's request page unless listed here).
CODES = {
    "volunteer_offer": "4821",  # an offer's reply code
    "offer_withdrawn": "4821",
    "reply_declined": "4821",
    "reply_accepted": "#123456",  # a volunteer's task number, never the tracking code
    "service_reminder": "#123456",
    "signup_code": "123456",  # one-time codes
    **{name: "52817" for name in TEMPLATES if name.startswith("activity_")},  # issue 18
    "password_reset_code": "123456",
    **{t: "482193" for t in TEMPLATES if t.startswith("wish_")},  # a wish's code
    "wish_claim_code": "123456",  # a one-time code (the wish's own is wish_code)
}
LINKS = {
    "volunteer_offer": "/v/o/123456",
    "reply_accepted": "/v/tasks",
    "task_assigned": "/v/c/123456",
    "task_dispatched": "/v/c/123456",
    "service_reminder": "/v/c/123456",
    "visit_overdue": "/station/visits",
    "signup_already_registered": "/reset",
    "staff_welcome": "/reset",
    "staff_password_reset": "/reset",
}


def samples(language: str, template: str = "") -> dict[str, object]:
    """Realistic values, on the long side, for every placeholder a template may use."""
    zh = language == "zh"
    with force_locale(language):
        done = wording.resident_event_text(type("E", (), {"action": "check_out"}), "")
    return {
        "code": CODES.get(template, code_text("38061472")),
        "link": BASE + LINKS.get(template, "/station/r/123456"),
        "category": _longest(CATEGORIES, language),
        "urgency": _longest(URGENCIES, language),
        "village": "桃园新村社区" if zh else "Taoyuan New Village",
        "station": "东风街道社工站" if zh else "Dongfeng Street Station",
        "time": "11月29日 09:30" if zh else "29 Nov 09:30",
        "until": "11月29日 09:30" if zh else "29 Nov 09:30",
        "target": "24小时内" if zh else "within 24 hours",
        "distance": "12.5公里" if zh else "12.5 km",
        "name": "欧阳晓明" if zh else "Xiaoming",
        # a worker's reason is cut at 40 characters (console.reject)
        "reason": (
            "这项服务需要由医院或民政部门办理，社工站无法提供，建议您直接联系所在乡镇的民政办公室咨询"[
                :40
            ]
            if zh and template.startswith("request_rejected")
            else "This needs the township civil affairs office, not the station"[:40]
            if template.startswith("request_rejected")
            else "抱歉，这个任务刚刚被别人接走了。谢谢您愿意帮忙！"
            if zh
            else "Sorry, someone else has just taken this task. Thank you for offering to help!"
        ),
        "status": done if template == "reply_status_done" else _longest_status(language),
        "minutes": 1440,
        "count": 12,
        "days": 7,
        "phone": "0374 6120 1010",
        "text": "短信通道正常" if zh else "the SMS channel works",
        # issue 18: an activity's title as texts cut it (activities_sms.TITLE_CHARS)
        "title": "重阳节敬老义剪进村入户活…" if zh else "Haircuts for the elderly at ...",
        "checkin": "4821",
        # a wish is at most 20 characters (wishes.WHAT_LENGTH)
        "what": "一个新书包和一套文具，还有一双运动鞋子" + "呀" if zh else "A new schoolbag, pens",
        "township": "东风街道" if zh else "Dongfeng Street",
    }


@pytest.mark.parametrize("template", sorted(TEMPLATES))
@pytest.mark.parametrize("language", ["zh", "en"])
def test_each_template_takes_the_segments_it_is_allowed(app, template, language):
    assert language in TEMPLATES[template], f"{template} has no {language} text"
    values = samples(language, template)
    unknown = placeholders(template) - values.keys()
    assert not unknown, (
        f"template {template!r} uses {sorted(unknown)}: add a realistic sample to samples() "
        "in tests/services/test_sms_templates.py"
    )
    text = render(template, language, **values)
    allowed = 2 if template in TWO_SEGMENTS else 1
    parts = segment_count(text)
    assert parts <= allowed, (
        f"{template} [{language}] needs {parts} SMS parts ({len(text)} chars): {text}"
    )
    if language == "en":
        assert encoding(text) == "GSM-7", f"{template} [en] forces UCS-2: {text}"


@pytest.mark.parametrize("template", sorted(TWO_SEGMENTS))
def test_a_template_allowed_two_segments_needs_them(app, template):
    """The list is kept true: a template that came down to one segment leaves it."""
    longest = max(
        segment_count(render(template, lang, **samples(lang, template))) for lang in ("zh", "en")
    )
    assert longest == 2, f"{template} fits one segment now: take it out of TWO_SEGMENTS"


def test_the_readme_lists_the_two_segment_templates_and_why():
    text = README.read_text(encoding="utf-8")
    section = text[text.index("SMS that take two segments, and why:") :]
    section = section[: section.index("\n\n", section.index("\n- "))]  # the list
    listed = set(re.findall(r"`([a-z_]+)`", section))
    assert listed == set(TWO_SEGMENTS), f"README lists {sorted(listed)}"


def test_segment_sizes():
    assert segment_count("a" * 160) == 1 and segment_count("a" * 161) == 2
    assert segment_count("a" * 306) == 2 and segment_count("a" * 307) == 3
    assert segment_count("[" * 80) == 1 and segment_count("[" * 81) == 2  # escape: 2 each
    assert segment_count("字" * 70) == 1 and segment_count("字" * 71) == 2
    assert segment_count("字" * 134) == 2 and segment_count("字" * 135) == 3
    assert encoding("【邻里】") == "UCS-2" and encoding("[Linli] ok") == "GSM-7"
