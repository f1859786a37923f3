"""The generator's randomness and drawing: counter-based random numbers (splitmix64 of a seed,
a named stream and the row number, so a seed gives the same data whatever the batch size),
weighted choices as polars expressions, and disjoint fault victims drawn in quota."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import Literal

import polars as pl

_MASK64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_MIX1 = 0xBF58476D1CE4E5B9
_MIX2 = 0x94D049BB133111EB


def _splitmix(z: int) -> int:
    z = (z + _GOLDEN) & _MASK64
    z = ((z ^ (z >> 30)) * _MIX1) & _MASK64
    z = ((z ^ (z >> 27)) * _MIX2) & _MASK64
    return z ^ (z >> 31)


def _u64(value: int) -> pl.Expr:
    return pl.lit(value, dtype=pl.UInt64)


class Rand:
    """Counter-based random numbers: a pure function of (seed, stream name, row key)."""

    def __init__(self, seed: int) -> None:
        self.seed = seed & _MASK64

    def _salt(self, stream: str) -> int:
        return _splitmix(self.seed ^ _splitmix(zlib.crc32(stream.encode())))

    def u(self, key: pl.Expr | str, stream: str) -> pl.Expr:
        """Uniform in [0, 1) for each row's non-negative integer key."""
        k = pl.col(key) if isinstance(key, str) else key
        # UInt64 arithmetic wraps in polars, which is what splitmix64 needs; there is no
        # shift operator, so shifts are divisions by powers of two.
        x = k.cast(pl.UInt64) * _u64(_GOLDEN) + _u64(self._salt(stream))
        x = (x ^ (x // _u64(1 << 30))) * _u64(_MIX1)
        x = (x ^ (x // _u64(1 << 27))) * _u64(_MIX2)
        x = x ^ (x // _u64(1 << 31))
        return (x // _u64(1 << 11)).cast(pl.Float64) * (2.0**-53)

    def below(self, key: pl.Expr | str, stream: str, n: pl.Expr | int) -> pl.Expr:
        """Uniform integer in [0, n)."""
        return (self.u(key, stream) * n).floor().cast(pl.Int64)


def choice_index(u: pl.Expr, weights: Sequence[float]) -> pl.Expr:
    """The index of the cumulative-weight interval that holds ``u`` (uniform in [0, 1))."""
    total = sum(weights)
    bounds, acc = [], 0.0
    for w in weights[:-1]:
        acc += w
        bounds.append(acc / total)
    if not bounds:
        return pl.lit(0, pl.Int64)
    return pl.lit(pl.Series(bounds, dtype=pl.Float64)).search_sorted(u, side="right").cast(pl.Int64)


def choice(u: pl.Expr, options: Sequence[tuple[str, float]]) -> pl.Expr:
    """One of the options, chosen by ``u`` with the given weights."""
    return pick([name for name, _ in options], choice_index(u, [w for _, w in options]))


def choice_by(key: pl.Expr, u: pl.Expr, table: dict[str, Sequence[tuple[str, float]]]) -> pl.Expr:
    """``choice`` with the options depending on the value of ``key`` (null: no match)."""
    names: list[str] = []
    index: pl.Expr = pl.lit(None, dtype=pl.Int64)
    for value, options in table.items():
        chosen = len(names) + choice_index(u, [w for _, w in options])
        index = pl.when(key == value).then(chosen).otherwise(index)
        names += [name for name, _ in options]
    return pick(names, index)


def pick(pool: Sequence[str], index: pl.Expr) -> pl.Expr:
    """``pool[index]`` per row (a gather, so long texts share one buffer)."""
    return pl.lit(pl.Series(list(pool), dtype=pl.String)).gather(index)


def ordered_join(
    left: pl.DataFrame,
    right: pl.DataFrame,
    on: str | list[str],
    how: Literal["left", "inner"] = "left",
) -> pl.DataFrame:
    """A join that keeps the left frame's row order (the output must be deterministic)."""
    return left.join(right, on=on, how=how, maintain_order="left")


def _quota(eligible: int, rate: float, minimum_eligible: int) -> int:
    k = round(eligible * rate)
    if k == 0 and eligible >= minimum_eligible:
        k = 1
    return k


def assign(
    df: pl.DataFrame,
    rand: Rand,
    key: str,
    eligible: pl.Expr,
    stream: str,
    rates: Sequence[tuple[str, float]],
    minimum_eligible: int,
    name: str,
) -> pl.DataFrame:
    """Add column ``name``: disjoint random sets of eligible rows get the labels, in quota
    (rate times the number eligible, at least one once ``minimum_eligible`` rows are)."""
    n_eligible = df.select(eligible.sum()).item()
    quotas = [(label, _quota(n_eligible, rate, minimum_eligible)) for label, rate in rates]
    df = df.with_columns(_rank=pl.when(eligible).then(rand.u(key, stream)).otherwise(None).rank("ordinal"))
    expr: pl.Expr = pl.lit(None, dtype=pl.String)
    bound = sum(k for _, k in quotas)
    for label, k in reversed(quotas):
        expr = pl.when(pl.col("_rank") <= bound).then(pl.lit(label)).otherwise(expr)
        bound -= k
    return df.with_columns(expr.alias(name)).drop("_rank")
