"""The identifiers of the generated rows: a prefix and the digits of a row number (each
``*_id_of(index)`` maps a row number to its table's identifier)."""

from __future__ import annotations

import polars as pl


def _code(prefix: str, index: pl.Expr, base: int) -> pl.Expr:
    """A compact unique identifier ``prefix`` + digits of ``index + base``."""
    return pl.concat_str([pl.lit(prefix), (index + base).cast(pl.String)])


def unor_id_of(index: pl.Expr) -> pl.Expr:
    return _code("UNR", index, 10_000_000)


def skp_pmm_id_of(index: pl.Expr) -> pl.Expr:
    return _code("S", index, 100_000_000)


def rhk_pmm_id_of(index: pl.Expr) -> pl.Expr:
    return _code("R", index, 1_000_000_000)


def skp_ek_id_of(index: pl.Expr) -> pl.Expr:
    return _code("SKP", index, 100_000_000)


def rhk_ek_id_of(index: pl.Expr) -> pl.Expr:
    return _code("RHK", index, 100_000_000)


def ptk_id_of(index: pl.Expr) -> pl.Expr:
    return _code("PTK", index, 100_000_000)
