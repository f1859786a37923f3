"""Use cases: each commits whole or not at all (one transaction per call)."""
