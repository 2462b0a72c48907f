"""With REDIS_URL set, an API key's rate limit is counted in Redis: two app servers share
it (issue 19). The key is new at each run, so its counters are its own (nothing flushed)."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.test_redis_limits import REDIS_URL, _redis_reason

ROOT = Path(__file__).resolve().parent.parent.parent

SCRIPT = textwrap.dedent(
    """
    import sys
    from app import create_app
    from app.config import Config

    def server(path):
        config = Config()
        config.TESTING = True
        config.SQLALCHEMY_DATABASE_URI = f"sqlite:///{path}"
        config.OPEN311_WRITE_LIMIT = "3/minute"
        return create_app(config)

    path = sys.argv[1]
    first, second = server(path), server(path)
    with first.app_context():
        from app.extensions import db
        from app.services import api_keys
        from tests import factories
        db.create_all()
        world = factories.make_world()
        admin = factories.make_user(roles=("station_admin",), station=world.station_a)
        secret = api_keys.create_key(admin, "redis").secret
        db.session.commit()
    statuses = []
    for i in range(5):
        app = first if i % 2 else second
        with app.app_context():
            response = app.test_client().post(
                "/open311/v2/requests.json",
                data={"api_key": secret, "service_code": "shopping", "lat": "34.76",
                      "long": "113.6"},
            )
        statuses.append(response.status_code)
    from app.extensions import limiter
    print(type(limiter.storage).__name__)
    print(" ".join(map(str, statuses)))
    """
)


def test_a_keys_limit_is_shared_through_redis(tmp_path):
    reason = _redis_reason()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs Redis: {reason}")
        pytest.skip(reason)
    env = dict(os.environ, REDIS_URL=REDIS_URL, RATELIMIT_ENABLED="true")
    run = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "two-servers.db")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    storage, statuses = run.stdout.strip().splitlines()[-2:]
    assert "Redis" in storage
    # 3 a minute for this key, counted across both servers.
    assert [int(s) for s in statuses.split()] == [201, 201, 201, 429, 429]
