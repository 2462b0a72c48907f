"""Shared pieces for the attack tests: a cast of signed-in people, sample objects for every
kind of URL argument, URLs built from ``app.url_map``, and row counts of every table.

Everything here is generic: the tests enumerate the app's rules, so a route added by any
area is covered (or makes a test fail with a message saying what to add).
"""

from __future__ import annotations

import hashlib
import itertools
import os
import re
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select

from app.extensions import db
from app.models.base import utcnow
from tests import factories

PERSONAS = (
    "anonymous",
    "volunteer",
    "team_leader",
    "social_worker",
    "station_admin",
    "county_supervisor",
    "other_station_worker",  # a social worker of station B; the samples belong to station A
    "other_station_admin",  # the admin of station B
    "centre_worker",  # a social worker of the county centre (issue 13: least privilege)
)

# Rules the generic tests never request, with the reason.
SKIPPED_ENDPOINTS = {
    "static": "Flask's static files: no data, no form",
}

# The Twilio webhooks are checked by signature instead of a CSRF token.
SIGNED_WEBHOOK_PATHS = ("/sms/inbound", "/sms/status")
# Issue 19: Open311's POST carries an api_key, not a CSRF token (a session is no key).
KEY_AUTHENTICATED_PATHS = ("/open311/",)

XSS_PAYLOADS = ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>')


# --------------------------------------------------------------------------- the cast


@dataclass
class Cast:
    world: Any
    users: dict[str, Any]
    objects: dict[str, Any] = field(default_factory=dict)

    def obj(self, kind: str):
        return self.objects[kind]


