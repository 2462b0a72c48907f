"""Commands: ``flask worker`` and ``flask seed-demo``."""

from __future__ import annotations

import logging

import click
from flask import Flask, current_app


def init_app(app: Flask) -> None:
    @app.cli.command("worker")
    @click.option("--once", is_flag=True, help="Run every job once and stop.")
    def worker(once: bool) -> None:
        """Send the SMS outbox and run the scheduled jobs, until stopped."""
        from app.jobs.scheduler import run_forever

        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
        click.echo("Linli worker started (Ctrl+C stops it).")
        run_forever(current_app.config["WORKER_POLL_SECONDS"], once=once)

    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True, help="Do nothing when the database has data.")
    def seed_demo(if_empty: bool) -> None:
        """Build the demo county, its stations, people and requests (idempotent)."""
        from app.demo import seed_demo as build
        from app.jobs import unit_of_work

        with unit_of_work():
            lines = build(if_empty=if_empty)
        for line in lines:
            click.echo(line)
