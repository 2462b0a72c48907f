"""Entry point for gunicorn (``gunicorn wsgi:app``) and the flask command."""

import gc

from app import create_app

app = create_app()
# What the app built at start (modules, models, mappers, extensions) lives as long as the
# process: out of the cyclic collector's sight, whose full passes walked all of it every
# few requests (about 2 ms of each signed-in page view's CPU, issue 17). Objects made
# later are collected as before.
gc.freeze()
