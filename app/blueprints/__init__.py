"""Blueprints: one package per area, each with __init__.py (bp), routes.py, forms.py."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from app.blueprints.auth import bp as auth_bp
    from app.blueprints.console import bp as console_bp
    from app.blueprints.main import bp as main_bp
    from app.blueprints.open311 import bp as open311_bp
    from app.blueprints.open311 import keys_bp
    from app.blueprints.public import bp as public_bp
    from app.blueprints.sms import bp as sms_bp
    from app.blueprints.volunteer import bp as volunteer_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(public_bp)
    app.register_blueprint(volunteer_bp, url_prefix="/v")
    app.register_blueprint(console_bp, url_prefix="/station")
    app.register_blueprint(sms_bp, url_prefix="/sms")
    app.register_blueprint(open311_bp)  # /open311/v2/ and /api/ (issue 19)
    app.register_blueprint(keys_bp, url_prefix="/station")

    from app.blueprints import served

    served.init_app(app)  # links sent while serving a request follow its (local) address
