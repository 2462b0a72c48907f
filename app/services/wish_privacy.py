"""What a wish's public text may not say (issue 18): the board promises "never a name".

``what`` goes on the public board and in every donor's text, so ``refusal`` turns down
anything that points at the child: the child's or guardian's name, whole or the given
name alone (compound surnames too), a nickname made of it (梅梅), the village or its stem
used for a school (桃园小学), the address or a fragment of it (三组18号), any run of 3 or
more digits (a phone, a house number), and words about illness, disability or the school
the child goes to. Spaces do not hide a name: the text is compared with them removed.
It is a net, not a proof: the worker also sees exactly what goes public before publishing.
"""

from __future__ import annotations

import re
import unicodedata

from flask_babel import gettext as _

from app.models import Beneficiary

COMPOUND_SURNAMES = (
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙",
    "宇文", "司徒", "夏侯", "令狐", "澹台", "轩辕", "端木", "南宫", "西门", "独孤",
)  # fmt: skip
PLACE_SUFFIXES = ("社区", "街道", "居委会", "村委会", "村", "组", "镇", "乡")
# Health, disability, family hardship, and the school a child goes to: each identifies.
SENSITIVE_WORDS = (
    "病", "癌", "残", "瘫", "患", "白血", "自闭", "智障", "孤儿", "留守", "低保", "单亲",
    "医院", "小学", "中学", "学校", "幼儿园", "班级", "年级", "小名", "乳名",
)  # fmt: skip
# Words naming a school stage as a kind of thing, not a school: "小学生字典" is a gift.
HARMLESS = ("小学生", "中学生")
_DIGITS = re.compile(r"[0-9]{3,}")
_ADDRESS = re.compile(r"[0-9〇零一二三四五六七八九十百]+(?:组|号|栋|幢|单元|室|楼|巷|弄|队|排)")
# Said of any text (not only the child's own address): "37号鞋" is a shoe size, not a house.
_ANY_ADDRESS = re.compile(r"[0-9〇零一二三四五六七八九十百]+(?:组|栋|幢|单元|室|巷|弄)")


def _plain(text: str) -> str:
    """Full-width folded, spaces and dots removed: "欧阳 晓梅" is "欧阳晓梅"."""
    text = unicodedata.normalize("NFKC", text or "")
    return "".join(ch for ch in text if not ch.isspace() and ch not in "·.-_—")


def _given(name: str) -> str:
    for surname in COMPOUND_SURNAMES:
        if name.startswith(surname):
            return name[len(surname) :]
    return name[1:]


def _name_parts(name: str) -> set[str]:
    """The fragments of a person's name that would identify them."""
    name = _plain(name)
    if len(name) < 2:
        return set()
    given = _given(name)
    parts = {name, given, name[-2:]}
    if given:
        parts.add(given[-1] * 2)  # 晓梅 -> 梅梅, the usual nickname
    return {part for part in parts if len(part) >= 2}


def _place_stem(place: str) -> str:
    place = _plain(place)
    for suffix in PLACE_SUFFIXES:
        if place.endswith(suffix) and len(place) - len(suffix) >= 2:
            return place[: -len(suffix)]
    return place


def _address_parts(address: str) -> set[str]:
    """The numbered pieces of an address (三组, 18号) and its words of 2+ characters."""
    text = _plain(address)
    parts = set(_ADDRESS.findall(text))
    parts |= {
        piece
        for piece in re.split(
            r"[0-9〇零一二三四五六七八九十百组号栋幢单元室楼巷弄队排,，、]+", text
        )
        if len(piece) >= 2
    }
    return {_place_stem(part) for part in parts if len(part) >= 2}


def refusal(what: str, person: Beneficiary) -> str | None:
    """Why ``what`` may not go public, or None when it may."""
    text = _plain(what)
    names: set[str] = set()
    for name in (person.name, person.guardian_name):
        names |= _name_parts(name or "")
    places = {_place_stem(person.village.name)} if person.village is not None else set()
    if person.village is not None and person.village.name:
        places.add(_plain(person.village.name))
    places |= _address_parts(person.address or "")
    if any(part in text for part in names | places if len(part) >= 2):
        return _("The board is public: leave names, nicknames, the village and the address out.")
    if _DIGITS.search(text) or _ANY_ADDRESS.search(text):
        return _(
            "The board is public: leave out phone numbers, house numbers and addresses "
            "(write a long number in words, e.g. 一百片拼图)."
        )
    for harmless in HARMLESS:
        text = text.replace(harmless, "")
    if any(word in text for word in SENSITIVE_WORDS):
        return _(
            "The board is public: leave out illness, disability, family hardship and the "
            "child's school. Say only what the gift is."
        )
    return None
