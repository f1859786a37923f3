"""Repeated texts stored once per block (SharedTexts): the values never change."""

from __future__ import annotations

import polars as pl
from polars.testing import assert_frame_equal

from selaras.domain.snapshot import SharedTexts


def _block(start: int, n: int) -> pl.DataFrame:
    return pl.DataFrame(
        {
            # a few long texts repeated, with empty cells among them
            "uraian": [None if i % 7 == 0 else f"Terlaksananya rencana berbasis data rapor {i % 5}" for i in range(n)],
            # long and mostly distinct: left as read after the first block
            "rhk_id": [f"RHK-{start + i:020d}" for i in range(n)],
            # short: nothing to share
            "jenis": ["UTAMA" if i % 2 else "TAMBAHAN" for i in range(n)],
        }
    )


def test_shared_blocks_keep_every_value_in_place() -> None:
    texts = SharedTexts()
    for k in range(4):
        block = _block(k * 1000, 1000)
        assert_frame_equal(texts.share(block), block)


def test_a_mostly_distinct_column_is_no_longer_looked_at() -> None:
    texts = SharedTexts()
    texts.share(_block(0, 1000))
    assert "rhk_id" in texts._unshared
    assert "uraian" not in texts._unshared
