"""A record from a source that breaks the contract (SYS-02): one definition for the project's
own source API, the real sources' connectors and their mapping tables."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SourceProblem:
    """A record from a source that breaks the contract (SYS-02)."""

    source: str
    table: str
    key: str | None
    """The record's key (``a, b, c`` for a composite key; a real source's own key such as
    ``nipBaru``, ``ptk_id`` or ``Id``); None when it has none."""
    field: str | None
    """The field, as the source spells it."""
    value: str | None
    rule: str
    code: str = "SYS-02"

    def __str__(self) -> str:
        where = f"{self.source} {self.table}"
        if self.key is not None:
            where += f" [{self.key}]"
        if self.field is not None:
            where += f", {self.field}"
        if self.value is not None:
            where += f": '{self.value}'"
        return f"{where} — {self.rule}"
