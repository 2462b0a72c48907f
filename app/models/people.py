"""Users and their roles, volunteer profiles and teams."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    event,
    func,
    literal_column,
    select,
    text,
)
from sqlalchemy.orm import (
    InstanceState,
    Mapped,
    lazyload,
    mapped_column,
    relationship,
    validates,
)
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.models.base import utcnow
from app.models.reach import reach_cell
from app.models.vocab import STAFF_ROLES, skills_mask
from app.models.windows import pack as pack_windows

# Where User.remember_roles keeps the roles read with the signed-in user: a plain
# attribute of the instance, not mapped, so it never reaches the database.
ROLES_READ = "_roles_read"


class UserRole(db.Model):
    __tablename__ = "user_role"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(24), primary_key=True)


class User(UserMixin, db.Model):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str | None] = mapped_column(String(64), unique=True)
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)  # E.164
    name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(256))
    station_id: Mapped[int | None] = mapped_column(ForeignKey("station.id"), index=True)
    language: Mapped[str] = mapped_column(String(8), default="zh")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Bumped on sign-out: every session cookie issued before it stops working (security.py).
    session_version: Mapped[int] = mapped_column(Integer, default=0)
    # When the owner proved the phone is theirs with an SMS code (issue 13). A volunteer's
    # own sign-up starts at None and does not count until then; accounts made otherwise
    # (by the station, the demo) are taken as confirmed.
    phone_confirmed_at: Mapped[datetime | None] = mapped_column(DateTime, default=utcnow)
    # Staff: the social-work qualification (vocab.CERTIFICATE_LEVELS; "" for none) and
    # the training hours the station records for them.
    certificate_level: Mapped[str] = mapped_column(String(16), default="", server_default="")
    training_hours: Mapped[Decimal] = mapped_column(
        Numeric(7, 1), default=Decimal("0"), server_default="0"
    )

    role_rows: Mapped[list[UserRole]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    station = relationship("Station")
    volunteer = relationship(
        "VolunteerProfile",
        back_populates="user",
        uselist=False,
        foreign_keys="VolunteerProfile.user_id",
    )

    @property
    def roles(self) -> set[str]:
        rows = self.__dict__.get("role_rows")
        if rows is None:  # not loaded: the roles read with the signed-in user, if any
            read = self.__dict__.get(ROLES_READ)
            if read is not None:
                return set(read)
            rows = self.role_rows
        return {row.role for row in rows}

    def remember_roles(self, text: str | None) -> None:
        """The roles read as one text with the signed-in user (app/security.py): cheaper
        than loading the collection of rows, and what ``roles`` answers while that
        collection is not loaded. Anything that changes the roles loads the collection
        first (``add_role``), which ``roles`` then reads; an expiry (a rollback, a
        refresh) forgets the text (``_forget_roles_read``)."""
        self.__dict__[ROLES_READ] = frozenset(filter(None, (text or "").split(",")))

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))

    def add_role(self, role: str) -> None:
        if role not in self.roles:
            self.role_rows.append(UserRole(role=role))

    @property
    def phone_confirmed(self) -> bool:
        return self.phone_confirmed_at is not None

    @property
    def is_staff(self) -> bool:
        return bool(self.roles & STAFF_ROLES)

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def first_name(self) -> str:
        """What a resident is told about a volunteer: the given name only."""
        # Chinese names: family name is the first character; keep the rest.
        if self.name and all("\u4e00" <= ch <= "\u9fff" for ch in self.name) and len(self.name) > 1:
            return self.name[1:]
        return self.name.split(" ")[0] if self.name else ""

    def __repr__(self) -> str:
        return f"<User {self.id} {self.name}>"


@event.listens_for(User, "expire", raw=True)
def _forget_roles_read(state: InstanceState, _attrs) -> None:
    """An expired user reads its roles afresh, as its rows would be (a rollback, a
    ``refresh``, an ``expire``): the text read with it is as old as they are. Given the
    state, not the user: a rollback also expires users nothing refers to any more."""
    state.dict.pop(ROLES_READ, None)


def roles_text():
    """A user's roles as one text (``"social_worker,station_admin"``), a column to read
    with the user and hand to ``User.remember_roles``: no second statement for the rows.
    The separator is written into the SQL (a plain string would be a parameter rendered
    anew at every execution)."""
    return (
        select(func.aggregate_strings(UserRole.role, literal_column("','")))
        .where(UserRole.user_id == User.id)
        .scalar_subquery()
    )


def users_with_roles(statement) -> list[User]:
    """The users of ``statement`` (a select of ``User`` and ``roles_text()``), each
    answering ``roles`` from the text read with it; their role rows are not loaded."""
    users = []
    for user, roles in db.session.execute(statement.options(lazyload(User.role_rows))):
        if "role_rows" not in user.__dict__:
            user.remember_roles(roles)
        users.append(user)
    return users


DEFAULT_RADIUS_KM = 5.0


class VolunteerProfile(db.Model):
    __tablename__ = "volunteer_profile"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    station_id: Mapped[int | None] = mapped_column(ForeignKey("station.id"), index=True)
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)  # category codes
    # Weekly windows: [{"day": 0-6 (Monday=0), "start": "08:00", "end": "12:00"}]
    availability: Mapped[list[dict]] = mapped_column(JSON, default=list)
    # Kept by the model from availability (see _keep_window_code): the windows as matching
    # tests them, 4 bytes a span (models/windows.py), for the reach index to carry.
    window_code: Mapped[bytes | None] = mapped_column(LargeBinary)
    home_lat: Mapped[float | None] = mapped_column(Float)
    home_lon: Mapped[float | None] = mapped_column(Float)
    # Kept by the model from home_lat, home_lon, radius_km and skills (see _keep_reach):
    # matching finds who may reach a place, with the skill, in one index (models/reach.py).
    reach_cell: Mapped[int | None] = mapped_column(BigInteger)
    skill_bits: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    home_village_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"))
    radius_km: Mapped[float] = mapped_column(Float, default=DEFAULT_RADIUS_KM)
    open_task_limit: Mapped[int] = mapped_column(Integer, default=2)
    status: Mapped[str] = mapped_column(
        String(16), default="pending"
    )  # pending|approved|suspended|rejected
    vetted_for_children: Mapped[bool] = mapped_column(Boolean, default=False)
    approved_at: Mapped[datetime | None] = mapped_column(DateTime)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # The team chosen at sign-up: joined when the station approves the volunteer, since a
    # team's leader sees its members and hands them tasks.
    wanted_team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(back_populates="volunteer", foreign_keys=[user_id])
    wanted_team: Mapped[Team | None] = relationship(foreign_keys=[wanted_team_id])

    @validates("home_lat", "home_lon", "radius_km")
    def _keep_reach(self, key, value):
        """Whoever sets the home point or the radius (sign-up, profile edit, the demo, a
        test) moves the reach cell with it."""
        point = {"home_lat": self.home_lat, "home_lon": self.home_lon, "radius_km": self.radius_km}
        point[key] = value
        radius = point["radius_km"]
        self.reach_cell = reach_cell(
            point["home_lat"],
            point["home_lon"],
            DEFAULT_RADIUS_KM if radius is None else radius,  # None: the column's default
        )
        return value

    @validates("availability")
    def _keep_window_code(self, _key, windows):
        self.window_code = pack_windows(windows)
        return windows

    @validates("skills")
    def _keep_skill_bits(self, _key, skills):
        self.skill_bits = skills_mask(skills)
        return skills


# Matching (issue 17): approved volunteers by reach cell, with everything the search
# tests (the point for the distance, the radius, the skills) in the index itself, so a
# request reads a few hundred short index ranges; on PostgreSQL it also carries what the
# rules read of the short list (prefilter._CARRIED: skills, windows, open-task limit,
# vetting), so matching reads no table rows at all. Only the approved are in it
# (matching reads no others): smaller, and no status to compare in each entry read.
MATCHING_CARRIES = ["user_id", "skills", "window_code", "open_task_limit", "vetted_for_children"]
Index(
    "ix_volunteer_approved_reach",
    VolunteerProfile.reach_cell,
    VolunteerProfile.home_lat,
    VolunteerProfile.home_lon,
    VolunteerProfile.radius_km,
    VolunteerProfile.skill_bits,
    postgresql_include=MATCHING_CARRIES,
    postgresql_where=text("status = 'approved'"),
    sqlite_where=text("status = 'approved'"),
)


class Team(db.Model):
    """A volunteer team or a social organisation."""

    __tablename__ = "team"
    # Matching reads the teams in a box around the place (issue 17: not every team).
    __table_args__ = (Index("ix_team_lat_lon", "lat", "lon"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20), default="volunteer_team")  # | social_org
    station_id: Mapped[int | None] = mapped_column(ForeignKey("station.id"), index=True)
    leader_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    radius_km: Mapped[float] = mapped_column(Float, default=10.0)
    open_task_limit: Mapped[int] = mapped_column(Integer, default=5)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Weekly windows as for volunteers: [{"day": 0-6 (Monday=0), "start": "08:00", "end": …}].
    # Empty: the team is free when one of its approved members is (matching/rules.py).
    availability: Mapped[list[dict]] = mapped_column(JSON, default=list)

    leader: Mapped[User | None] = relationship(foreign_keys=[leader_id])
    members: Mapped[list[TeamMember]] = relationship(cascade="all, delete-orphan")


class TeamMember(db.Model):
    __tablename__ = "team_member"

    team_id: Mapped[int] = mapped_column(
        ForeignKey("team.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    joined_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    user: Mapped[User] = relationship()
