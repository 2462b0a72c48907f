"""Issue 13: what the county level may do to a township station's requests.

The county supervisor moves only escalated requests (item 2); a moved request follows the
receiving station's rules like one routed there in the first place (item 10); the county
centre's own workers act on what is routed or escalated to the centre and read the rest of
the county masked, with every read logged (item 12)."""

from __future__ import annotations

from app.extensions import db
from app.models import HelpRequest
from tests.console_support import events, post, request_at, text

# --------------------------------------------------------------------- item 2


def test_supervisor_cannot_move_a_request_that_was_never_escalated(client, world, login_as):
    login_as("county_supervisor")
    r = request_at(world.station_a)
    response = post(
        client,
        f"/station/county/r/{r.id}/station",
        {"station-station_id": str(world.station_b.id)},
        page="/station/county",
    )
    assert response.status_code == 422
    assert "只有已升级到县里的求助" in text(response)
    assert db.session.get(HelpRequest, r.id).station_id == world.station_a.id
    assert events(r.id) == []
