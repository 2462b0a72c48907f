"""Helpers of the journey, geolocation, accessibility and page-weight tests.

They read the live server's database directly (in the test's own thread, through the live
app's context) to choose realistic inputs and to check what was stored; the browsers do
everything a person does.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from tests.e2e.support import axe_check, horizontal_overflow, shot

DEMO_TOWNSHIP = "柳林镇"
DEMO_VOLUNTEER = "zhiyuanzhe"
DEMO_WORKER = "shegong"
DEMO_WORKER_STATION = "柳林镇社工站"


def read_db(live_server, fn):
    """Run ``fn()`` in the live app's context and drop the session afterwards (so the
    next read sees what the server committed meanwhile, and no SQLite lock is held)."""
    from app.extensions import db

    with live_server.app_context():
        try:
            return fn()
        finally:
            db.session.remove()


@dataclass(frozen=True)
class Plan:
    """What the resident asks for, chosen so the demo volunteer is a real candidate."""

    category: str
    township: str
    village: str
    village_id: int
    village_lat: float
    village_lon: float
    volunteer_id: int
    distance_km: float


def plan_for_demo_volunteer(live_server) -> Plan:
    """A category among the demo volunteer's skills (the most asked-for first) and a
    village of his township, other than his own, within his travel radius, served by the
    township station itself (not a village room), nearest first."""

    def choose() -> Plan:
        from app.blueprints.public.forms import CATEGORY_ORDER
        from app.extensions import db
        from app.models import Region, User
        from app.models.vocab import SOCIAL_WORKER_ONLY
        from app.services import geo

        user = db.session.scalar(select(User).where(User.username == DEMO_VOLUNTEER))
        profile = user.volunteer
        assert profile is not None and profile.status == "approved", "demo volunteer"
        category = next(
            code
            for code in CATEGORY_ORDER
            if code in (profile.skills or []) and code not in SOCIAL_WORKER_ONLY
        )
        township = db.session.scalar(
            select(Region).where(Region.level == "township", Region.name == DEMO_TOWNSHIP)
        )
        villages = db.session.scalars(
            select(Region).where(Region.level == "village", Region.parent_id == township.id)
        ).all()
        options = []
        for village in villages:
            if village.id == profile.home_village_id or village.lat is None:
                continue
            station = geo.route_to_station(village_id=village.id, lat=None, lon=None)
            if station.name != DEMO_WORKER_STATION:
                continue
            km = geo.distance_km(profile.home_lat, profile.home_lon, village.lat, village.lon)
            if km < profile.radius_km:
                options.append((km, village))
        assert options, "no village of the demo township within the volunteer's radius"
        km, village = min(options, key=lambda pair: pair[0])
        return Plan(
            category=category,
            township=township.name,
            village=village.name,
            village_id=village.id,
            village_lat=village.lat,
            village_lon=village.lon,
            volunteer_id=user.id,
            distance_km=km,
        )

    return read_db(live_server, choose)


def request_by_code(live_server, code: str) -> dict | None:
    """The stored request as plain values (None when there is none)."""

    def find():
        from app.extensions import db
        from app.models import HelpRequest, Offer
        from app.services.codes import normalise_code

        found = db.session.scalar(
            select(HelpRequest).where(HelpRequest.code == normalise_code(code))
        )
        if found is None:
            return None
        offers = db.session.scalars(select(Offer).where(Offer.request_id == found.id)).all()
        return {
            "id": found.id,
            "status": found.status,
            "category": found.category,
            "village": found.village.name if found.village else None,
            "station": found.station.name,
            "lat": found.lat,
            "lon": found.lon,
            "contact_phone": found.contact_phone,
            "address": found.address,
            "rating": found.rating,
            "rating_comment": found.rating_comment,
            "assigned_volunteer_id": found.assigned_volunteer_id,
            "offers": [(o.volunteer_id, o.team_id, o.status) for o in offers],
            "events": [e.action for e in found.events],
        }

    return read_db(live_server, find)


def count_requests(live_server) -> int:
    def count():
        from app.extensions import db
        from app.models import HelpRequest

        return db.session.scalar(select(func.count(HelpRequest.id)))

    return read_db(live_server, count)


MIN_TAP = 44

# (page name, CSS selector) → why a smaller target is acceptable there.
TAP_EXCEPTIONS: dict[tuple[str, str], str] = {}  # none needed at present

NAMELESS_CONTROLS_JS = """
() => {
  const nameless = [];
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (el.type === 'hidden') continue;
    const labelled = (el.labels && Array.from(el.labels).some(l => l.textContent.trim()))
      || (el.getAttribute('aria-label') || '').trim()
      || (el.getAttribute('aria-labelledby') || '').split(/\\s+/).some(
           id => id && document.getElementById(id) && document.getElementById(id).textContent.trim())
      || (el.getAttribute('title') || '').trim();
    if (!labelled) nameless.push(el.outerHTML.slice(0, 120));
  }
  return nameless;
}
"""

# Visible buttons and links in <main> smaller than MIN_TAP in either direction. A link
# counts as inline text (exempt) when it sits in a paragraph, list item or definition
# together with other text: the sentence around it is the target's spacing.
SMALL_TARGETS_JS = """
(minTap) => {
  const small = [];
  const targets = document.querySelectorAll(
    'main a[href], main button, main summary, main input[type=submit], main input[type=button],'
    + ' main label:has(input[type=radio]), main label:has(input[type=checkbox])');
  for (const el of targets) {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (box.width === 0 || box.height === 0 || style.visibility === 'hidden') continue;
    if (el.closest('details:not([open])') && el.tagName !== 'SUMMARY') continue;
    if (el.tagName === 'A') {
      const block = el.closest('p, li, dd, td');
      if (block) {
        const rest = block.textContent.replace(el.textContent, '').trim();
        if (rest.length > 0 && !el.matches('.button, .tap-link, .task-link, .queue-link'))
          continue;
      }
    }
    if (box.width < minTap - 0.5 || box.height < minTap - 0.5) {
      const id = el.id ? '#' + el.id : '';
      const cls = el.className && typeof el.className === 'string'
        ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
      small.push({
        selector: el.tagName.toLowerCase() + id + cls,
        text: el.textContent.trim().slice(0, 40),
        width: Math.round(box.width), height: Math.round(box.height),
      });
    }
  }
  return small;
}
"""


def check_page(page, name: str) -> None:
    """axe, names of form controls, tap targets, and no sideways scrolling."""
    shot(page, f"a11y-{name}")
    problems = []
    try:
        axe_check(page)
    except AssertionError as error:
        problems.append(str(error))
    nameless = page.evaluate(NAMELESS_CONTROLS_JS)
    if nameless:
        problems.append(f"form controls without a label: {nameless}")
    small = [
        t
        for t in page.evaluate(SMALL_TARGETS_JS, MIN_TAP)
        if (name, t["selector"]) not in TAP_EXCEPTIONS
    ]
    if small:
        problems.append(f"tap targets under {MIN_TAP}×{MIN_TAP} px: {small}")
    if horizontal_overflow(page):
        problems.append("wider than the phone")
    assert not problems, f"{name} ({page.url}):\n" + "\n".join(problems)


class Steps:
    """Numbered screenshots of one journey: artifacts/e2e/<prefix>-NN-<step>.png."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.number = 0

    def shot(self, page, step: str):
        self.number += 1
        return shot(page, f"{self.prefix}-{self.number:02d}-{step}")
