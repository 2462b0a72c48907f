"""The staff pages issue 13 changed, on a 360 px phone: the request page with its texts,
the SMS page, teams with their times, the access log, the county's view and the centre
worker's queue. Each fits the phone, passes axe, and asks nothing of another site."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.demo import DEMO_PASSWORD
from tests.e2e.journey_support import read_db
from tests.e2e.support import RequestLog, axe_check, horizontal_overflow, login, shot

pytestmark = pytest.mark.e2e


def _request_ids(live_server) -> dict[str, int]:
    """A request of the demo worker's station with texts, and one of another station."""

    def find():
        from app.extensions import db
        from app.models import HelpRequest, OutboxMessage, User

        worker = db.session.scalar(select(User).where(User.username == "shegong"))
        own = db.session.scalar(
            select(HelpRequest.id)
            .join(OutboxMessage, OutboxMessage.request_id == HelpRequest.id)
            .where(HelpRequest.station_id == worker.station_id)
            .order_by(HelpRequest.id)
            .limit(1)
        )
        other = db.session.scalar(
            select(HelpRequest.id)
            .where(HelpRequest.station_id != worker.station_id)
            .order_by(HelpRequest.id)
            .limit(1)
        )
        assert own and other, "the demo data lost its requests"
        return {"own": own, "other": other}

    return read_db(live_server, find)


PAGES = {
    "shegong": lambda ids: {
        "request-with-texts": f"/station/r/{ids['own']}",
        "sms-sent": "/sms/sent",
    },
    "zhanzhang": lambda ids: {
        "teams": "/station/teams",
        "audit": "/station/audit",
        "staff": "/station/staff",
        "api-keys": "/station/api-keys",
    },
    "dudao": lambda ids: {"county": "/station/county", "county-read": f"/station/r/{ids['other']}"},
    "xianshegong": lambda ids: {
        "centre-queue": "/station/",
        "centre-read": f"/station/r/{ids['other']}",
    },
}


@pytest.mark.parametrize("username", list(PAGES))
def test_staff_pages_fit_a_phone(page, live_server, username):
    ids = _request_ids(live_server)
    requests = RequestLog(page)
    login(page, username, DEMO_PASSWORD)
    for name, path in PAGES[username](ids).items():
        response = page.goto(path)
        assert response is not None and response.status == 200, (path, response)
        shot(page, f"staff-{name}")
        assert horizontal_overflow(page) == 0, f"{name}: wider than the phone"
        axe_check(page)
    assert requests.outside() == []
