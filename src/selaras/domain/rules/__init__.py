"""The checks of ``errors.md``: one function per error code, registered by its code.

Where is PMM-10 decided? ``grep -rn '@rule("PMM-10"' src``: each code has exactly one rule,
in the module of its theme (:mod:`.pegawai` who the pegawai is, :mod:`.skp` plan, school and
period, :mod:`.atasan` the superior, :mod:`.penilaian` the assessments). The frames the rules
share (scope, the SKPs looked at, the superior D, the RHK links) are defined once in
:mod:`.common` and :mod:`.skp_context`; :mod:`.evaluate` runs the rules of a flow and sets the
status and ``selesai_oleh``.

Every rule is a data-frame expression over the whole scope, so the same definitions serve one
pegawai pressing "Sinkron PMM" (a snapshot filtered to that pegawai) and the national batch.
Each error row carries ``detail``: a JSON object keyed by source system (``siasn``,
``dapodik``, ``pmm``, ``ekinerja``) holding that system's values, so they can be shown side by
side, plus context such as the SKP concerned.
"""

from __future__ import annotations

from selaras.domain.rules import atasan, pegawai, penilaian, skp, tahunan  # noqa: F401  (registers the rules)
from selaras.domain.rules import pimpinan as _pimpinan  # noqa: F401  (registers PLT-01..04)
from selaras.domain.rules.common import DISEPAKATI, JENIS_ASN, JENIS_PTK_BOLEH, RANGE_PERIODIK
from selaras.domain.rules.evaluate import Evaluation, check, check_parts, evaluate, periode_problems
from selaras.domain.rules.registry import RULES, Rule, rule, rules_of

__all__ = [
    "DISEPAKATI",
    "JENIS_ASN",
    "JENIS_PTK_BOLEH",
    "RANGE_PERIODIK",
    "RULES",
    "Evaluation",
    "Rule",
    "check",
    "check_parts",
    "evaluate",
    "periode_problems",
    "rule",
    "rules_of",
]