def make_cast(world, **text) -> Cast:
    """People of every persona and one object of every kind, all of station A.

    ``text`` overrides free-text fields of the samples (the XSS tests pass payloads).
    """
    from app.models import (
        AuditLog,
        Claim,
        ExportJob,
        InboundMessage,
        Offer,
        OutboxMessage,
        RequestEvent,
        ServiceRecord,
        Visit,
    )

    t = text.get
    a = world.station_a
    users = {
        "volunteer": factories.make_volunteer(a, name=t("volunteer_name") or "王小明"),
        "team_leader": factories.make_volunteer(
            a, roles=("team_leader",), name=t("leader_name") or "李队长"
        ),
        "social_worker": factories.make_user(roles=("social_worker",), station=a),
        "station_admin": factories.make_user(roles=("station_admin",), station=a),
        "county_supervisor": factories.make_user(
            roles=("county_supervisor",), station=world.county_centre
        ),
        "other_station_worker": factories.make_user(
            roles=("social_worker",), station=world.station_b
        ),
        "other_station_admin": factories.make_user(
            roles=("station_admin",), station=world.station_b
        ),
        "centre_worker": factories.make_user(roles=("social_worker",), station=world.county_centre),
    }
    volunteer, leader, worker = users["volunteer"], users["team_leader"], users["social_worker"]
    pending_volunteer = factories.make_volunteer(a, status="pending", name="张待审")
    # a worker of station A the admin manages (not a persona: suspending them disturbs none)
    colleague = factories.make_user(roles=("social_worker",), station=a, name="赵同事")
    team = factories.make_team(a, leader, members=(volunteer,), name=t("team_name") or "助老服务队")
    person = factories.make_beneficiary(
        a,
        world.village_a1,
        name=t("beneficiary_name") or "钱秀英",
        address=t("beneficiary_address") or "杏花社区3号楼",
        notes=t("beneficiary_notes") or "独居，耳背",
        guardian_name=t("guardian_name") or "赵强",
        guardian_relation=t("guardian_relation") or "儿子",
        special_groups=["elderly_alone"],
        visit_interval_days=30,
        responsible_worker_id=worker.id,
    )
    common = {
        "village": world.village_a1,
        "address": t("address") or "杏花社区5号楼2单元",
        "contact_name": t("contact_name") or "赵奶奶",
        "wanted_note": t("wanted_note") or "上午",
        "consent_by": t("consent_by") or "本人",
    }
    description = t("description") or "需要帮忙买菜和药"
    new = factories.make_request(a, description=description, beneficiary_id=person.id, **common)
    # The task still on offer carries its own personal data: no volunteer may see it yet.
    offered = factories.make_request(
        a,
        status="offered",
        description=description,
        **{
            **common,
            "contact_name": t("offered_contact_name") or "欧阳待帮",
            "address": t("offered_address") or "桃园村秘密巷8号",
        },
    )
    assigned = factories.make_request(
        a,
        status="assigned",
        description=description,
        assigned_volunteer_id=volunteer.id,
        assigned_at=utcnow(),
        **common,
    )
    done = factories.make_request(
        a,
        status="done",
        description=description,
        assigned_volunteer_id=volunteer.id,
        outcome=t("outcome") or "已买好菜",
        done_at=utcnow(),
        **common,
    )
    closed = factories.make_request(
        a,
        status="closed",
        description=description,
        assigned_volunteer_id=volunteer.id,
        outcome=t("outcome") or "已买好菜",
        rating=5,
        rating_comment=t("rating_comment") or "很好",
        closed_at=utcnow(),
        **common,
    )
    other = factories.make_request(world.station_b, village=world.village_b1)
    expires = utcnow() + timedelta(hours=1)
    offer = Offer(
        request_id=offered.id,
        volunteer_id=volunteer.id,
        reply_code="K7MQ",
        expires_at=expires,
        reasons=["1.2 km"],
    )
    team_offer = Offer(
        request_id=offered.id, team_id=team.id, reply_code="K7MR", expires_at=expires
    )
    db.session.add_all([offer, team_offer])
    claim = Claim(request_id=assigned.id, volunteer_id=volunteer.id, via="web")
    done_claim = Claim(
        request_id=done.id, volunteer_id=volunteer.id, status="done", checked_out_at=utcnow()
    )
    db.session.add_all([claim, done_claim])
    db.session.flush()
    record = ServiceRecord(
        request_id=done.id,
        claim_id=done_claim.id,
        volunteer_id=volunteer.id,
        station_id=a.id,
        beneficiary_id=person.id,
        category="shopping",
        started_at=utcnow() - timedelta(hours=2),
        hours=Decimal("1.50"),
        outcome=t("outcome") or "已买好菜",
        welfare_note=t("welfare_note") or "精神不错",
    )
    visit = Visit(
        beneficiary_id=person.id,
        worker_id=worker.id,
        station_id=a.id,
        living_conditions="ok",
        health="ok",
        needs_found=t("needs_found") or "需要理发",
        follow_up=t("follow_up") or "下周再来",
    )
    note = RequestEvent(
        request_id=new.id,
        actor_id=worker.id,
        action="note",
        note=t("note") or "已电话联系",
        public=True,
    )
    sms = OutboxMessage(
        to_phone=new.contact_phone,
        body=t("sms_body") or "您的求助已收到",
        template="request_received",
        request_id=new.id,
    )
    inbound = InboundMessage(from_phone=factories.make_phone(), body=t("sms_body") or "帮帮我")
    audit = AuditLog(
        actor_id=worker.id,
        action="view_beneficiary",
        object_type="beneficiary",
        object_id=person.id,
        station_id=a.id,
    )
    # an export the social worker asked for, built (issue 15): its owner's only
    export_job = ExportJob(
        user_id=worker.id,
        kind="records",
        file_format="csv",
        params={},
        status="done",
        progress=100,
        filename="linli-records-station-2026-11.csv",
        content="日期\n".encode(),
    )
    db.session.add_all([record, visit, note, sms, inbound, audit, export_job])
    db.session.flush()
    wish, photo = _sample_wish(a, person, worker, t)
    activity, signup, upcoming = _sample_activities(world, team, volunteer, worker, person, t)
    objects = {
        "request": new,
        "request_new": new,
        "request_offered": offered,
        "request_assigned": assigned,
        "request_done": done,
        "request_closed": closed,
        "request_other_station": other,
        "offer": offer,
        "team_offer": team_offer,
        "claim": claim,
        "claim_done": done_claim,
        "service_record": record,
        "visit": visit,
        "export_job": export_job,
        "staff_member": colleague,
        "beneficiary": person,
        "team": team,
        "volunteer": volunteer,
        "pending_volunteer": pending_volunteer,
        "user": pending_volunteer,
        "station": a,
        "region": world.village_a1,
        "township": world.township_a,
        "village": world.village_a1,
        "outbox": sms,
        "inbound": inbound,
        "audit": audit,
        "event": note,
        "wish": wish,  # issue 18: on the public board, with a delivery photo stored
        "wish_photo": photo,
        # issue 18: the team's activity under way (check-in open, may be closed), the
        # volunteer on its roster and a ledger person served; and one of the station's
        # next week that the volunteer signed up for (sign-up and withdrawal still open)
        "activity": activity,
        "activity_signup": signup,
        "activity_upcoming": upcoming,
    }
    db.session.commit()
    return Cast(world=world, users=users, objects=objects)


