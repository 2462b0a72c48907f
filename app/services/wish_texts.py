"""The texts of a wish's life, to the donor and to the child's family (issue 18).

A donor's text is made from ``wishes.public_view`` alone: the wish's code, what and
township, and the station's phone. The family's text goes to the ledger person's
guardian phone, else their own; it names the wish, never the donor's phone.
"""

from __future__ import annotations

from app.models import Wish
from app.services import wording
from app.services.notifications import queue_sms, station_phone, with_station_phone


def donor_values(view, wish: Wish) -> dict[str, object]:
    return {
        "code": view.code,
        "what": view.what,
        "township": view.township,
        "phone": station_phone(wish),
    }


def family_phone(wish: Wish) -> str | None:
    person = wish.beneficiary
    if person is None:
        return None
    return person.guardian_phone or person.phone


def _to(to_phone: str | None, wish: Wish, template: str, **values: object) -> None:
    """The station's phone is said, or the template's ``_no_phone`` form without one. A
    number that replied STOP is held back by the dispatcher, as for every text."""
    template, phone = with_station_phone(wish, template)
    if to_phone:
        queue_sms(to_phone, template, language="zh", **{**values, "phone": phone})


def _donor(wish: Wish, template: str, **extra: object) -> None:
    from app.services.wishes import public_view

    view = public_view(wish)
    _to(wish.donor_phone, wish, template, **donor_values(view, wish), **extra)


def _family(wish: Wish, template: str) -> None:
    _to(family_phone(wish), wish, template, what=wish.what)


def text_claimed(wish: Wish, *, donor: bool = True) -> None:
    """``donor``: False when the claim came by SMS, whose reply tells the donor. The family
    hears of a donor only once the station confirmed them (``text_confirmed``)."""
    if donor:
        _donor(wish, "wish_claimed_donor")


def text_confirmed(wish: Wish) -> None:
    until = wording.day_text(wish.claim_due, "zh") if wish.claim_due else ""
    _donor(wish, "wish_confirmed_donor", until=until)
    _family(wish, "wish_claimed_family")


def text_claim_ended(wish: Wish, ending: tuple, template: str, family: str = "") -> None:
    """A claim (or the wish) ended unfulfilled. ``ending``: the donor's phone, whether the
    claim was confirmed, and the public view, read before the move emptied them. The donor
    (if any) hears ``template``; the family hears ``family`` only when they had been told
    a donor was coming (the claim was confirmed)."""
    phone, confirmed, view = ending
    if phone:
        _to(phone, wish, template, **donor_values(view, wish))
    if family and confirmed:
        _family(wish, family)


def text_fulfilled(wish: Wish) -> None:
    _donor(wish, "wish_fulfilled_donor")
    _family(wish, "wish_fulfilled_family")
