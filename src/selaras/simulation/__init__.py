"""Test tools, not sources: the synthetic snapshot generator and the simulator of the source APIs."""
