"""Thin routes (STYLE.md habit 1, issue 14): a route parses the form, calls one use case and
renders; the work lives in app/services and in small helpers beside the route.

Run with ``-s`` to see the share and the longest routes."""

from __future__ import annotations

import ast
import pathlib

BLUEPRINTS = pathlib.Path(__file__).resolve().parent.parent / "app" / "blueprints"
ROUTE_DECORATORS = ("route", "get", "post")
MAX_LINES = 15
WANTED_SHARE = 0.9


def _is_route(node: ast.FunctionDef) -> bool:
    return any(
        isinstance(d, ast.Call)
        and isinstance(d.func, ast.Attribute)
        and d.func.attr in ROUTE_DECORATORS
        for d in node.decorator_list
    )


def _body_lines(node: ast.FunctionDef) -> int:
    """Lines from the first statement to the end of the last, the docstring left out."""
    body = node.body
    first = body[0] if body else None
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        body = body[1:]
    return body[-1].end_lineno - body[0].lineno + 1 if body else 0


def route_sizes() -> list[tuple[int, str, str]]:
    """(body lines, file, route name) of every route, longest first."""
    rows = []
    for path in sorted(BLUEPRINTS.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and _is_route(node):
                rows.append((_body_lines(node), str(path.relative_to(BLUEPRINTS)), node.name))
    return sorted(rows, reverse=True)


def test_nine_routes_in_ten_fit_in_fifteen_lines():
    rows = route_sizes()
    short = sum(1 for lines, _path, _name in rows if lines <= MAX_LINES)
    share = short / len(rows)
    summary = f"{short}/{len(rows)} routes have bodies of {MAX_LINES} lines or fewer ({share:.0%})"
    print(summary)
    for lines, path, name in rows[:10]:
        print(f"  {lines:3d}  {path}  {name}")
    assert share >= WANTED_SHARE, summary


def test_only_the_request_boundary_commits():
    """Routes never commit: LinliFlask does, once, in app/blueprints/transaction.py."""
    committing = [
        str(path.relative_to(BLUEPRINTS))
        for path in sorted(BLUEPRINTS.rglob("*.py"))
        if path.name != "transaction.py" and "db.session.commit(" in path.read_text("utf-8")
    ]
    assert committing == []
