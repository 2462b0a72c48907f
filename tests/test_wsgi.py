"""The served app (wsgi.py, as gunicorn imports it)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_served_app_keeps_its_startup_objects_out_of_the_collectors_passes(tmp_path):
    """gc.freeze() after create_app(): a full collection no longer walks the app's modules
    and mappers every few requests."""
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp_path / 'wsgi.db'}")
    probe = "import gc, wsgi; print(gc.get_freeze_count())"
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.split()[-1]) > 100_000
