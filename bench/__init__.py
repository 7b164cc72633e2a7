"""Load tests against a real server: `make bench` (see bench/run.py)."""
