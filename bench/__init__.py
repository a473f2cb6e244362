"""Benchmarks run on the embedded stack (`make bench-intake`)."""
