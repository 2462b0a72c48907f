"""Configuration, read from the environment. See README.md for every variable."""

from __future__ import annotations

import os
from pathlib import Path

import orjson

BASE_DIR = Path(__file__).resolve().parent.parent
INSTANCE_DIR = BASE_DIR / "instance"


def normalise_database_url(url: str) -> str:
    """Make a plain postgresql:// URL use psycopg 3 rather than psycopg2."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def _secret_key() -> str:
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    # A random key kept in instance/ so sessions survive restarts of a local install.
    INSTANCE_DIR.mkdir(exist_ok=True)
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        path.write_text(os.urandom(32).hex())
    return path.read_text().strip()


class Config:
    def __init__(self) -> None:
        self.SECRET_KEY = _secret_key()
        self.SQLALCHEMY_DATABASE_URI = normalise_database_url(
            os.environ.get("DATABASE_URL") or f"sqlite:///{INSTANCE_DIR / 'linli.db'}"
        )
        # orjson reads the JSON columns (skills, weekly windows) about ten times quicker than
        # the standard library: matching reads a hundred or more of them per request.
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "json_deserializer": orjson.loads}
        self.REDIS_URL = os.environ.get("REDIS_URL", "")
        self.RATELIMIT_STORAGE_URI = self.REDIS_URL or "memory://"
        self.RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
        self.RATELIMIT_HEADERS_ENABLED = True
        # Empty: links follow the local address a request came to (app/services/links.py).
        self.PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "").rstrip("/")
        # Set by `make run` for its worker: the address the web server listens on.
        self.SERVED_BASE_URL = os.environ.get("SERVED_BASE_URL", "").rstrip("/")
        self.SMS_BACKEND = os.environ.get("SMS_BACKEND", "console")
        self.TWILIO_ACCOUNT_SID = os.environ.get("TWILIO_ACCOUNT_SID", "")
        self.TWILIO_AUTH_TOKEN = os.environ.get("TWILIO_AUTH_TOKEN", "")
        self.TWILIO_FROM = os.environ.get("TWILIO_FROM", "")
        self.TWILIO_MESSAGING_SERVICE_SID = os.environ.get("TWILIO_MESSAGING_SERVICE_SID", "")
        self.TWILIO_API_BASE_URL = os.environ.get("TWILIO_API_BASE_URL", "")
        self.TWILIO_TIMEOUT = _int("TWILIO_TIMEOUT", 10)
        self.SMS_HOURLY_LIMIT = _int("SMS_HOURLY_LIMIT", 6)
        self.SMS_BATCH_SIZE = _int("SMS_BATCH_SIZE", 50)  # rows one worker claims at a time
        self.SMS_LEASE_SECONDS = _int("SMS_LEASE_SECONDS", 300)  # then "sending" is retried
        self.SMS_RETRY_BASE_SECONDS = _int("SMS_RETRY_BASE_SECONDS", 30)  # doubles per attempt
        self.SMS_RETRY_MAX_SECONDS = _int("SMS_RETRY_MAX_SECONDS", 3600)  # ... up to this
        # A temporary failure is retried this long from the first failure, then given up.
        self.SMS_RETRY_FOR_SECONDS = _int("SMS_RETRY_FOR_SECONDS", 24 * 3600)
        self.GEOCODER = os.environ.get("GEOCODER", "off")
        self.GEOCODER_DOMAIN = os.environ.get("GEOCODER_DOMAIN", "")
        self.GEOCODER_SCHEME = os.environ.get("GEOCODER_SCHEME", "https")
        self.GEOCODER_API_KEY = os.environ.get("GEOCODER_API_KEY", "")
        self.GEOCODER_USER_AGENT = os.environ.get("GEOCODER_USER_AGENT", "linli")
        self.MAP_TILE_URL = os.environ.get("MAP_TILE_URL", "")
        self.OFFER_BATCH_SIZE = _int("OFFER_BATCH_SIZE", 3)
        self.OFFER_TTL_MINUTES = _int("OFFER_TTL_MINUTES", 60)
        self.OFFER_TTL_URGENT_MINUTES = _int("OFFER_TTL_URGENT_MINUTES", 15)
        self.OFFER_MAX_ROUNDS = _int("OFFER_MAX_ROUNDS", 3)
        self.AUTO_CLOSE_DAYS = _int("AUTO_CLOSE_DAYS", 7)
        self.RESPONSE_TARGET_MINUTES = {
            "crisis": _int("RESPONSE_TARGET_CRISIS_MINUTES", 15),
            "urgent": _int("RESPONSE_TARGET_URGENT_MINUTES", 120),
            "normal": _int("RESPONSE_TARGET_NORMAL_MINUTES", 24 * 60),
        }
        # Secure cookies whenever Linli is served over HTTPS.
        self.SESSION_COOKIE_SECURE = _bool(
            "SESSION_COOKIE_SECURE", self.PUBLIC_BASE_URL.startswith("https://")
        )
        self.PROXY_COUNT = _int("PROXY_COUNT", 0)  # trusted reverse proxies in front
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        self.WTF_CSRF_TIME_LIMIT = None
        self.BABEL_DEFAULT_LOCALE = "zh"
        self.BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
        self.LOCAL_TIMEZONE = os.environ.get("LOCAL_TIMEZONE", "Asia/Shanghai")
        self.LANGUAGES = ["zh", "en"]
        # Exports (app/services/exports.py): service records exports of more rows than this
        # are built by the worker; its files are deleted after EXPORT_KEEP_HOURS.
        self.EXPORT_DIRECT_MAX_ROWS = _int("EXPORT_DIRECT_MAX_ROWS", 10000)
        self.EXPORT_KEEP_HOURS = _int("EXPORT_KEEP_HOURS", 24)
        self.EXPORT_MAX_ROWS = _int("EXPORT_MAX_ROWS", 500000)  # larger: choose fewer days
        self.EXPORT_BATCH_ROWS = _int("EXPORT_BATCH_ROWS", 2000)  # rows read per query
        self.EXPORT_BATCH_JOBS = _int("EXPORT_BATCH_JOBS", 2)  # exports one worker takes at once
        # Tracking look-ups that fail (wrong code or digits), from all addresses together.
        self.TRACK_FAILED_LOOKUPS_LIMIT = os.environ.get("TRACK_FAILED_LOOKUPS_LIMIT", "200/hour")
        # Open311 and the JSON API (issue 19): calls per key (per address without a key).
        self.OPEN311_READ_LIMIT = os.environ.get("OPEN311_READ_LIMIT", "120/minute")
        self.OPEN311_WRITE_LIMIT = os.environ.get("OPEN311_WRITE_LIMIT", "30/minute")
        self.OPEN311_ADDRESS_LIMIT = os.environ.get("OPEN311_ADDRESS_LIMIT", "600/minute")
        # Request bodies: any page's (photos included) and the API's, in bytes; larger: 413.
        self.MAX_CONTENT_LENGTH = _int("MAX_CONTENT_LENGTH", 8 * 1024 * 1024)
        self.API_MAX_CONTENT_LENGTH = _int("API_MAX_CONTENT_LENGTH", 1024 * 1024)
        # Dashboards (app/services/snapshots.py): figures are read from a snapshot younger
        # than this, which the worker keeps fresh while someone views it; 0: count at each view.
        self.STATS_MAX_AGE_SECONDS = _int("STATS_MAX_AGE_SECONDS", 120)
        self.STATS_KEEP_VIEWED_HOURS = _int("STATS_KEEP_VIEWED_HOURS", 24)
        self.WORKER_POLL_SECONDS = float(os.environ.get("WORKER_POLL_SECONDS", "2"))
        # Bytes on the wire (app/web/): the cache of a static file's plain (un-hashed) URL;
        # the compression levels of pages made at each request.
        self.STATIC_PLAIN_MAX_AGE = _int("STATIC_PLAIN_MAX_AGE", 300)
        self.COMPRESS_BR_LEVEL = _int("COMPRESS_BR_LEVEL", 5)
        self.COMPRESS_LEVEL = _int("COMPRESS_GZIP_LEVEL", 6)


class TestConfig(Config):
    def __init__(self, database_url: str = "sqlite://") -> None:
        super().__init__()
        self.TESTING = True
        self.SECRET_KEY = "test-secret"
        self.SQLALCHEMY_DATABASE_URI = normalise_database_url(database_url)
        self.RATELIMIT_STORAGE_URI = "memory://"
        self.PUBLIC_BASE_URL = "http://localhost"
        self.SERVED_BASE_URL = ""
        self.STATS_MAX_AGE_SECONDS = (
            0  # each test sees what it just wrote (snapshots: their own tests)
        )
