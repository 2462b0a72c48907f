"""The app's real password hashes. Every other test hashes with one round of PBKDF2
(tests/conftest.py, ``_cheap_password_hashes``): scrypt costs a tenth of a second or more
per hash here, for every user a test makes and every sign-in."""

from __future__ import annotations

from app.extensions import db
from app.services import auth
from tests import factories


def test_passwords_are_stored_as_werkzeug_scrypt_hashes(app, real_password_hashes):
    user = factories.make_user(roles=("social_worker",), password="a-real-secret-9")
    db.session.commit()
    assert user.password_hash.startswith("scrypt:32768:8:1$")
    assert user.check_password("a-real-secret-9")
    assert not user.check_password("a-real-secret-8")
    assert auth.sign_in(user.username, "a-real-secret-9").user == user
    assert auth.sign_in(user.username, "a-real-secret-8").user is None