@pytest.fixture(autouse=True)
def _fast_passwords(monkeypatch):
    """One PBKDF2 round instead of scrypt: these tests build many users and never test
    password strength (check_password_hash reads the method from the hash)."""
    from werkzeug.security import generate_password_hash

    from app.models import User

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method="pbkdf2:sha256:1")

    monkeypatch.setattr(User, "set_password", set_password)


@pytest.fixture
def cast(app, world) -> Cast:
    return make_cast(world)


# --------------------------------------------------------------------------- signing in


def sign_in(client, user, *, csrf: bool = True) -> str | None:
    """Make ``client`` a fresh session of ``user`` (None: anonymous). Returns a valid CSRF
    token for that session (Flask-WTF's own format), so POSTs need no page fetch.

    The cookie is signed directly (no request; a database read only when the user was
    expired): the matrix signs in a few hundred times."""
    from sqlalchemy import inspect

    app = client.application
    data: dict[str, Any] = {}
    if user is not None:
        state = inspect(user)
        data["_user_id"] = str(state.identity[0])
        data["_fresh"] = True
        # read through the attribute: a post (sign-out) may have moved it since
        data["_sv"] = user.session_version or 0
    token = None
    if csrf:
        raw = hashlib.sha1(os.urandom(32)).hexdigest()
        data["csrf_token"] = raw
        secret = app.config.get("WTF_CSRF_SECRET_KEY") or app.secret_key
        token = URLSafeTimedSerializer(secret, salt="wtf-csrf-token").dumps(raw)
    cookie = app.session_interface.get_signing_serializer(app).dumps(data)
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie)
    return token


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def response_text(response) -> str:
    """What a response shows a person: its text, or every cell of a workbook (exports);
    nothing of an image (a wish's delivery photo, issue 18)."""
    if response.mimetype.startswith("image/"):
        return ""
    if response.mimetype != XLSX:
        return response.get_data(as_text=True)
    import io

    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(response.data), read_only=True)
    return "\n".join(
        str(value)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    )


_WISH_CODES = itertools.count(482193)


def _sample_wish(station, person, worker, t):
    """A micro-wish of station A on the board (issue 18), and a delivery photo to serve."""
    from app.models import Wish, WishPhoto

    wish = Wish(
        code=str(next(_WISH_CODES)),
        station_id=station.id,
        beneficiary_id=person.id,
        what=t("wish_what") or "一个新书包",
        estimated_value=Decimal("120"),
        deadline=(utcnow() + timedelta(days=30)).date(),
        status="published",
        published_at=utcnow(),
        recorded_by_id=worker.id,
    )
    db.session.add(wish)
    db.session.flush()
    photo = WishPhoto(wish_id=wish.id, mimetype="image/png", content=b"\x89PNG\r\n\x1a\n")
    db.session.add(photo)
    db.session.flush()
    return wish, photo


_ACTIVITY_CODES = itertools.count(52817)  # unique among the scheduled ones


