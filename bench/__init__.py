"""Benchmarks of lactgraph: `python -m bench` (see bench/README.md). Never run by pytest."""
