"""Benchmarks: ``make bench`` runs them all; ``make bench BENCH_ARGS="--only matching"`` one."""
