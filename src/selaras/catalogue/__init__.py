"""The error catalogue: every code of errors.md with its texts, as data."""
