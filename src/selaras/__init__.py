"""Selaras: the Sinkron PMM system (PMM / Ruang GTK -> e-Kinerja, checked against SIASN and Dapodik)."""

__version__ = "0.1.0"
