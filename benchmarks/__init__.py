"""Benchmarks of the operator and the runtime, run against the real local control plane.

The suite has one command (see `benchmarks/run.py`):

    .venv/bin/python -m benchmarks.run [--sizes 100,1000,5000] [--idle-seconds 300]

The older single-purpose scripts (`runtime_startup.py`, `control_plane_startup.py`) still run
on their own; `runtime.py` reuses the former's measurement.
"""
