"""Hostile user text never reaches the operator's terminal (issue #10, SPEC §9): a store full
of escapes, C1 controls, bidi overrides and forged line breaks is shown on every screen —
queue, ticket, composer, escalations, quotas, help, pickers, the filter, the palette, a
notification — and no
control or bidi character is in what the screen draws."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.functional.conftest import DEMO_NOW
from tests.hostile import BODIES, SUBJECTS, forbidden_in, plant
from tui_desk.core.policy import Policy
from tui_desk.services import HelpDesk
from tui_desk.store.engine import open_store
from tui_desk.tui.screens.composer import Draft


@pytest.fixture
def hostile_desk(tmp_path: Path, default_policy: Policy) -> Iterator[HelpDesk]:
    from tui_desk.demo import generate_demo

    db = tmp_path / "hostile.sqlite3"
    engine = open_store(str(db), create=True)
    generate_demo(engine, default_policy, tickets=40, seed=5, now=DEMO_NOW)
    engine.dispose()
    plant(db)
    engine = open_store(str(db))
    yield HelpDesk(engine, default_policy, now=lambda: DEMO_NOW)
    engine.dispose()


async def _settle(app, pilot) -> None:  # noqa: ANN001
    for _ in range(3):
        await pilot.pause()
        await app.workers.wait_for_complete()
    await pilot.pause()


def _drawn(app) -> str:  # noqa: ANN001
    """Everything the current screen (with any toasts) draws, as the terminal would get it."""
    return app.export_screenshot()


async def test_no_control_or_bidi_character_reaches_any_screen(hostile_desk: HelpDesk) -> None:
    from tui_desk.tui.app import DeskApp

    operator = hostile_desk.operators()[0].name
    app = DeskApp(hostile_desk, operator=operator, clock=lambda: DEMO_NOW, live=False)
    seen: dict[str, list[str]] = {}
    async with app.run_test(size=(160, 50)) as pilot:

        async def look(name: str, *keys: str) -> None:
            """Press `keys`, let the screen settle, and note what it draws."""
            await pilot.press(*keys)
            await _settle(app, pilot)
            seen[name] = forbidden_in(_drawn(app))

        await look("queue")
        await look("ticket", "enter")
        await look("ticket, whole messages", "x")
        await look("assignee picker", "a")
        await pilot.press("escape")
        app.screen.last_draft = ("reply", Draft("\n".join(BODIES)))  # a draft kept for retry
        await look("composer", "r")
        app.screen.dismiss(None)
        app.notify(SUBJECTS[0], title=SUBJECTS[1])
        app.set_operator(operator)  # "You are …": a name in a toast
        await look("notifications")
        app.clear_notifications()
        await look("help", "question_mark")
        await pilot.press("escape")
        await look("escalations", "3")
        await look("quotas", "4")
        await look("queue filtered by a customer's name", "enter")
        await look("filter box", "slash")
        await look("palette", "ctrl+p", "#", "1")

    assert seen == {name: [] for name in seen}
