"""Waiting for work that runs in the background (detached notifiers): poll until a
condition holds, with a bound far above any normal run, so a test never depends on speed."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

BOUND_SECONDS = 60.0


def eventually(probe: Callable[[], T], what: str) -> T:
    """The first truthy value `probe` returns; fails the test if none comes within the bound."""
    deadline = time.monotonic() + BOUND_SECONDS
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting for {what} after {BOUND_SECONDS:g} s")
        time.sleep(0.02)