def _sample_activities(world, team, volunteer, worker, person, t):
    """Community activities of station A (issue 18): the team's, posted by its leader and
    under way (started half an hour ago: check-in and the roster are open, it may be closed
    or, with nobody checked in, cancelled), with the volunteer signed up and a person of the
    ledger served; and the station's own, next week, with the volunteer signed up."""
    from app.models import Activity, ActivityResident, ActivitySignup

    def activity(**values) -> tuple[Activity, ActivitySignup]:
        code = next(_ACTIVITY_CODES)
        row = Activity(
            code=str(code),
            checkin_code=str(1000 + code % 9000),
            station_id=world.station_a.id,
            title=t("activity_title") or "重阳义剪",
            kind="haircut",
            description=t("activity_description") or "给老人理发",
            minutes=120,
            village_id=world.village_a1.id,
            place=t("activity_place") or "村委会广场",
            lat=world.village_a1.lat,
            lon=world.village_a1.lon,
            volunteer_capacity=5,
            taken=1,
            status="scheduled",
            **values,
        )
        db.session.add(row)
        db.session.flush()
        signup = ActivitySignup(activity_id=row.id, user_id=volunteer.id, status="signed_up")
        db.session.add(signup)
        return row, signup

    now = utcnow()
    under_way, signup = activity(
        team_id=team.id, posted_by_id=team.leader_id, starts_at=now - timedelta(minutes=30)
    )
    upcoming, _signup = activity(posted_by_id=worker.id, starts_at=now + timedelta(days=7))
    db.session.add(
        ActivityResident(activity_id=under_way.id, beneficiary_id=person.id, added_by_id=worker.id)
    )
    db.session.flush()
    return under_way, signup, upcoming


def persona_user(cast: Cast, persona: str):
    return None if persona == "anonymous" else cast.users[persona]


# --------------------------------------------------------------------------- URLs


class Unfillable(Exception):
    """A rule argument we do not know how to fill from the samples."""


# Argument names that say what they are.
KIND_BY_ARG = {
    "request_id": "request",
    "req_id": "request",
    "help_request_id": "request",
    "task_id": "request",
    "offer_id": "offer",
    "claim_id": "claim",
    "beneficiary_id": "beneficiary",
    "person_id": "beneficiary",
    "team_id": "team",
    "user_id": "user",
    "volunteer_id": "volunteer",
    "member_id": "volunteer",
    "worker_id": "user",
    "visit_id": "visit",
    "record_id": "service_record",
    "service_record_id": "service_record",
    "station_id": "station",
    "region_id": "region",
    "township_id": "township",
    "village_id": "village",
    "message_id": "outbox",
    "event_id": "event",
    "job_id": "export_job",
    "wish_id": "wish",
    "activity_id": "activity",
    "signup_id": "activity_signup",
}

# For a bare <id> (or <code>), the path segment before it says the kind.
KIND_BY_SEGMENT = {
    "requests": "request",
    "request": "request",
    "r": "request",
    "tasks": "request",
    "task": "request",
    "offers": "offer",
    "offer": "offer",
    "o": "offer",
    "claims": "claim",
    "claim": "claim",
    "beneficiaries": "beneficiary",
    "beneficiary": "beneficiary",
    "ledger": "beneficiary",
    "people": "beneficiary",
    "teams": "team",
    "team": "team",
    "volunteers": "volunteer",
    "volunteer": "volunteer",
    "users": "user",
    "workers": "user",
    "staff": "user",
    "visits": "visit",
    "visit": "visit",
    "records": "service_record",
    "services": "service_record",
    "hours": "service_record",
    "certificate": "service_record",
    "certificates": "service_record",
    "messages": "outbox",
    "outbox": "outbox",
    "townships": "township",
    "township": "township",
    "villages": "village",
    "regions": "region",
    "stations": "station",
    "track": "request",
    "t": "request",
    "wishes": "wish",
    "activities": "activity",
}

