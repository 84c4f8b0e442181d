"""Fixtures for driving the TUI with Textual's pilot on a small, fixed demo store."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tui_desk.core.policy import Policy
from tui_desk.services import HelpDesk
from tui_desk.store.engine import open_store

DEMO_NOW = datetime(2026, 11, 18, 10, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def utc_local_time(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Screens show instants in the operator's local zone: pin it for repeatable output."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def demo_desk(tmp_path: Path, default_policy: Policy) -> Iterator[HelpDesk]:
    from tui_desk.demo import generate_demo

    engine = open_store(str(tmp_path / "demo.sqlite3"), create=True)
    generate_demo(engine, default_policy, tickets=80, seed=11, now=DEMO_NOW)
    yield HelpDesk(engine, default_policy, now=lambda: DEMO_NOW, operator="ana")
    engine.dispose()


@pytest.fixture
def make_app(demo_desk: HelpDesk):
    from tui_desk.tui.app import DeskApp

    def _make() -> DeskApp:
        return DeskApp(demo_desk, operator="ana", clock=lambda: DEMO_NOW, live=False)

    return _make


@pytest.fixture
def small_desk(tmp_path: Path) -> Iterator[HelpDesk]:
    """The small fixed desk of small_desk.py (own policy, fixed instants)."""
    from tests.functional.small_desk import build_small_desk

    desk = build_small_desk(str(tmp_path / "small.sqlite3"))
    yield desk
    desk.engine.dispose()


@pytest.fixture
def make_small_app(small_desk: HelpDesk):
    from tests.functional.small_desk import SMALL_NOW
    from tui_desk.tui.app import DeskApp

    def _make() -> DeskApp:
        return DeskApp(small_desk, operator="ana", clock=lambda: SMALL_NOW, live=False)

    return _make
