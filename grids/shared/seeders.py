"""Demo data of later apps, registered here so that seed_demo loads it without importing them."""

from __future__ import annotations

from collections.abc import Callable

SEEDERS: list[Callable[..., object]] = []


def register_seeder(seeder: Callable[..., object]) -> None:
    """`seeder(scale=...)` is called with the fraction of the usual amount to load."""
    if seeder not in SEEDERS:
        SEEDERS.append(seeder)