# Per endpoint: {argument: callable(cast) -> value}. Add here when the generic rules guess
# wrong for a route (say why in a comment).
# A callable may return a list: the rule is then tried with each value (one URL each), e.g.
# every <action> a route knows.
ARG_OVERRIDES: dict[str, dict[str, Any]] = {
    "main.switch_language": {"code": lambda c: "en"},
    "public.track_action": {"action": lambda c: ["cancel", "confirm", "reopen", "rate"]},
    "console.act": {
        "action": lambda c: [
            "accept",
            "reject",
            "edit",
            "merge",
            "note",
            "close",
            "assign",
            "not_duplicate",
            "start",  # the assigned social worker's check-in and check-out
            "finish",
            "offer",
            "escalate",  # last: offer and escalate flag the sample, and the county
        ]  # fmt: skip  # centre's workers may act on what is escalated
    },
    "console.volunteer_action": {
        "volunteer_id": lambda c: c.obj("pending_volunteer").id,
        "action": lambda c: ["approve", "suspend", "vet", "unvet"],
    },
    "console.team_action": {"action": lambda c: ["leader", "add", "remove"]},
    "console.county_action": {"action": lambda c: ["ack", "station"]},
    # issue 15: the staff page acts on a worker of station A who is not a persona
    "console.staff_action": {
        "worker_id": lambda c: c.obj("staff_member").id,
        "action": lambda c: ["suspend", "reactivate", "reset"],
    },
    "console.staff_certificate": {"worker_id": lambda c: c.obj("staff_member").id},
    "console.export_file": {"kind": lambda c: ["records", "hours"]},
    "console.wish_act": {"action": lambda c: ["confirm", "reject", "publish", "withdraw"]},
    "console.export_queue": {"kind": lambda c: ["records", "hours"]},
    # issue 19: Open311 in both formats; the ids are the sample request's
    **{
        f"open311.{name}": {"fmt": lambda c: ["json", "xml"]}
        for name in ("discovery", "services", "requests_list", "requests_create")
    },
    "open311.service_definition": {
        "fmt": lambda c: ["json", "xml"],
        "service_code": lambda c: ["shopping", "no_such_service"],
    },
    "open311.request_detail": {
        "fmt": lambda c: ["json", "xml"],
        "request_id": lambda c: c.obj("request").id,
    },
    "open311.token": {"fmt": lambda c: ["json", "xml"], "token": lambda c: c.obj("request").id},
    "open311.request_timeline": {"request_id": lambda c: c.obj("request").id},
    "open311.station_open_requests": {"station_id": lambda c: c.world.station_a.id},
    "api_keys.revoke_key": {"key_id": lambda c: _sample_api_key(c).id},
    # a task the volunteer may still take (the default volunteer request is their own)
    "volunteer.task": {"request_id": lambda c: c.obj("request_offered").id},
    "volunteer.claim_task": {"request_id": lambda c: c.obj("request_offered").id},
    # issue 18: signing up and withdrawing are closed once an activity has started
    "volunteer.activity_sign_up": {"activity_id": lambda c: c.obj("activity_upcoming").id},
    "volunteer.activity_withdraw": {"activity_id": lambda c: c.obj("activity_upcoming").id},
}


def _sample_api_key(cast: Cast):
    """An API key of station A, made by its admin (once per cast)."""
    if "api_key" not in cast.objects:
        from app.services import api_keys

        cast.objects["api_key"] = api_keys.create_key(cast.users["station_admin"], "matrix").key
    return cast.objects["api_key"]


# Per blueprint: which request a bare "request" means (the volunteer's pages act on the
# task they hold; offers are answered on the offered one).
REQUEST_BY_BLUEPRINT = {
    "volunteer": "request_assigned",
}


def _value_for(kind: str, arg: str, rule, cast: Cast):
    blueprint = rule.endpoint.split(".")[0]
    if kind == "request":
        kind = REQUEST_BY_BLUEPRINT.get(blueprint, "request")
    obj = cast.obj(kind)
    converter = rule._converters.get(arg)
    numeric = converter is not None and type(converter).__name__ in {
        "IntegerConverter",
        "NumberConverter",
    }
    if arg == "code" or (not numeric and arg.endswith("code")):
        if kind == "offer":
            return obj.reply_code
        if hasattr(obj, "code"):
            return obj.code
        raise Unfillable(f"<{arg}> of a {kind}")
    if kind in {"user", "volunteer"}:
        return obj.id
    return obj.id if hasattr(obj, "id") else obj.user_id


