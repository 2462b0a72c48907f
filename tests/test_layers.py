"""The layers of issue 14, checked on the source: the domain (app/services) reads no web
request and never commits; only the web boundary and app/jobs commit."""

from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"
REQUEST_SIDE = {"request", "abort", "current_user", "g", "session", "has_request_context"}


def _imports(path: Path) -> list[tuple[int, str, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module in ("flask", "flask_login"):
            found += [(node.lineno, node.module, alias.name) for alias in node.names]
    return found


def test_services_import_nothing_of_the_web_request():
    offenders = [
        f"{path.relative_to(APP.parent)}:{line} {module}.{name}"
        for path in sorted((APP / "services").rglob("*.py"))
        for line, module, name in _imports(path)
        if module == "flask_login" or name in REQUEST_SIDE
    ]
    assert offenders == []


def test_commits_happen_only_at_the_web_boundary_and_in_jobs():
    allowed = {APP / "blueprints" / "transaction.py", APP / "jobs" / "__init__.py"}
    offenders = [
        f"{path.relative_to(APP.parent)}:{number}"
        for path in sorted(APP.rglob("*.py"))
        if path not in allowed
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if ".commit()" in line and not line.lstrip().startswith(("#", '"', "'"))
    ]
    assert offenders == []


def test_the_checks_above_can_fail(tmp_path):
    """The import reader finds what it looks for (a check that cannot fail proves nothing)."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from flask import current_app, request\nfrom flask_login import current_user\n"
    )
    names = {name for _line, _module, name in _imports(sample)}
    assert names == {"current_app", "request", "current_user"}
