"""Benchmarks (make bench). Never run as timed assertions in tests."""
