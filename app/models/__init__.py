"""All models, imported here so Alembic and the app see one metadata."""

from app.models.accounts import PhoneCode, SignInThrottle
from app.models.activities import Activity, ActivityResident, ActivitySignup
from app.models.api_keys import ApiKey
from app.models.geography import Region, Station, StationTreeStamp
from app.models.ledger import Beneficiary, CallLog, Visit
from app.models.messaging import AuditLog, InboundMessage, OutboxMessage, SmsOptOut
from app.models.people import Team, TeamMember, User, UserRole, VolunteerProfile
from app.models.reports import ExportJob, StatsSnapshot
from app.models.requests import Claim, FormToken, HelpRequest, Offer, RequestEvent, ServiceRecord
from app.models.wishes import ResourceEntry, Wish, WishPhoto

__all__ = [
    "Activity",
    "ActivityResident",
    "ActivitySignup",
    "ApiKey",
    "AuditLog",
    "Beneficiary",
    "CallLog",
    "Claim",
    "ExportJob",
    "FormToken",
    "HelpRequest",
    "InboundMessage",
    "Offer",
    "OutboxMessage",
    "PhoneCode",
    "Region",
    "RequestEvent",
    "ResourceEntry",
    "ServiceRecord",
    "SignInThrottle",
    "SmsOptOut",
    "StatsSnapshot",
    "Station",
    "StationTreeStamp",
    "Team",
    "TeamMember",
    "User",
    "UserRole",
    "Visit",
    "VolunteerProfile",
    "Wish",
    "WishPhoto",
]
