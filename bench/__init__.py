"""Benchmarks: speed and cost figures, reported as ratios measured in one run. Run with `make bench`."""
