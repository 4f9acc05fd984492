"""Benchmarks of the reference server against a FastAPI peer and a Starlette floor (run.py)."""
