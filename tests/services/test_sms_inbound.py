"""Reading texts: commands in Chinese and English, any case, full or half width."""

from __future__ import annotations

import pytest

from app.services.notifications.inbound import Command, guess_language, parse


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("Y K7M3", Command("accept", "K7M3")),
        ("y k7m3", Command("accept", "K7M3")),
        ("ｙ　ｋ７ｍ３", Command("accept", "K7M3")),  # full width, ideographic space
        ("YES K7M3", Command("accept", "K7M3")),
        ("是K7M3", Command("accept", "K7M3")),
        ("是，k7m3。", Command("accept", "K7M3")),
        ("N K7M3", Command("decline", "K7M3")),
        ("否 K7M3", Command("decline", "K7M3")),
        ("no", Command("need_code")),
        ("是", Command("need_code")),
        ("STOP", Command("stop")),
        ("Stop.", Command("stop")),
        ("ＴＤ", Command("stop")),
        ("退订", Command("stop")),
        ("START", Command("start")),
        ("开始", Command("start")),
        ("help", Command("help")),
        ("帮助", Command("help")),
        ("是我家老人需要人帮忙", Command("text")),
        ("no thanks", Command("text")),  # "thanks" has letters no reply code uses
        ("", Command("text")),
    ],
)
def test_commands(body, expected):
    assert parse(body) == expected


def test_language_of_an_unknown_sender():
    assert guess_language("Please help my father") == "en"
    assert guess_language("帮帮忙 please") == "zh"
    assert guess_language("12345") == "zh"