def url_args(rule, cast: Cast) -> dict[str, Any]:
    """Values for every argument of ``rule``, or Unfillable saying which one is missing."""
    values: dict[str, Any] = {}
    overrides = ARG_OVERRIDES.get(rule.endpoint, {})
    segments = [s for s in re.split(r"/", rule.rule) if s]
    for arg in sorted(rule.arguments):
        if rule.defaults and arg in rule.defaults:
            continue
        if arg in overrides:
            values[arg] = overrides[arg](cast)
            continue
        kind = KIND_BY_ARG.get(arg)
        if kind is None and arg in {"id", "code", "pk", "token"}:
            index = next(i for i, s in enumerate(segments) if f"{arg}>" in s)
            before = segments[index - 1] if index else ""
            kind = KIND_BY_SEGMENT.get(before)
        if kind is None:
            raise Unfillable(
                f"{rule.rule} ({rule.endpoint}): no sample for <{arg}>; add it to "
                "KIND_BY_ARG / KIND_BY_SEGMENT / ARG_OVERRIDES in tests/security/conftest.py"
            )
        values[arg] = _value_for(kind, arg, rule, cast)
    return values


def build_urls(rule, cast: Cast) -> list[str]:
    """Every URL to try for ``rule`` (several when an override lists values)."""
    import itertools

    values = url_args(rule, cast)
    keys = sorted(values)
    choices = [v if isinstance(v, list | tuple) else [v] for v in (values[k] for k in keys)]
    urls = []
    for combo in itertools.product(*choices):
        one = dict(zip(keys, combo, strict=True))
        built = rule.build(one, append_unknown=False)
        if built is None:
            raise Unfillable(f"{rule.rule} ({rule.endpoint}): could not build with {one}")
        urls.append(built[1])
    return urls


def build_url(rule, cast: Cast) -> str:
    return build_urls(rule, cast)[0]


def app_rules(app, method: str):
    """Every rule answering ``method``, minus the explicit skip list, in a stable order."""
    rules = [
        r
        for r in app.url_map.iter_rules()
        if method in (r.methods or ()) and r.endpoint not in SKIPPED_ENDPOINTS
    ]
    return sorted(rules, key=lambda r: (r.rule, r.endpoint))


def is_signed_webhook(rule) -> bool:
    return any(rule.rule.startswith(path) for path in SIGNED_WEBHOOK_PATHS)


def is_key_authenticated(rule) -> bool:
    return any(rule.rule.startswith(path) for path in KEY_AUTHENTICATED_PATHS)


# --------------------------------------------------------------------------- data


def row_counts() -> dict[str, int]:
    """Rows in every table: 'nothing was stored' means these did not change."""
    db.session.expire_all()
    return {
        table.name: db.session.execute(select(func.count()).select_from(table)).scalar_one()
        for table in db.metadata.sorted_tables
    }


def is_login_redirect(response) -> bool:
    """Flask-Login's answer to a signed-out visitor: 302 to /login (with ?next=)."""
    from urllib.parse import urlsplit

    location = response.headers.get("Location", "")
    return response.status_code == 302 and urlsplit(location).path == "/login"


def strip_csrf(html: str) -> str:
    """The page without its per-session CSRF tokens (for byte comparisons)."""
    html = re.sub(r'(name="csrf_token"[^>]*value=")[^"]+"', r'\1"', html)
    html = re.sub(r'(value=")[^"]+("[^>]*name="csrf_token")', r"\1\2", html)
    html = re.sub(r'("X-CSRFToken"\s*:\s*")[^"]+"', r'\1"', html)
    html = re.sub(r'(name="csrf-token"\s+content=")[^"]+"', r'\1"', html)
    return html
