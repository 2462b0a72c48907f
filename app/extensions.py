"""Bare extension instances, bound to the app in create_app()."""

from flask_babel import Babel
from flask_htmx import HTMX
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from app.web.compression import LinliCompress
from app.web.csrf_mask import MaskedCSRFProtect

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


# Objects are read after commit in most routes; expiring them would cost a round trip each
# (Flask-SQLAlchemy takes session options here, not from the app config).
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate()
login_manager = LoginManager()
csrf = MaskedCSRFProtect()  # Flask-WTF's, with tokens masked at each render (BREACH)
compress = LinliCompress()  # Flask-Compress
babel = Babel()
htmx = HTMX()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
