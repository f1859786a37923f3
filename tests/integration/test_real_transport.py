"""The real connectors' transport: retries (SYS-01), token renewal on a 401, bodies not JSON."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import httpx
import pytest

from selaras.sources.real import RENEWALS, RealSettings, Transport
from selaras.sources.transport import SourceConfigError, SourceUnavailable


def transport(answers: list[Callable[[httpx.Request], httpx.Response]], **settings: object) -> tuple[Transport, list]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers[min(len(seen), len(answers)) - 1](request)

    t = Transport(
        "SIASN",
        RealSettings(**settings),  # type: ignore[arg-type]
        sleep=lambda _s: None,
        transport=httpx.MockTransport(handler),
    )
    return t, seen


def ok(_r: httpx.Request) -> httpx.Response:
    return httpx.Response(200, content=b'{"data": 1}', headers={"content-type": "text/html"})


def test_429_and_5xx_are_asked_again_then_the_answer_taken() -> None:
    t, seen = transport(
        [lambda _r: httpx.Response(429, headers={"Retry-After": "0"}), lambda _r: httpx.Response(503), ok]
    )
    assert t.json("GET", "http://siasn.test/x") == {"data": 1}
    assert len(seen) == 3 and t.requests == 3


def test_a_source_that_stays_down_is_sys01_after_max_attempts() -> None:
    t, seen = transport([lambda _r: httpx.Response(502)], max_attempts=3)
    with pytest.raises(SourceUnavailable) as e:
        t.json("GET", "http://siasn.test/x")
    assert e.value.code == "SYS-01" and e.value.attempts == 3 and "HTTP 502" in str(e.value)
    assert len(seen) == 3


def test_a_body_cut_in_half_is_asked_again() -> None:
    t, seen = transport([lambda _r: httpx.Response(200, content=b'{"data": [1, 2'), ok])
    assert t.json("GET", "http://siasn.test/x") == {"data": 1}
    assert len(seen) == 2


def test_a_401_renews_the_tokens_once_with_the_headers_it_was_sent() -> None:
    tokens = iter(["lama", "baru", "lebih-baru"])
    current = {"token": next(tokens)}
    renewed: list[Mapping[str, str]] = []

    def renew(sent: Mapping[str, str]) -> None:
        renewed.append(dict(sent))
        current["token"] = next(tokens)

    t, seen = transport([lambda _r: httpx.Response(401), ok])
    body = t.json(
        "GET", "http://siasn.test/x", headers=lambda: {"Authorization": f"Bearer {current['token']}"}, renew=renew
    )
    assert body == {"data": 1}
    assert [r["Authorization"] for r in renewed] == ["Bearer lama"]
    assert [r.headers["Authorization"] for r in seen] == ["Bearer lama", "Bearer baru"]

    t, seen = transport([lambda _r: httpx.Response(401)])
    with pytest.raises(SourceConfigError) as refused:
        t.json("GET", "http://siasn.test/x", headers=lambda: {"Authorization": "Bearer x"}, renew=lambda _s: None)
    # A token refused again after RENEWALS fresh ones is final (credentials, not expiry).
    assert refused.value.status == 401 and len(seen) == 1 + RENEWALS
