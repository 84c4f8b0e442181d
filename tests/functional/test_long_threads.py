"""Huge tickets cannot hurt (issue #10): the Ticket screen draws the newest events and cuts
long bodies to a preview until asked (`o` older events, `x` whole messages); the composer
refuses a body over desk.max_body_size and keeps the text."""

from __future__ import annotations

from datetime import timedelta

from textual.containers import VerticalScroll
from textual.widgets import Static, TextArea

from tests.functional.conftest import DEMO_NOW
from tui_desk.core.policy import Policy
from tui_desk.services import HelpDesk
from tui_desk.store.engine import open_store
from tui_desk.tui.app import DeskApp
from tui_desk.tui.screens.composer import ComposerScreen
from tui_desk.tui.screens.ticket import PREVIEW_LINES, THREAD_PAGE, TicketScreen

EVENTS = THREAD_PAGE * 2 + 10
BIG_BODY = "\n".join(f"line {n} of a pasted log" for n in range(30_000))  # ~750 KB


async def _settle(app, pilot) -> None:  # noqa: ANN001
    for _ in range(3):
        await pilot.pause()
        await app.workers.wait_for_complete()
    await pilot.pause()


def _long_ticket(tmp_path, policy: Policy) -> HelpDesk:  # noqa: ANN001
    desk = HelpDesk(
        open_store(str(tmp_path / "long.sqlite3"), create=True), policy, now=lambda: DEMO_NOW
    )
    desk.add_operator("ana")
    start = DEMO_NOW - timedelta(hours=EVENTS)
    desk.create_ticket("bo@acme.io", "A long story", BIG_BODY, at=start.isoformat())
    for n in range(1, EVENTS):
        at = (start + timedelta(hours=n)).isoformat()
        desk.note(1, f"note {n}\n{BIG_BODY if n == EVENTS - 1 else ''}", "ana", at)
    return desk


def _thread(screen: TicketScreen) -> list[str]:
    thread = screen.query_one("#thread", VerticalScroll)
    return [str(widget.render()) for widget in thread.query(Static)]


async def test_a_long_thread_opens_with_its_newest_events_and_long_bodies_cut(
    tmp_path, default_policy: Policy
) -> None:  # noqa: ANN001
    desk = _long_ticket(tmp_path, default_policy)
    app = DeskApp(desk, operator="ana", clock=lambda: DEMO_NOW, live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await _settle(app, pilot)
        app.open_ticket(1)
        await _settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, TicketScreen)
        shown = _thread(screen)
        assert len(shown) == THREAD_PAGE + 1  # the newest page and the "older" note
        assert shown[0].startswith(f"▲ {EVENTS - THREAD_PAGE} older events")
        newest = shown[-1]
        assert f"note {EVENTS - 1}" in newest and "x shows whole messages" in newest
        assert newest.count("\n") <= PREVIEW_LINES + 2

        await pilot.press("o")
        await _settle(app, pilot)
        assert len(_thread(screen)) == 2 * THREAD_PAGE + 1

        await pilot.press("o")
        await _settle(app, pilot)
        shown = _thread(screen)
        assert len(shown) == EVENTS and "older events" not in shown[0]
        assert "line 29999 of a pasted log" not in shown[0]

        await pilot.press("x")
        await _settle(app, pilot)
        assert "line 29999 of a pasted log" in _thread(screen)[0]


async def test_the_composer_refuses_a_body_over_the_limit_and_keeps_the_text(
    tmp_path, default_policy: Policy
) -> None:  # noqa: ANN001
    desk = HelpDesk(
        open_store(str(tmp_path / "d.sqlite3"), create=True), default_policy, now=lambda: DEMO_NOW
    )
    desk.add_operator("ana")
    desk.create_ticket("bo@acme.io", "Hello", "Hi", at=DEMO_NOW.isoformat())
    app = DeskApp(desk, operator="ana", clock=lambda: DEMO_NOW, live=False)
    too_long = "y" * (default_policy.desk.max_body_size + 1)
    async with app.run_test(size=(120, 40)) as pilot:
        await _settle(app, pilot)
        app.open_ticket(1)
        await _settle(app, pilot)
        await pilot.press("r")
        await _settle(app, pilot)
        composer = app.screen
        assert isinstance(composer, ComposerScreen)
        composer.query_one(TextArea).text = too_long
        await pilot.press("ctrl+s")
        await _settle(app, pilot)
        assert app.screen is composer and composer.query_one(TextArea).text == too_long
        messages = [n.message for n in app._notifications]
        assert any("over the limit of 1 MB" in m and "max_body_size" in m for m in messages)
    assert [e.kind for e in desk.ticket(1).events] == ["customer_message"]
