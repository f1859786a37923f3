"""The pure domain: the snapshot model, the rules of the checks and the sync plan (no I/O)."""
