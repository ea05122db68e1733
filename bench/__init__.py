"""Benchmarks of the suite: run with ``make bench`` (``python -m bench``)."""
