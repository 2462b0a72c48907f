"""Finding a user by phone number or username, and checking the password."""

from __future__ import annotations

from sqlalchemy import or_, select

from app.extensions import db
from app.models import User
from app.services.phones import try_normalise_phone


def authenticate(login: str, password: str) -> User | None:
    login = (login or "").strip()
    if not login:
        return None
    phone = try_normalise_phone(login)
    clauses = [User.username == login]
    if phone:
        clauses.append(User.phone == phone)
    user = db.session.scalars(select(User).where(or_(*clauses)).limit(1)).first()
    if user is None or not user.active or not user.check_password(password):
        return None
    return user
