"""A station's upcoming community activities, for anyone (issue 18): title, kind, time,
the village and the places left. No names, no phones, nothing about the people served
(activity_lists.PublicActivity carries no more)."""

from __future__ import annotations

from flask import abort, render_template

from app.blueprints.public import bp
from app.extensions import db
from app.models import Station
from app.services import activity_lists


@bp.get("/s/<int:station_id>/activities")
def station_activities(station_id: int):
    station = db.session.get(Station, station_id)
    if station is None:
        abort(404)
    found = activity_lists.public_upcoming(station)
    return render_template("public/activities.html", station=station, found=found)
