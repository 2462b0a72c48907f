"""Run a job's units one by one, each in its own unit of work.

A job selects what is due (ids, not objects: a rollback expires what the session holds),
then hands each to a domain function in ``app.services``. A unit that raises is rolled
back and logged, and the job goes on with the next: one bad request does not hold up the
others, and it is tried again on the job's next run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import TypeVar

from app.jobs import unit_of_work

log = logging.getLogger("linli.worker")

Unit = TypeVar("Unit")


def each_in_its_own_unit(job: str, units: Iterable[Unit], handle: Callable[[Unit], int]) -> int:
    """Commit ``handle(unit)`` for each unit on its own; return the sum of what they did."""
    done = 0
    for unit in units:
        try:
            with unit_of_work():
                done += int(handle(unit))
        except Exception:
            log.exception("job %s: %r failed and was rolled back", job, unit)
    return done
