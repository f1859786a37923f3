"""Names compared as people read them: without academic degrees or titles.

"Dra. Siti Aminah, M.Pd." in SIASN and "Siti Aminah" in Dapodik are the same name; only a
difference in the name itself is worth flagging.
"""

from __future__ import annotations

import re

import polars as pl

# Titles before the name (a known list: a bare initial such as "A." is part of a name) and
# degrees after it without a comma ("S.Pd", "M.Pd.", "S.Pd.I", "Ph.D": letter groups joined by
# dots). Everything after the first comma is degrees (the Indonesian convention).
_DEPAN = re.compile(r"^(?:(?:dr|dra|drs|ir|prof|h|hj|kh|ny|tn)\.\s*)+", re.IGNORECASE)
_BELAKANG = re.compile(r"(?:\s+(?:[A-Za-z]{1,4}\.)+[A-Za-z]{1,4}\.?)+$")


def tanpa_gelar(nama: str | None) -> str:
    """``nama`` without titles and degrees, case-folded, single-spaced ('' for no name)."""
    if not nama:
        return ""
    s = " ".join(nama.split())
    # Degrees follow the first comma (Indonesian convention); a degree may also follow a space.
    s = s.split(",", 1)[0]
    s = _DEPAN.sub("", s + " ").strip()
    s = _BELAKANG.sub("", s).strip()
    return s.casefold()


def nama_sama(a: str | None, b: str | None) -> bool:
    """Whether two names are the same name once titles and degrees are set aside."""
    return tanpa_gelar(a) == tanpa_gelar(b)


def tanpa_gelar_expr(col: str) -> pl.Expr:
    """:func:`tanpa_gelar` over a string column."""
    return pl.col(col).map_elements(tanpa_gelar, return_dtype=pl.String)
