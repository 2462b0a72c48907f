"""With REDIS_URL set, rate limits live in Redis, so every app server shares them."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

# Two app instances (two "servers") in one process share nothing but Redis.
SCRIPT = textwrap.dedent(
    """
    import os, sys
    from app import create_app
    from app.config import Config

    def server():
        config = Config()
        config.TESTING = True
        config.WTF_CSRF_ENABLED = False
        config.SQLALCHEMY_DATABASE_URI = "sqlite://"
        app = create_app(config)
        with app.app_context():
            from app.extensions import db
            db.create_all()
        return app

    first, second = server(), server()
    statuses = []
    for i in range(12):
        app = first if i % 2 else second
        with app.app_context():
            response = app.test_client().post(
                "/track", data={"code": "ABCDEFG", "last_four": "1234"},
                environ_base={"REMOTE_ADDR": "10.9.8.7"},
            )
        statuses.append(response.status_code)
    from app.extensions import limiter
    print(type(limiter.storage).__name__)
    print(" ".join(map(str, statuses)))
    """
)


def _redis_reason() -> str | None:
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
        return None
    except Exception as error:  # noqa: BLE001 - shown as the skip reason
        return f"Redis not reachable at {REDIS_URL}: {error}"


def test_rate_limits_are_shared_through_redis():
    reason = _redis_reason()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs Redis: {reason}")
        pytest.skip(reason)
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    env = dict(os.environ, REDIS_URL=REDIS_URL, RATELIMIT_ENABLED="true")
    run = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    storage, statuses = run.stdout.strip().splitlines()[-2:]
    assert "Redis" in storage
    codes = [int(s) for s in statuses.split()]
    # 10 a minute per address, counted across both servers: the 11th and 12th are refused.
    assert codes[:10] == [422] * 10  # "no request with this code and these digits"
    assert codes[10:] == [429, 429]
    assert client.dbsize() > 0  # the counters are in Redis, not in either process
    client.flushdb()
