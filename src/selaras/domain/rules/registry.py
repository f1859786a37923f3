"""The registry of rules: one function per error code, found by its code.

``@rule("PMM-10", Flow.SKP)`` registers the function that decides PMM-10; :data:`RULES` maps
every code to its rule, and a unit test holds it equal to the catalogue (SYS-01 and SYS-02 are
raised by the source adapters, not by a rule).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import polars as pl

from selaras.catalogue.codes import CATALOGUE
from selaras.domain.results import Flow

F = TypeVar("F", bound=Callable[[Any], pl.DataFrame])


@dataclass(frozen=True)
class Rule:
    """One registered rule: the code it decides, its flow and the function deciding it."""

    code: str
    flow: Flow
    decide: Callable[[Any], pl.DataFrame]


RULES: dict[str, Rule] = {}
"""Every rule, by code."""


def rule(code: str, flow: Flow) -> Callable[[F], F]:
    """Register the decorated function as the one rule of ``code`` (a catalogue code)."""

    def register(fn: F) -> F:
        if code not in CATALOGUE:
            raise ValueError(f"{code} is not in the catalogue")
        if code in RULES:
            raise ValueError(f"{code} is decided twice: {RULES[code].decide.__qualname__}, {fn.__qualname__}")
        RULES[code] = Rule(code, flow, fn)
        return fn

    return register


def rules_of(flow: Flow) -> list[Rule]:
    """The rules of ``flow``, in the catalogue's fix-first order."""
    return sorted((r for r in RULES.values() if r.flow is flow), key=lambda r: CATALOGUE[r.code].urutan)
