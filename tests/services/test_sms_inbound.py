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
        # issue 16: what our texts show, exactly as shown, and the common variants
        ("Y FTHT 接单", Command("accept", "FTHT")),  # copied whole from an old offer
        ("是+K7M3", Command("accept", "K7M3")),  # the old help text's 「是+编号」, typed literally
        ("否+K7M3", Command("decline", "K7M3")),
        ("4821", Command("accept", "4821")),  # the offer's 「接单回4821」
        ("０４８２１", Command("decline", "4821")),  # its 「不接回04821」, full width
        ("0 4821", Command("decline", "4821")),
        ("04821", Command("decline", "4821")),
        ("是 4821", Command("accept", "4821")),
        ("是+4821", Command("accept", "4821")),
        ("好4821", Command("accept", "4821")),
        ("接 4821", Command("accept", "4821")),
        ("接单4821", Command("accept", "4821")),
        ("4821 接单", Command("accept", "4821")),
        ("Ｙ ４８２１", Command("accept", "4821")),
        ("否4821", Command("decline", "4821")),
        ("不接 4821", Command("decline", "4821")),
        ("4821 不接", Command("decline", "4821")),
        ("N 4821", Command("decline", "4821")),
        ("好", Command("need_code")),
        ("接", Command("need_code")),
        ("“开始”", Command("start")),  # the help text quotes it
        ("0", Command("follow")),  # a resident's 「查进度回0」
        ("０", Command("follow")),
        ("查询", Command("follow")),
        ("1", Command("solved")),  # 「解决了请回1」
        ("１。", Command("solved")),
        ("2", Command("not_solved")),  # 「没解决请回2」
        ("3806 1472", Command("track", "38061472")),  # a tracking code as shown
        ("3806-1472", Command("track", "38061472")),
        ("３８０６１４７２", Command("track", "38061472")),
        ("0482", Command("digits", "0482")),  # no reply code starts with 0
        ("13812345678", Command("digits", "13812345678")),
        ("Yes, 4821!", Command("accept", "4821")),
    ],
)
def test_commands(body, expected):
    assert parse(body) == expected


def test_language_of_an_unknown_sender():
    assert guess_language("Please help my father") == "en"
    assert guess_language("帮帮忙 please") == "zh"
    assert guess_language("12345") == "zh"
