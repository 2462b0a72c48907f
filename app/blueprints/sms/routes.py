"""SMS: the staff page listing what was sent. (Issue 6 adds the Twilio webhooks.)"""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from app.blueprints.sms import bp
from app.services.access import role_required
from app.services.outbox_view import recent_messages
from app.services.phones import mask_phone


@bp.get("/sent")
@role_required("social_worker", "station_admin", "county_supervisor")
def sent():
    messages = recent_messages(current_user)
    return render_template("sms/sent.html", messages=messages, mask_phone=mask_phone)
