"""Benchmarks, run as modules from the repository root: `python -m bench.search_bench`."""
