"""``make bench`` entry point: ``python -m benchmarks.run [--only matching,load]``.

Each benchmark is a module of this package with a ``run() -> list[str]`` function that
prepares what it needs (its own PostgreSQL database, kept between runs) and returns the
lines to print.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time

BENCHMARKS = {
    "matching": "benchmarks.matching",  # 1,000,000 volunteers, p50/p95 of find_candidates
    "load": "benchmarks.load",  # gunicorn + wrk over the main pages
    "county": "benchmarks.county",  # 1M requests, 2M service records: dashboard and report
    "sms": "benchmarks.sms",  # one flask worker vs a bare twilio loop, same fake Twilio
    "wire": "benchmarks.wire",  # compression's cost: pages with and without Accept-Encoding
    "stations": "benchmarks.stations",  # a signed-in request with a county's and a province's stations
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated names to run, from: " + ", ".join(BENCHMARKS),
    )
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.only.split(",") if n.strip()] or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
    failed = 0
    for name in names:
        print(f"== {name} ==", flush=True)
        started = time.monotonic()
        try:
            module = importlib.import_module(BENCHMARKS[name])
            for line in module.run():
                print(line, flush=True)
        except Exception as error:  # noqa: BLE001 - one failing benchmark must not hide the rest
            failed += 1
            print(f"{name} failed: {type(error).__name__}: {error}", flush=True)
        print(f"({name}: {time.monotonic() - started:.0f} s)", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
