"""The use cases: one function per thing a person or a job does, over one write transaction."""
