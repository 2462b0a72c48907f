"""The product's vocabularies (DESIGN.md): categories, special groups, roles, levels.

Codes are stable English identifiers stored in the database; labels are translated.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

CATEGORIES: dict[str, object] = {
    "needs_assessment": _l("Needs assessment"),
    "resource_linking": _l("Resource linking"),
    "assistance_application": _l("Social assistance application"),
    "meal_delivery": _l("Meal delivery"),
    "shopping": _l("Shopping errands"),
    "cleaning": _l("Cleaning"),
    "haircut": _l("Haircut"),
    "tutoring": _l("Tutoring"),
    "companionship": _l("Companionship"),
    "medical_escort": _l("Medical escort"),
    "emotional_support": _l("Emotional support"),
    "crisis_intervention": _l("Crisis intervention"),
    "policy_consultation": _l("Policy consultation"),
    "safety_check": _l("Safety check"),
    "other": _l("Other"),
}

# What a resident may choose on the ask form, in their own words, most asked-for first
# (issue 16). Each is a code of CATEGORIES, so a station's lists and counts stay one.
RESIDENT_CATEGORIES: dict[str, object] = {
    "meal_delivery": _l("Meals at home"),
    "shopping": _l("Shopping for me"),
    "cleaning": _l("Clean my home"),
    "medical_escort": _l("To the doctor with me"),
    "companionship": _l("Company and a chat"),
    "haircut": _l("Haircut at home"),
    "tutoring": _l("A child's homework"),
    "emotional_support": _l("Feeling low, to talk"),
    "policy_consultation": _l("Subsidies and papers"),
    "other": _l("Other (in your words)"),
}

# The station's own work: set by workers in the console, never offered to residents (a
# crisis comes in through the "in danger now" page instead).
PROFESSIONAL_CATEGORIES = frozenset(
    {"needs_assessment", "resource_linking", "crisis_intervention", "assistance_application"}
)

# Categories only social workers may take (DESIGN.md, safeguarding).
SOCIAL_WORKER_ONLY = frozenset({"crisis_intervention", "emotional_support"})

SPECIAL_GROUPS: dict[str, object] = {
    "left_behind_child": _l("Left-behind child"),
    "child_in_difficulty": _l("Child in difficulty"),
    "elderly_alone": _l("Elderly living alone or left behind"),
    "disabled": _l("Disabled person"),
    "left_behind_woman": _l("Left-behind woman"),
    "dibao": _l("Minimum-subsistence household"),
    "tekun": _l("Extremely poor"),
    "homeless": _l("Homeless"),
}

MINOR_GROUPS = frozenset({"left_behind_child", "child_in_difficulty"})

# One bit per special group, for counting by group in SQL on both databases (a record's
# and a ledger person's ``groups_mask``). Stable: a new group takes the next free bit.
GROUP_BITS: dict[str, int] = {
    "left_behind_child": 1,
    "child_in_difficulty": 2,
    "elderly_alone": 4,
    "disabled": 8,
    "dibao": 16,
    "tekun": 32,
    "homeless": 64,
    "left_behind_woman": 128,
}


def groups_mask(groups) -> int:
    """The bits of ``groups`` (codes outside the vocabulary count for nothing)."""
    mask = 0
    for code in groups or ():
        mask |= GROUP_BITS.get(code, 0)
    return mask


# One bit per category, for a volunteer's listed skills (``VolunteerProfile.skill_bits``):
# matching tests a skill inside its index, without reading each row. Stable: stored in
# every profile, so a new category takes the next free bit and no bit is ever reused.
CATEGORY_BITS: dict[str, int] = {
    "needs_assessment": 1 << 0,
    "resource_linking": 1 << 1,
    "assistance_application": 1 << 2,
    "meal_delivery": 1 << 3,
    "shopping": 1 << 4,
    "cleaning": 1 << 5,
    "haircut": 1 << 6,
    "tutoring": 1 << 7,
    "companionship": 1 << 8,
    "medical_escort": 1 << 9,
    "emotional_support": 1 << 10,
    "crisis_intervention": 1 << 11,
    "policy_consultation": 1 << 12,
    "safety_check": 1 << 13,
    "other": 1 << 14,
}


def skills_mask(skills) -> int:
    """The bits of ``skills`` (codes outside the vocabulary count for nothing)."""
    mask = 0
    for code in skills or ():
        mask |= CATEGORY_BITS.get(code, 0)
    return mask


# Where a service record comes from (app/services/counting.py: one counting rule).
SERVICE_SOURCES: dict[str, object] = {
    "claim": _l("Volunteer or team service"),
    "worker": _l("Social worker service"),
    "visit": _l("Home visit"),
    "call": _l("Welfare call"),
    "station_close": _l("Closed by the station with work done"),
    "activity": _l("Community activity"),
}

# The kinds of community activity (issue 18), each counted under the request category
# its service is: a station's person-times by category stay one list.
ACTIVITY_KINDS: dict[str, object] = {
    "health_check": _l("Health check"),
    "haircut": _l("Haircuts for the elderly"),
    "homework_club": _l("Homework club"),
    "anti_fraud": _l("Anti-fraud talk"),
    "service_day": _l("Volunteer service day"),
    "companionship": _l("Visits and company"),
    "other": _l("Other activity"),
}
ACTIVITY_STATUSES: dict[str, object] = {
    "scheduled": _l("Upcoming"),
    "closed": _l("Held"),
    "cancelled": _l("Cancelled"),
}
SIGNUP_STATUSES: dict[str, object] = {
    "signed_up": _l("Signed up"),
    "waiting": _l("On the waiting list"),
    "attended": _l("Checked in"),
    "withdrawn": _l("Withdrawn"),
}
ACTIVITY_CATEGORY: dict[str, str] = {
    "health_check": "medical_escort",
    "haircut": "haircut",
    "homework_club": "tutoring",
    "anti_fraud": "policy_consultation",
    "service_day": "other",
    "companionship": "companionship",
    "other": "other",
}

# A phone welfare call's outcome; only a call that reached someone is a service.
CALL_OUTCOMES: dict[str, object] = {
    "reached": _l("Talked with the person"),
    "reached_guardian": _l("Talked with the guardian or family"),
    "no_answer": _l("No answer"),
    "wrong_number": _l("Wrong or dead number"),
}
CALLS_SERVED = frozenset({"reached", "reached_guardian"})

# The national social-work qualification (社会工作者职业水平), lowest to highest.
CERTIFICATE_LEVELS: dict[str, object] = {
    "": _l("No certificate"),
    "assistant": _l("Assistant social worker"),
    "social_worker": _l("Social worker (intermediate)"),
    "senior": _l("Senior social worker"),
}
CERTIFIED_LEVELS = frozenset({"assistant", "social_worker", "senior"})
# A station should have at least this many certified workers (the seeds' 两名以上持证社工).
CERTIFIED_TARGET = 2

URGENCIES: dict[str, object] = {
    "normal": _l("Normal"),
    "urgent": _l("Urgent"),
    "crisis": _l("Crisis"),
}

CHANNELS: dict[str, object] = {
    "web": _l("Web"),
    "sms": _l("SMS"),
    "hotline": _l("Hotline"),
    "proxy": _l("Proxy"),
    "visit": _l("Home visit"),
    "api": _l("API (Open311)"),
}

ROLES: dict[str, object] = {
    "volunteer": _l("Volunteer"),
    "team_leader": _l("Team leader"),
    "social_worker": _l("Social worker"),
    "station_admin": _l("Station admin"),
    "county_supervisor": _l("County supervisor"),
}
STAFF_ROLES = frozenset({"social_worker", "station_admin", "county_supervisor"})

REGION_LEVELS = ("county", "township", "village")

STATION_KINDS: dict[str, object] = {
    "county_centre": _l("County social work guidance centre"),
    "township_station": _l("Township social work station"),
    "village_room": _l("Village social work room"),
}

FOR_WHOM: dict[str, object] = {
    "self": _l("Me"),
    "family": _l("A family member"),
    "neighbour": _l("A neighbour or someone I look after"),
    "cared_for": _l("Someone I look after"),
}

# "Who is it for" on the resident's form: one choice (the older codes stay displayable).
RESIDENT_FOR_WHOM = ("self", "cared_for")


# A request's statuses (the moves between them: app/services/workflow.py).
STATUSES: dict[str, object] = {
    "new": _l("New"),
    "accepted": _l("Accepted"),
    "offered": _l("Offering"),
    "assigned": _l("Assigned"),
    "in_progress": _l("In progress"),
    "done": _l("Awaiting confirmation"),
    "closed": _l("Closed"),
    "rejected": _l("Not accepted"),
    "cancelled": _l("Cancelled"),
}

# Timeline events that are not a move of the state machine (a move is worded by its label).
EVENTS: dict[str, object] = {
    "created": _l("Request received"),
    "note": _l("Note"),
    "edit": _l("Details changed"),
    "escalate": _l("Escalated to the county"),
    "acknowledge": _l("County supervisor responded"),
    "reassign_station": _l("Moved to another station"),
    "overdue_alert": _l("Overdue: workers alerted by SMS"),
    "rated": _l("Rated by the resident"),
    "dispatch": _l("Given to a team member"),
    "sms_received": _l("SMS from the resident"),
    "sms_unreachable": _l("The SMS could not be delivered"),
    "possible_duplicate": _l("Possible duplicate"),
    "not_duplicate": _l("Not a duplicate"),
    "sms_resent": _l("Sent a text again"),
    "sms_given_up": _l("Gave up on a text"),
}


# Who made a timeline event, when no user did.
ACTORS: dict[str, object] = {
    "resident": _l("Resident"),
    "system": _l("System"),
    "sms": _l("SMS"),
    "staff": _l("Staff"),
}


def label(vocabulary: dict[str, object], code: str | None) -> str:
    """The translated label of a code, or the code itself when unknown."""
    if code is None:
        return ""
    return str(vocabulary.get(code, code))
