"""Shared fixtures. Every test runs with its own config, data and log dirs so nothing of the
developer's own desk (policy, store, $TUI_DESK_*) leaks in."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tui_desk.core.policy import Policy
from tui_desk.core.policy_load import default_policy_text, parse_policy_text


@pytest.fixture(autouse=True)
def isolated_environment(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    home = tmp_path_factory.mktemp("home")
    for name in (
        "TUI_DESK_DB",
        "TUI_DESK_POLICY",
        "TUI_DESK_NOW",
        "TUI_DESK_OPERATOR",
        "EDITOR",
        "VISUAL",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    return home


@pytest.fixture(scope="session")
def default_policy() -> Policy:
    return parse_policy_text(default_policy_text(), "default_policy.toml")


class FrozenClock:
    """A settable "now" for services and the TUI."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def set(self, iso: str) -> None:
        self.at = datetime.fromisoformat(iso).astimezone(UTC)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 11, 16, 9, 0, tzinfo=UTC))


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "store" / "desk.sqlite3"


@pytest.fixture
def desk(db_path: Path, default_policy: Policy, clock: FrozenClock) -> Iterator[HelpDesk]:  # noqa: F821
    from tui_desk.services import HelpDesk
    from tui_desk.store.engine import open_store

    engine = open_store(str(db_path), create=True)
    yield HelpDesk(engine, default_policy, now=clock)
    engine.dispose()
