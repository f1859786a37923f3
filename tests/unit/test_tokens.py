"""SIASN's tokens: fetched once, renewed before they expire and after a 401."""

from __future__ import annotations

from selaras.sources.siasn import TokenSource


def test_a_token_is_reused_until_shortly_before_it_expires_then_fetched_again() -> None:
    clock = [0.0]
    issued: list[str] = []

    def fetch() -> tuple[str, float]:
        issued.append(f"t{len(issued)}")
        return issued[-1], 600.0

    tokens = TokenSource(fetch, clock=lambda: clock[0])
    assert tokens.get() == "t0"
    clock[0] = 569.0
    assert tokens.get() == "t0"
    clock[0] = 570.5  # within the 30 s margin before the 600 s run out
    assert tokens.get() == "t1"
    assert tokens.fetched == 2


def test_a_401_drops_the_token_once_for_every_thread_that_saw_it() -> None:
    issued: list[str] = []

    def fetch() -> tuple[str, float]:
        issued.append(f"t{len(issued)}")
        return issued[-1], 3600.0

    tokens = TokenSource(fetch, clock=lambda: 0.0)
    seen = tokens.get()
    tokens.invalidate(seen)
    fresh = tokens.get()
    tokens.invalidate(seen)  # a second thread that met the same 401 late
    assert tokens.get() == fresh == "t1"
