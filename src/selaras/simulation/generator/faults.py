"""The injected faults: how often each occurs, and the codes each one gives in the manifest."""

from __future__ import annotations

# Fault rates: share of the eligible schools / teachers that get each fault.
SCHOOL_FAULTS = (
    ("PMM-08", 0.008),
    ("PMM-11", 0.012),
    ("PMM-03", 0.005),
    ("PMM-12S", 0.006),
    ("PMM-13S", 0.006),
)
TEACHER_FAULTS = (
    ("rotasi", 0.010),
    ("PMM-01", 0.010),
    ("PMM-02a", 0.006),
    ("PMM-02b", 0.012),
    ("PMM-04", 0.005),
    ("PMM-05", 0.006),
    ("PMM-06", 0.005),
    ("PMM-07", 0.005),
    ("PMM-09", 0.007),
    ("PMM-10", 0.008),
    ("PMM-12", 0.006),
    ("PMM-13", 0.005),
    ("PER-01", 0.005),
    ("PER-03", 0.012),
)
TEACHER_SYNCED = 0.27
INSTANSI_TAHUNAN_RATE = 0.006
INSTANSI_PERIODIK_RATE = 0.011

LABEL_CODE = {
    "PMM-01": "PMM-01",
    "PMM-02a": "PMM-02",
    "PMM-02b": "PMM-02",
    "PMM-04": "PMM-04",
    "PMM-05": "PMM-05",
    "PMM-06": "PMM-06",
    "PMM-07": "PMM-07",
    "PMM-09": "PMM-09",
    "PMM-10": "PMM-10",
    "PMM-12": "PMM-12",
    "PMM-13": "PMM-13",
}
# Codes that a school fault gives its principal (KS) and its teachers (GURU).
SCHOOL_CODES: dict[str, dict[str, tuple[str, ...]]] = {
    "PMM-08": {"KS": ("PMM-08",), "GURU": ("PMM-08",)},
    "PMM-11": {"KS": (), "GURU": ("PMM-11",)},
    "PMM-03": {"KS": ("PMM-03",), "GURU": ("PMM-03",)},
    # The superior D of PMM-11/13 is the PMM superior while PMM-12 holds (errors.md,
    # Clarifications): the real principal, synced, whose RHK the teachers' RHK link to.
    "PMM-12S": {"KS": (), "GURU": ("PMM-12",)},
    "PMM-13S": {"KS": ("PMM-07",), "GURU": ("PMM-13",)},
}
