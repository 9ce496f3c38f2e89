"""Stores beyond the app DB that may hold a person's data (the analytics warehouse, object
stores): each registers a hook, and erasure, export and verification call every hook.

No warehouse exists yet; when `defs/analytics/` lands, it registers a hook here (for
example deleting rows by `email_hash` from the DuckDB or Postgres warehouse), and erasure
reaches it without any change to the erasure code (DESIGN I-7).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class PersonDataHook(Protocol):
    name: str

    def erase(self, email_hashes: Sequence[str], partition_keys: Sequence[str]) -> int:
        """Delete the person's data; returns how many records went."""
        ...

    def find(self, needle: str) -> list[str]:
        """Where `needle` (an address) still appears: one line per place, empty if nowhere."""
        ...


_hooks: list[PersonDataHook] = []


def register_hook(hook: PersonDataHook) -> None:
    if all(existing.name != hook.name for existing in _hooks):
        _hooks.append(hook)


def unregister_hook(name: str) -> None:
    _hooks[:] = [hook for hook in _hooks if hook.name != name]


def registered_hooks() -> list[PersonDataHook]:
    return list(_hooks)
