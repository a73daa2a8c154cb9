"""Benchmarks (not tests): `python -m bench` runs every `bench/*_bench.py` in turn; each also runs alone,
e.g. `python -m bench.kpi_bench`."""
